//! Who may use moderator commands on Matrix: the rule (listed users
//! anywhere, power only in rooms the operator listed) and its lookup.

use super::*;
use crate::bot::Moderators;
use matrix_sdk::Room;
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;

impl State {
    pub(super) async fn is_moderator(&self, room: &Room, user: &UserId) -> bool {
        // As the config file says now: a reload re-reads it.
        let moderators = self.bot.moderators();
        let listed_room = moderators.matrix_rooms.iter().any(|r| r == room.room_id().as_str());
        // The power level is looked up only where it can count.
        let power = if listed_room && !moderators.matrix_users.iter().any(|m| m == user.as_str()) {
            room.get_member(user).await.ok().flatten().map(|m| m.power_level())
        } else {
            None
        };
        moderates(&moderators, room.room_id().as_str(), user.as_str(), power)
    }
}

/// Who may use moderator commands in a room: a user the operator listed
/// in `moderators` (anywhere), or a member with enough power in a room the
/// operator listed in `moderator_rooms`. Power alone is not enough: whoever
/// creates a room or a DM with the bot holds full power in it.
pub(super) fn moderates(who: &Moderators, room: &str, user: &str, power: Option<UserPowerLevel>) -> bool {
    if who.matrix_users.iter().any(|m| m == user) {
        return true;
    }
    if !who.matrix_rooms.iter().any(|r| r == room) {
        return false;
    }
    match power {
        Some(UserPowerLevel::Infinite) => true,
        Some(UserPowerLevel::Int(level)) => i64::from(level) >= who.matrix_power_level,
        // No member, or a kind of power this version does not know.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_makes_a_moderator_only_in_a_room_the_operator_listed() {
        let cfg = Moderators {
            matrix_users: vec!["@op:hs".into()],
            matrix_rooms: vec!["!listed:hs".into()],
            matrix_power_level: 50,
            ..Moderators::default()
        };
        let full = Some(UserPowerLevel::Infinite);
        let fifty = Some(UserPowerLevel::Int(50.into()));
        let low = Some(UserPowerLevel::Int(49.into()));
        // A room someone made with the bot: its creator holds full power.
        assert!(!moderates(&cfg, "!theirs:hs", "@creator:hs", full));
        assert!(!moderates(&cfg, "!theirs:hs", "@creator:hs", Some(UserPowerLevel::Int(100.into()))));
        assert!(moderates(&cfg, "!listed:hs", "@mod:hs", fifty));
        assert!(!moderates(&cfg, "!listed:hs", "@member:hs", low));
        assert!(!moderates(&cfg, "!listed:hs", "@gone:hs", None));
        // The operator's list counts everywhere.
        assert!(moderates(&cfg, "!theirs:hs", "@op:hs", None));
    }
}
