//! A bounded map that forgets its oldest keys and reads only recent ones:
//! the adapters' memory of their own messages (which reply answers which
//! question, pending suggestions, events already handled).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Keys remembered at most; the oldest go first.
pub(crate) const REMEMBERED: usize = 10_000;

pub(crate) struct Recent<K, V> {
    map: HashMap<K, (V, Instant)>,
    /// Keys in insertion order, with the insertion time: a key inserted
    /// again is queued again, and only its latest queue place removes it.
    order: VecDeque<(K, Instant)>,
}

impl<K: Hash + Eq + Clone, V: Clone> Default for Recent<K, V> {
    fn default() -> Self {
        Recent { map: HashMap::new(), order: VecDeque::new() }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Recent<K, V> {
    /// Inserts or replaces `key`; its age starts again.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        let now = Instant::now();
        self.map.insert(key.clone(), (value, now));
        self.order.push_back((key, now));
        while self.map.len() > REMEMBERED || self.order.len() > 2 * REMEMBERED {
            let Some((old, at)) = self.order.pop_front() else { break };
            if self.map.get(&old).is_some_and(|(_, t)| *t == at) {
                self.map.remove(&old);
            }
        }
    }

    /// The value of `key` if it was inserted no longer than `within` ago.
    pub(crate) fn get(&self, key: &K, within: Duration) -> Option<V> {
        self.map.get(key).filter(|(_, at)| at.elapsed() <= within).map(|(v, _)| v.clone())
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key).map(|(v, _)| v)
    }
}

impl<K: Hash + Eq + Clone> Recent<K, ()> {
    /// Remembers `key`; true the first time (while it is remembered): for
    /// "handle this once" sets.
    pub(crate) fn first(&mut self, key: &K) -> bool {
        if self.map.contains_key(key) {
            return false;
        }
        self.insert(key.clone(), ());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_true_once_per_key() {
        let mut seen = Recent::default();
        assert!(seen.first(&"a") && !seen.first(&"a") && seen.first(&"b"));
    }

    #[test]
    fn keeps_the_newest_keys_and_reinsertion_renews_them() {
        let mut r = Recent::default();
        r.insert(0, "zero");
        for i in 1..REMEMBERED {
            r.insert(i, "n");
        }
        r.insert(0, "again");
        r.insert(REMEMBERED, "new");
        // 1 was the oldest; 0 was renewed and stays.
        assert_eq!(r.get(&0, Duration::MAX), Some("again"));
        assert!(!r.map.contains_key(&1));
        assert!(r.map.contains_key(&REMEMBERED));
        assert_eq!(r.remove(&0), Some("again"));
        assert_eq!(r.get(&0, Duration::MAX), None);
        assert_eq!(r.get(&2, Duration::ZERO), None);
    }
}
