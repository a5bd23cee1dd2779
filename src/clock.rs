//! The app's one clock: real time plus an offset that a lab (or a test) can advance.
//!
//! Every expiry decision in authlab reads this clock, so moving it forward makes
//! cookies, sessions and tokens expire exactly as they would in real time, without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The lab clock cannot run that far ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The lab clock cannot run more than a hundred years ahead; reset it first.")]
pub struct ClockLimit;

/// Real time shifted by an offset shared by every clone.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// How far the lab clock may run ahead of real time.
    pub const MAX_OFFSET_DAYS: i64 = 100 * 366;

    /// The lab time: real time plus the offset.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.checked_add_signed(self.offset()).unwrap_or(now)
    }

    /// The lab time as people read it on every page's clock bar: `2026-12-01 12:54:16 UTC`.
    pub fn now_for_people(&self) -> String {
        self.now().format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }

    /// The lab time as whole Unix seconds (what JWT `exp`/`iat` use).
    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// How far the lab clock is ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves the lab clock forward (never backward: a negative duration is ignored). Refused, and
    /// nothing moves, when the clock would run more than a hundred years ahead.
    pub fn advance(&self, by: Duration) -> Result<(), ClockLimit> {
        let secs = by.num_seconds().max(0);
        let limit = Self::MAX_OFFSET_DAYS * 86_400;
        self.offset_secs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                current.checked_add(secs).filter(|next| *next <= limit)
            })
            .map(|_| ())
            .map_err(|_| ClockLimit)
    }

    /// Moves the lab clock back by `by` (a lab that moved it undoes exactly its own move).
    pub fn rewind(&self, by: Duration) {
        self.offset_secs
            .fetch_sub(by.num_seconds().max(0), Ordering::Relaxed);
    }

    /// Sets the offset (a lab that moved the clock puts it back where it was).
    pub fn set_offset(&self, offset: Duration) {
        self.offset_secs
            .store(offset.num_seconds(), Ordering::Relaxed);
    }

    /// Puts the lab clock back to real time.
    pub fn reset(&self) {
        self.offset_secs.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone_and_reset_returns_to_real_time() {
        let clock = Clock::default();
        let other = clock.clone();
        assert_eq!(clock.advance(Duration::minutes(10)), Ok(()));
        assert_eq!(other.offset(), Duration::minutes(10));
        assert_eq!(other.advance(Duration::seconds(-50)), Ok(()));
        assert_eq!(clock.offset(), Duration::minutes(10));
        clock.reset();
        assert_eq!(other.offset(), Duration::zero());
    }

    #[test]
    fn the_clock_refuses_to_run_past_its_limit_and_never_overflows() {
        let clock = Clock::default();
        for _ in 0..10 {
            assert_eq!(clock.advance(Duration::days(3650)), Ok(()));
        }
        assert_eq!(clock.advance(Duration::days(3650)), Err(ClockLimit));
        assert_eq!(clock.advance(Duration::days(400)), Err(ClockLimit));
        assert!(clock.now() > Utc::now());
        clock.rewind(Duration::days(36_500));
        assert_eq!(clock.offset(), Duration::zero());
    }
}
