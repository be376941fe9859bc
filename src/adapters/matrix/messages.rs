//! Messages on Matrix: whether one is addressed to the bot, what it asks
//! (a question, a command, a number picking from "did you mean"), and the
//! reply sent back as an m.notice that pings nobody; the moderation log
//! posted to its room the same way.

use super::*;
use crate::answer::Command;
use crate::bot::Sender;
use crate::records::Origin;
use crate::reply::Reply;
use anyhow::{Context, Result};
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation, ReplyMetadata,
    RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::{Room, RoomState};

impl State {
    pub(super) fn first_time(&self, event: &OwnedEventId) -> bool {
        lock(&self.seen).first(event)
    }

    /// The text addressed to the bot, or `None` when the message is not for it.
    pub(super) async fn addressed(&self, room: &Room, ev: &OriginalSyncRoomMessageEvent, body: &str) -> Option<String> {
        let direct = || async { room.is_direct().await.unwrap_or(false) || room.joined_members_count() == 2 };
        if body.trim_start().starts_with(&self.cfg.prefix) {
            // Other bots use "!" too: a command this bot does not have is
            // answered only in a direct chat (or when the bot is named).
            let ours = Command::is_known(body, &self.cfg.prefix);
            if ours || direct().await {
                return Some(body.trim().to_owned());
            }
        }
        let localpart = self.me.localpart();
        let mentioned = ev.content.mentions.as_ref().is_some_and(|m| m.user_ids.contains(&self.me))
            || body.contains(self.me.as_str())
            || starts_with_name(body.trim_start(), localpart);
        if mentioned {
            return Some(strip_mention(body, self.me.as_str(), localpart));
        }
        direct().await.then(|| body.trim().to_owned())
    }

    pub(super) async fn on_message(&self, ev: OriginalSyncRoomMessageEvent, room: Room) -> Result<()> {
        if ev.sender == self.me || room.state() != RoomState::Joined {
            return Ok(());
        }
        // Never anything from before start-up (the first sync skips the
        // backlog; this also covers events replayed after a reconnect).
        if ev.origin_server_ts < self.started || !self.first_time(&ev.event_id) {
            return Ok(());
        }
        if let Some(Relation::Replacement(replacement)) = &ev.content.relates_to {
            let MessageType::Text(text) = &replacement.new_content.msgtype else { return Ok(()) };
            return self.on_edit(&room, &ev, &replacement.event_id, &text.body).await;
        }
        // Notices are what bots send: never answer one.
        let MessageType::Text(text) = &ev.content.msgtype else { return Ok(()) };
        let origin = self.origin(&room);
        let body = text.body.trim();
        let key = (room.room_id().to_owned(), ev.sender.clone());

        // A number answers the asker's pending "did you mean".
        if let Ok(n) = body.parse::<usize>() {
            let pending = lock(&self.pending).get(&key, PICK_WINDOW);
            if let Some((ids, question)) = pending {
                let (reply, done) = self.bot.pick(origin, n, &ids, &question, &self.cfg.prefix);
                if done {
                    lock(&self.pending).remove(&key);
                }
                return self.send_reply(&room, &ev, &reply).await;
            }
        }
        let Some(text) = self.addressed(&room, &ev, body).await else { return Ok(()) };
        if let Some(wait) = self.cooldown.check(&ev.sender) {
            tracing::debug!(wait_ms = wait.as_millis() as u64, "cooldown");
            // A reaction rather than a message: a user being too quick
            // should not make the room noisier (or spend the bot's own
            // message rate).
            let hourglass = ReactionEventContent::new(Annotation::new(ev.event_id.clone(), "⏳".to_owned()));
            room.send(hourglass).await.context("cannot react")?;
            return Ok(());
        }
        let reply = self.reply_to(&room, &ev.sender, &text).await;
        self.send_reply(&room, &ev, &reply).await
    }

    /// The reply to text addressed to the bot: a command or a question. A
    /// "did you mean" is remembered so the asker can answer it by number.
    pub(super) async fn reply_to(&self, room: &Room, sender: &UserId, text: &str) -> Reply {
        let reply = self.command_reply(room, sender, text).await;
        if let Reply::Suggest { suggestions, .. } = &reply {
            let offered = (suggestions.iter().map(|s| s.id.clone()).collect(), text.to_owned());
            lock(&self.pending).insert((room.room_id().to_owned(), sender.to_owned()), offered);
        }
        reply
    }

    /// Where a Matrix message came from: the room is its own community.
    pub(super) fn origin(&self, room: &Room) -> Origin {
        self.bot.origin(PLATFORM, room.room_id().as_str(), room.room_id().as_str())
    }

