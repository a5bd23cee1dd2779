//! The app's one clock: real time plus an offset that a lab (or a test) can advance.
//!
//! Every expiry decision in authlab reads this clock, so moving it forward makes
//! cookies, sessions and tokens expire exactly as they would in real time, without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// The lab clock cannot run that far ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The lab clock cannot run more than a hundred years ahead; reset it first.")]
pub struct ClockLimit;

/// Real time shifted by an offset shared by every clone.
///
/// The clock also remembers how far it has run: each time it is put back (a reset, a lab undoing
/// its own move) an *era* ends, and the furthest lab time that era reached is kept. A login that
/// was already dead in an earlier era stays dead ([`Clock::passed_since`]), as on a real server,
/// where time never runs backwards.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
    eras: Arc<Mutex<Vec<i64>>>,
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
        self.end_era();
        self.offset_secs
            .fetch_sub(by.num_seconds().max(0), Ordering::Relaxed);
    }

    /// Puts the lab clock back to real time.
    pub fn reset(&self) {
        self.end_era();
        self.offset_secs.store(0, Ordering::Relaxed);
    }

    /// The era the clock is in now: 0 until it is first put back, then one more each time.
    pub fn era(&self) -> u64 {
        self.eras
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len() as u64
    }

    /// The furthest lab time (Unix seconds) the clock reached in any era from `era` on that has
    /// ended; `None` when `era` is the present one. Something issued in `era` that expired by
    /// then has expired, whatever the clock reads now.
    pub fn passed_since(&self, era: u64) -> Option<i64> {
        let eras = self.eras.lock().unwrap_or_else(PoisonError::into_inner);
        let from = usize::try_from(era).unwrap_or(usize::MAX);
        eras.get(from..)
            .and_then(|ended| ended.iter().copied().max())
    }

    /// Records how far the present era reached, as the clock is about to be put back.
    fn end_era(&self) {
        let reached = self.unix();
        self.eras
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(reached);
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
    fn an_era_remembers_how_far_the_clock_ran_before_it_was_put_back() {
        let clock = Clock::default();
        assert_eq!((clock.era(), clock.passed_since(0)), (0, None));
        assert_eq!(clock.advance(Duration::days(1)), Ok(()));
        let reached = clock.unix();
        clock.reset();
        assert_eq!(clock.era(), 1);
        let passed = clock.passed_since(0).expect("era 0 has ended");
        assert!(
            (reached..reached + 2).contains(&passed),
            "{passed} vs {reached}"
        );
        assert_eq!(clock.passed_since(1), None, "era 1 is the present one");
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
