//! What the records say about a question, independent of where they are
//! kept ([`crate::store`]): where a message came from and an unanswered
//! question. No user ids: a room is kept only as a hash.

use std::hash::{BuildHasher, BuildHasherDefault};
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub time: SystemTime,
    pub platform: String,
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

/// The key of one person's vote on one answer: hashed, so the records
/// never hold the ids themselves, and the same for a repeated vote, which
/// then replaces the first.
pub fn vote_key(platform: &str, answer: &str, voter: &str) -> String {
    format!("{:016x}", room_hash(platform, &format!("{answer}:{voter}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_hashes_are_stable_and_distinct() {
        assert_eq!(room_hash("test", "room"), Origin::new("test", "room").room);
        assert_ne!(room_hash("test", "room"), room_hash("test", "other"));
        assert_ne!(room_hash("discord", "1"), room_hash("matrix", "1"));
    }
}