    pub(super) async fn command_reply(&self, room: &Room, sender: &UserId, text: &str) -> Reply {
        let prefix = self.cfg.prefix.as_str();
        let command = match Command::from_message(text, prefix) {
            Ok(c) => c,
            Err(message) => return Reply::error(message),
        };
        let needs_moderator = command.for_moderators();
        // A change is signed with the room's display name for its author.
        let name = match &command {
            Command::Edit(_) => {
                room.get_member_no_sync(sender).await.ok().flatten().and_then(|m| m.display_name().map(Into::into))
            }
            _ => None,
        };
        let sender = Sender {
            is_moderator: needs_moderator && self.is_moderator(room, sender).await,
            origin: self.origin(room),
            name,
        };
        if needs_moderator && sender.is_moderator {
            return crate::adapters::off_load(self.bot.clone(), command, sender, prefix).await;
        }
        self.bot.handle(&command, &sender, prefix)
    }

    /// Posts every moderation log line to `[moderation] log_room` as a
    /// notice that mentions nobody. Started once per process.
    pub(super) fn post_moderation_log(self: Arc<Self>) {
        let Some(room_id) = self.bot.config.moderation.log_room.clone() else { return };
        let Ok(room_id) = matrix_sdk::ruma::OwnedRoomId::try_from(room_id.as_str()) else {
            tracing::warn!(room = %room_id, "[moderation] log_room is not a room id; no moderation log on Matrix");
            return;
        };
        let mut lines = self.bot.moderation_log().lines();
        tokio::spawn(async move {
            while let Some(line) = lines.next().await {
                let client = lock(&self.client).clone();
                let room = client.and_then(|c| c.get_room(&room_id)).filter(|r| r.state() == RoomState::Joined);
                let Some(room) = room else {
                    tracing::warn!(room = %room_id, "not in the moderation log room; invite the bot there");
                    continue;
                };
                let content = RoomMessageEventContent::notice_plain(line).add_mentions(Mentions::new());
                if let Err(e) = room.send(content).with_request_config(send_config()).await {
                    tracing::warn!(room = %room_id, error = %e, "cannot post to the moderation log room");
                }
            }
        });
    }

    pub(super) async fn send_reply(&self, room: &Room, ev: &OriginalSyncRoomMessageEvent, reply: &Reply) -> Result<()> {
        let notice = render::render(reply, &self.cfg.prefix);
        // A question asked in a thread is answered in that thread.
        let thread = match &ev.content.relates_to {
            Some(Relation::Thread(thread)) => Some(thread),
            _ => None,
        };
        let content = RoomMessageEventContent::notice_html(notice.body, notice.html)
            .make_reply_to(ReplyMetadata::new(&ev.event_id, &ev.sender, thread), ForwardThread::Yes, AddMentions::No)
            .add_mentions(Mentions::new());
        let sent = room.send(content).with_request_config(send_config()).await.context("cannot send the reply")?;
        let reply_id = sent.response.event_id;
        lock(&self.replies).insert(ev.event_id.clone(), (reply_id.clone(), ev.sender.clone()));
        if let Reply::Answer { entry, .. } = reply {
            // With what was asked, which a 👎 keeps for the review queue.
            let asked = match &ev.content.msgtype {
                MessageType::Text(t) => strip_mention(&t.body, self.me.as_str(), self.me.localpart()),
                _ => String::new(),
            };
            lock(&self.answers).insert(reply_id, (entry.id.clone(), asked));
        }
        Ok(())
    }
}

/// The question without the bot's mention: "@bot:server", "bot:", "bot,".
pub(super) fn strip_mention(body: &str, user_id: &str, localpart: &str) -> String {
    let text = body.replace(user_id, " ");
    let trimmed = text.trim_start();
    let rest = if starts_with_name(trimmed, localpart) { &trimmed[localpart.len()..] } else { trimmed };
    rest.trim_start_matches([':', ',', ' ']).trim().to_owned()
}

/// `text` begins with the bot's name, in any letter case.
pub(super) fn starts_with_name(text: &str, name: &str) -> bool {
    text.get(..name.len()).is_some_and(|head| head.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_stripped() {
        assert_eq!(
            strip_mention("policybot: do sf have parking permits?", "@policybot:hs", "policybot"),
            "do sf have parking permits?"
        );
        assert_eq!(strip_mention("@policybot:hs what now", "@policybot:hs", "policybot"), "what now");
        assert_eq!(strip_mention("PolicyBot, hi", "@policybot:hs", "policybot"), "hi");
        assert_eq!(strip_mention("no mention", "@policybot:hs", "policybot"), "no mention");
        assert_eq!(strip_mention("\u{212a}é policybot", "@policybot:hs", "policybot"), "\u{212a}é policybot");
    }
}
