//! The periodic sweep: expired sessions and expired refresh tokens are deleted, so a server that
//! runs for a term does not grow without end. It reads the app's clock (a test or the lab clock
//! drives it without sleeping) and deletes in small batches on the blocking pool, so requests
//! keep being answered while it runs.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clock::Clock;
use crate::db::{Db, Pool};
use crate::schemes::{jwt, session};

/// Rows deleted per statement: small enough that the write lock is held for about a millisecond.
const BATCH: i64 = 500;

/// What one sweep removed, and what it cost.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct SweepReport {
    /// Expired sessions deleted.
    pub sessions: usize,
    /// Expired refresh tokens deleted (their blacklist rows go with them).
    pub refresh_tokens: usize,
    /// Wall time the sweep took, in milliseconds.
    pub millis: f64,
    /// When it ran (lab clock, Unix seconds).
    pub at: i64,
}

/// The last sweep's report, shared by the periodic task, the lab clock and the session page.
#[derive(Debug, Default)]
pub struct LastSweep(Mutex<Option<SweepReport>>);

impl LastSweep {
    /// The last report, if a sweep has run.
    pub fn get(&self) -> Option<SweepReport> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, report: SweepReport) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
    }
}

/// Deletes every session and refresh token that had expired by the clock's now, batch by batch,
/// records the report in `last` and logs it.
pub async fn sweep(pool: &Pool, clock: &Clock, last: &LastSweep) -> anyhow::Result<SweepReport> {
    let (db, now, started) = (Db::new(pool.clone()), clock.unix(), Instant::now());
    let mut report = SweepReport {
        at: now,
        ..SweepReport::default()
    };
    report.sessions = in_batches(&db, now, session::store::sweep_expired).await?;
    report.refresh_tokens = in_batches(&db, now, jwt::store::sweep_expired).await?;
    report.millis = started.elapsed().as_secs_f64() * 1_000.0;
    tracing::info!(
        sessions = report.sessions,
        refresh_tokens = report.refresh_tokens,
        millis = report.millis,
        "swept expired rows"
    );
    last.set(report);
    Ok(report)
}

/// Runs one room's `delete` (up to [`BATCH`] rows expired by `now`) until a batch comes back short;
/// returns how many rows it deleted in all.
async fn in_batches(
    db: &Db,
    now: i64,
    delete: fn(&rusqlite::Connection, i64, i64) -> rusqlite::Result<usize>,
) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let n = db.run(move |c| delete(c, now, BATCH)).await??;
        total += n;
        if n < BATCH as usize {
            return Ok(total);
        }
    }
}

/// Sweeps every `every`, for as long as the server runs (spawned once at start).
pub async fn every(every: Duration, pool: Pool, clock: Clock, last: std::sync::Arc<LastSweep>) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = sweep(&pool, &clock, &last).await {
            tracing::warn!(error = %format!("{e:#}"), "the sweep failed; it runs again at the next tick");
        }
    }
}
