//! Edits and reactions on Matrix: an edited question answered again with
//! our reply edited to match, 👍 / 👎 on an answer as feedback, and a
//! message the bot cannot decrypt told once per room.

use super::*;
use crate::reply::Reply;
use anyhow::{Context, Result};
use matrix_sdk::Room;
use matrix_sdk::ruma::OwnedEventId;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, ReplacementMetadata, RoomMessageEventContent,
};
use std::time::Duration;

impl State {
    /// An edited question: answered again, and our reply edited to match.
    pub(super) async fn on_edit(
        &self,
        room: &Room,
        ev: &OriginalSyncRoomMessageEvent,
        original: &OwnedEventId,
        body: &str,
    ) -> Result<()> {
        let window = Duration::from_secs(self.cfg.edit_window_seconds);
        let Some((reply_id, asker)) = lock(&self.replies).get(original, window) else { return Ok(()) };
        // Only the asker's own edit counts (a server lets nobody else edit
        // an event, but a client may still send one that others ignore).
        if asker != ev.sender {
            tracing::debug!(editor = %ev.sender, "an edit by someone other than the asker; ignored");
            return Ok(());
        }
        let text = match self.addressed(room, ev, body).await {
            Some(text) => text,
            None => body.trim().to_owned(),
        };
        let reply = self.reply_to(room, &ev.sender, &text).await;
        let content = replacement(&render::render_within(&reply, &self.cfg.prefix, EDIT_BYTES), reply_id.clone());
        room.send(content).with_request_config(send_config()).await.context("cannot edit the reply")?;
        match &reply {
            Reply::Answer { entry, .. } => lock(&self.answers).insert(reply_id, (entry.id.clone(), text.clone())),
            _ => drop(lock(&self.answers).remove(&reply_id)),
        }
        Ok(())
    }
}

/// An edit carries the text twice (the new content, and a fallback for
/// clients without edits): each half gets this much so the event stays
/// under Matrix's 65,536 bytes.
pub(super) const EDIT_BYTES: usize = render::CONTENT_BYTES / 2;

/// The edit of our reply `reply_id` to say `notice`, pinging nobody.
pub(super) fn replacement(notice: &render::Notice, reply_id: OwnedEventId) -> RoomMessageEventContent {
    RoomMessageEventContent::notice_html(notice.body.clone(), notice.html.clone())
        .make_replacement(ReplacementMetadata::new(reply_id, Some(Mentions::new())))
        .add_mentions(Mentions::new())
}

impl State {
    /// A message the bot cannot decrypt (no keys for it: a client that sends
    /// keys only to verified devices, or keys still on their way). Logged,
    /// and said once per room, so the asker knows to send it again.
    pub(super) async fn on_undecryptable(&self, ev: OriginalSyncRoomEncryptedEvent, room: Room) {
        if ev.sender == self.me || ev.origin_server_ts < self.started || !self.first_time(&ev.event_id) {
            return;
        }
        tracing::warn!(room = %room.room_id(), event = %ev.event_id, "cannot decrypt a message (no keys for it)");
        if !lock(&self.told_undecryptable).first(&room.room_id().to_owned()) {
            return;
        }
        let notice = RoomMessageEventContent::notice_plain(
            "I could not read an encrypted message here: your client did not send me the keys for it. Please send it again; if this keeps happening, let your client send keys to unverified devices, or verify my device.",
        )
        .add_mentions(Mentions::new());
        if let Err(e) = room.send(notice).with_request_config(send_config()).await {
            tracing::warn!(error = %e, "cannot say that a message could not be decrypted");
        }
    }

    /// 👍 / 👎 on one of our answers: feedback for that entry.
    pub(super) fn on_reaction(&self, ev: OriginalSyncReactionEvent, room: Room) {
        if ev.sender == self.me || ev.origin_server_ts < self.started {
            return;
        }
        let key = ev.content.relates_to.key.trim_end_matches('\u{fe0f}');
        let helpful = match key {
            "👍" => true,
            "👎" => false,
            _ => return,
        };
        let answered = lock(&self.answers).get(&ev.content.relates_to.event_id, Duration::MAX);
        let Some((entry, asked)) = answered else { return };
        let (answer, voter) = (ev.content.relates_to.event_id.as_str(), ev.sender.as_str());
        let asked = Some(asked.as_str()).filter(|a| !a.trim().is_empty());
        self.bot.feedback(self.origin(&room), &entry, helpful, answer, voter, asked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_of_the_longest_reply_stays_under_the_event_limit() {
        let footer = crate::reply::Footer {
            found: crate::reply::Found::Closest,
            disputed: Vec::new(),
            unverified: (0..3).map(|_| "c ".repeat(70)).collect(),
            more: 0,
            checked: Vec::new(),
            disclaimer: Some("Not legal advice.".into()),
            entry_id: "big".into(),
            lang: Default::default(),
            unreviewed_translation: false,
        };
        let reply = Reply::Answer {
            entry: crate::reply::EntryRef { id: "big".into(), topic: "t".into(), question: "q?".into() },
            answer: "Words & <more> words. ".repeat(20_000),
            confidence: 1.0,
            claims: Vec::new(),
            footer,
            lang: Default::default(),
            lead: None,
        };
        let id = OwnedEventId::try_from("$reply:hs").unwrap();
        let edit = replacement(&render::render_within(&reply, "!", EDIT_BYTES), id);
        let bytes = serde_json::to_vec(&edit).unwrap().len();
        // The content, plus room for the event's envelope (ids, keys, hashes).
        assert!(bytes + 2_000 < 65_536, "{bytes} bytes");
        // Sent whole, it would not have fitted.
        let whole = replacement(&render::render(&reply, "!"), OwnedEventId::try_from("$reply:hs").unwrap());
        assert!(serde_json::to_vec(&whole).unwrap().len() > 65_536);
    }
}
