//! The app's one clock: real time plus an offset that a lab (or a test) can advance.
//!
//! Every expiry decision in authlab reads this clock, so moving it forward makes
//! cookies, sessions and tokens expire exactly as they would in real time, without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// Real time shifted by an offset shared by every clone.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// The lab time: real time plus the offset.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    /// The lab time as whole Unix seconds (what JWT `exp`/`iat` use).
    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// How far the lab clock is ahead of real time.
    pub fn offset(&self) -> Duration {
        Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves the lab clock forward (never backward: a negative duration is ignored).
    pub fn advance(&self, by: Duration) {
        let secs = by.num_seconds().max(0);
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
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
        clock.advance(Duration::minutes(10));
        assert_eq!(other.offset(), Duration::minutes(10));
        other.advance(Duration::seconds(-50));
        assert_eq!(clock.offset(), Duration::minutes(10));
        clock.reset();
        assert_eq!(other.offset(), Duration::zero());
    }
}
