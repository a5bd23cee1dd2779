//! Login throttling: failed logins per account and per client address within a window.
//!
//! The account limit is the configured one (default 5 per 15 minutes); an address gets four times
//! as many, so a classroom behind one address is not locked out by a few typos.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::config::Throttle;

/// How many times the account limit one client address may fail.
const ADDRESS_FACTOR: u32 = 4;
/// Above this many tracked keys, keys without recent failures are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Failed-login bookkeeping, in memory (a restart forgives everyone).
#[derive(Debug)]
pub struct LoginThrottle {
    rule: Throttle,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

/// Who is logging in: the account tried and the address it came from.
#[derive(Debug, Clone)]
pub struct Attempt {
    account: String,
    address: Option<String>,
}

impl Attempt {
    /// An attempt at `account` (the normalized e-mail) from `address`.
    pub fn new(account: &str, address: Option<IpAddr>) -> Self {
        Attempt {
            account: format!("account:{}", account.trim().to_lowercase()),
            address: address.map(|a| format!("address:{a}")),
        }
    }
}

impl LoginThrottle {
    /// A throttle applying `rule`.
    pub fn new(rule: Throttle) -> Self {
        LoginThrottle {
            rule,
            failures: Mutex::default(),
        }
    }

    /// `Err(seconds)` when this attempt must wait that long before trying again.
    pub fn check(&self, attempt: &Attempt, now: DateTime<Utc>) -> Result<(), u64> {
        let Throttle::Limit {
            max_failures,
            window,
        } = self.rule
        else {
            return Ok(());
        };
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = Duration::zero();
        for (key, limit) in keys(attempt, max_failures) {
            if let Some(times) = failures.get_mut(&key) {
                forget_older(times, now - window);
                if times.len() as u32 >= limit
                    && let Some(oldest) = times.get(times.len() - limit as usize)
                {
                    wait = wait.max(*oldest + window - now);
                }
            }
        }
        if wait > Duration::zero() {
            Err(wait.num_seconds().max(1) as u64)
        } else {
            Ok(())
        }
    }

    /// Counts a failed login against the account and the address.
    pub fn record_failure(&self, attempt: &Attempt, now: DateTime<Utc>) {
        let Throttle::Limit {
            max_failures,
            window,
        } = self.rule
        else {
            return;
        };
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        for (key, _) in keys(attempt, max_failures) {
            let times = failures.entry(key).or_default();
            forget_older(times, now - window);
            times.push_back(now);
        }
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, times| {
                forget_older(times, now - window);
                !times.is_empty()
            });
        }
    }

    /// A successful login forgives the account's failures (not the address's).
    pub fn record_success(&self, attempt: &Attempt) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&attempt.account);
        }
    }

    /// Forgets every failure (the lab reset).
    pub fn clear(&self) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.clear();
        }
    }
}

fn keys(attempt: &Attempt, max_failures: u32) -> Vec<(String, u32)> {
    let mut keys = vec![(attempt.account.clone(), max_failures)];
    if let Some(address) = &attempt.address {
        keys.push((address.clone(), max_failures * ADDRESS_FACTOR));
    }
    keys
}

fn forget_older(times: &mut VecDeque<DateTime<Utc>>, cutoff: DateTime<Utc>) {
    while times.front().is_some_and(|t| *t <= cutoff) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn five_per_15m() -> LoginThrottle {
        LoginThrottle::new(Throttle::Limit {
            max_failures: 5,
            window: Duration::minutes(15),
        })
    }

    #[test]
    fn the_sixth_try_waits_until_the_oldest_failure_leaves_the_window() {
        let throttle = five_per_15m();
        let attempt = Attempt::new("alice@example.com", None);
        let start = Utc::now();
        for i in 0..5 {
            let now = start + Duration::minutes(i);
            assert_eq!(throttle.check(&attempt, now), Ok(()));
            throttle.record_failure(&attempt, now);
        }
        assert_eq!(
            throttle.check(&attempt, start + Duration::minutes(5)),
            Err(600)
        );
        assert_eq!(
            throttle.check(&attempt, start + Duration::minutes(15)),
            Ok(())
        );
    }

    #[test]
    fn off_never_throttles_and_success_forgives_the_account() {
        let off = LoginThrottle::new(Throttle::Off);
        let attempt = Attempt::new("bob@example.com", None);
        let now = Utc::now();
        for _ in 0..50 {
            off.record_failure(&attempt, now);
        }
        assert_eq!(off.check(&attempt, now), Ok(()));

        let throttle = five_per_15m();
        for _ in 0..5 {
            throttle.record_failure(&attempt, now);
        }
        throttle.record_success(&attempt);
        assert_eq!(throttle.check(&attempt, now), Ok(()));
    }
}
