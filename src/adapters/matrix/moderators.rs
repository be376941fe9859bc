//! Who may use moderator commands on Matrix: the rule (listed users
//! anywhere, power only in rooms the operator listed) and its lookup.

use super::*;
use crate::config::MatrixConfig;
use matrix_sdk::Room;
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;

impl State {
    pub(super) async fn is_moderator(&self, room: &Room, user: &UserId) -> bool {
        let listed_room = self.cfg.moderator_rooms.iter().any(|r| r == room.room_id().as_str());
        // The power level is looked up only where it can count.
        let power = if listed_room && !self.cfg.moderators.iter().any(|m| m == user.as_str()) {
            room.get_member(user).await.ok().flatten().map(|m| m.power_level())
        } else {
            None
        };
        moderates(&self.cfg, room.room_id().as_str(), user.as_str(), power)
    }
}

/// Who may use moderator commands in a room: a user the operator listed
/// in `moderators` (anywhere), or a member with enough power in a room the
/// operator listed in `moderator_rooms`. Power alone is not enough: whoever
/// creates a room or a DM with the bot holds full power in it.
pub(super) fn moderates(cfg: &MatrixConfig, room: &str, user: &str, power: Option<UserPowerLevel>) -> bool {
    if cfg.moderators.iter().any(|m| m == user) {
        return true;
    }
    if !cfg.moderator_rooms.iter().any(|r| r == room) {
        return false;
    }
    match power {
        Some(UserPowerLevel::Infinite) => true,
        Some(UserPowerLevel::Int(level)) => i64::from(level) >= cfg.moderator_power_level,
        // No member, or a kind of power this version does not know.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_makes_a_moderator_only_in_a_room_the_operator_listed() {
        let cfg = MatrixConfig {
            moderators: vec!["@op:hs".into()],
            moderator_rooms: vec!["!listed:hs".into()],
            ..MatrixConfig::default()
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
