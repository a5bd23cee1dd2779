//! The periodic sweep: expired sessions and expired refresh tokens are deleted, so a server that
//! runs for a term does not grow without end. It reads the app's clock (a test or the lab clock
//! drives it without sleeping) and deletes in small batches on the blocking pool, so requests
//! keep being answered while it runs.

use std::time::{Duration, Instant};

use crate::classroom::Classroom;
use crate::clock::Clock;
use crate::db::{Db, Pool};
use crate::schemes::{jwt, session};
use crate::state::{LastSweep, SweepReport};

/// Rows deleted per statement: small enough that the write lock is held for about a millisecond.
const BATCH: i64 = 500;

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

/// Sweeps every lab every `every`, for as long as the server runs (spawned once at start), and
/// removes the private labs idle for `--lab-idle`. One lab's failure is logged and the others
/// are still swept.
pub async fn every(every: Duration, classroom: actix_web::web::Data<Classroom>) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        for lab in classroom.all() {
            if let Err(e) = sweep(&lab.pool, &lab.state.clock, &lab.state.last_sweep).await {
                tracing::error!(lab = %lab.id, error = %format!("{e:#}"), "sweep failed");
            }
        }
        let removed = classroom.remove_idle(crate::classroom::now()).await;
        if removed > 0 {
            tracing::info!(removed, "removed idle labs");
        }
    }
}
