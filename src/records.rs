//! What the bot remembers about its own conversations for moderators: the
//! questions it could not answer (a `none` outcome, or "None of these" on a
//! suggestion). No user ids are kept: only the time, the platform, a hash of
//! the room and the text.
//!
//! Held in memory, bounded to the newest [`MAX_UNANSWERED`] records.

use std::collections::VecDeque;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::Mutex;
use std::time::SystemTime;

/// Oldest records are dropped past this many, so a flood of junk cannot
/// grow memory without bound.
pub const MAX_UNANSWERED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub time: SystemTime,
    pub platform: &'static str,
    /// A hash of the platform's room or channel id: enough to tell that two
    /// questions came from the same place, not which place.
    pub room: u64,
    pub text: String,
}

/// Where a message came from, as far as the records care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub platform: &'static str,
    pub room: u64,
}

impl Origin {
    pub fn new(platform: &'static str, room: &str) -> Origin {
        Origin { platform, room: room_hash(platform, room) }
    }
}

/// A stable hash of a room id (the same on every run and machine).
pub fn room_hash(platform: &str, room: &str) -> u64 {
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one((platform, room))
}

#[derive(Debug, Default)]
pub struct Records {
    unanswered: Mutex<VecDeque<Unanswered>>,
}

impl Records {
    pub fn record_unanswered(&self, origin: Origin, text: &str) {
        let text = crate::reply::shorten(text, 500);
        if text.is_empty() {
            return;
        }
        let record = Unanswered { time: SystemTime::now(), platform: origin.platform, room: origin.room, text };
        // A poisoned lock only means another thread panicked mid-push; the
        // queue itself is still a valid VecDeque.
        let mut queue = self.unanswered.lock().unwrap_or_else(|e| e.into_inner());
        if queue.len() == MAX_UNANSWERED {
            queue.pop_front();
        }
        queue.push_back(record);
    }

    /// Every record, oldest first.
    pub fn unanswered(&self) -> Vec<Unanswered> {
        self.unanswered.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_records_only() {
        let records = Records::default();
        let origin = Origin::new("test", "room");
        for i in 0..MAX_UNANSWERED + 5 {
            records.record_unanswered(origin, &format!("question {i}"));
        }
        records.record_unanswered(origin, "   ");
        let all = records.unanswered();
        assert_eq!(all.len(), MAX_UNANSWERED);
        assert_eq!(all[0].text, "question 5");
        assert_eq!(room_hash("test", "room"), origin.room);
        assert_ne!(room_hash("test", "room"), room_hash("test", "other"));
    }
}
