//! The per-user pace every platform applies: each user may ask `burst`
//! questions at once, then one every `seconds`. Keys are the platform's
//! user ids, kept in memory only (bounded, like [`super::recent`]).

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use crate::metrics::Metrics;
use crate::platform::Platform;

pub(crate) struct Cooldown<K: Hash + Eq + Clone> {
    /// `None` when `seconds` is 0: no cooldown.
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    /// Where a question held back is counted, and for which platform.
    metrics: Arc<Metrics>,
    platform: Platform,
}

impl<K: Hash + Eq + Clone> Cooldown<K> {
    pub(crate) fn new(seconds: u64, burst: u32, metrics: Arc<Metrics>, platform: Platform) -> Self {
        let limiter = Quota::with_period(Duration::from_secs(seconds))
            .map(|q| RateLimiter::keyed(q.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))));
        Cooldown { limiter, metrics, platform }
    }

    /// `None` when `user` may ask now (and counts this question); otherwise
    /// how long until they may (and the hold is counted in the metrics).
    pub(crate) fn check(&self, user: &K) -> Option<Duration> {
        let limiter = self.limiter.as_ref()?;
        let result = limiter.check_key(user);
        if limiter.len() > super::recent::REMEMBERED {
            limiter.retain_recent();
        }
        let wait = result.err().map(|not_until| not_until.wait_time_from(governor::clock::Clock::now(limiter.clock())));
        if wait.is_some() {
            self.metrics.cooldown_hit(self.platform);
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_wait_per_user_and_zero_seconds_is_off() {
        let c = Cooldown::new(60, 2, Arc::default(), Platform::Discord);
        assert_eq!(c.check(&"alice"), None);
        assert_eq!(c.check(&"alice"), None);
        let wait = c.check(&"alice").expect("the third within a minute waits");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60), "{wait:?}");
        // Someone else is not held back by alice's pace.
        assert_eq!(c.check(&"bob"), None);
        let off = Cooldown::new(0, 1, Arc::default(), Platform::Discord);
        assert!((0..100).all(|_| off.check(&"alice").is_none()));
    }
}
