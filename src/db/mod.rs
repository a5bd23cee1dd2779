//! SQLite behind an r2d2 pool: migrations on start, and `Db::run`, the one door every query goes through.
//!
//! `Db::run` moves the work to the blocking pool and records, for the current request, how many
//! statements ran and how long the database took: that is what the `Server-Timing` header reports.

pub mod settings;

use std::cell::Cell;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite_migration::{M, Migrations};

use crate::meter::Meter;

/// The connection pool.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/0001_foundation.sql")),
    M::up(include_str!("migrations/0002_sessions.sql")),
    M::up(include_str!("migrations/0003_authtoken.sql")),
    M::up(include_str!("migrations/0004_jwt.sql")),
    M::up(include_str!("migrations/0005_password_version.sql")),
    M::up(include_str!("migrations/0006_lab_progress.sql")),
];

thread_local! {
    /// Statements finished on this thread since the last `Db::run` began.
    static STATEMENTS: Cell<u32> = const { Cell::new(0) };
}

fn count_statement(event: TraceEvent<'_>) {
    if let TraceEvent::Profile(..) = event {
        STATEMENTS.with(|n| n.set(n.get() + 1));
    }
}

/// Checks that `path` can serve as the database, in well under a second, and says exactly what is
/// wrong when it cannot: its folder exists, it is not a folder itself, it is an intact SQLite
/// database (`PRAGMA quick_check`) or empty, and it can be written. Creates it when missing.
fn check_usable(path: &Path) -> anyhow::Result<()> {
    let shown = path.display();
    if path.is_dir() {
        anyhow::bail!("the database {shown} is a folder, not a file: give --db the path of a file");
    }
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.is_dir()
    {
        anyhow::bail!(
            "cannot create the database {shown}: the folder {} does not exist (create it, or give --db another path)",
            folder.display()
        );
    }
    // SQLite writes the file and, beside it, its journal: both must be writable (a read-only
    // mount otherwise shows up as "unable to open database file", which says nothing).
    let unwritable = |e: std::io::Error| {
        anyhow::anyhow!(
            "the database {shown} cannot be written ({e}): check the permissions of the file and its folder, and that the disk is not mounted read-only"
        )
    };
    if path.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(unwritable)?;
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let probe = folder.join(format!(".authlab-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(unwritable)?;
    let _ = std::fs::remove_file(&probe);
    let conn =
        Connection::open(path).with_context(|| format!("cannot open the database {shown}"))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| {
            anyhow::anyhow!(
                "the database {shown} is not a usable SQLite database ({e}): restore a backup, or move the file away to start afresh"
            )
        })?;
    if verdict != "ok" {
        anyhow::bail!(
            "the database {shown} is damaged (quick_check: {verdict}): restore a backup, or move the file away to start afresh"
        );
    }
    // WAL once here, on one connection: the pool's connections then find it set and do not race
    // for the lock that switching a fresh file takes.
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .with_context(|| format!("cannot open the database {shown}"))?;
    // A real write, rolled back: a read-only file, folder or mount fails here, not at the first login.
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; PRAGMA user_version = {version}; CREATE TABLE authlab_write_check (x); ROLLBACK;"
    ))
    .map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        anyhow::anyhow!(
            "the database {shown} cannot be written ({e}): check the permissions of the file and its folder, and that the disk is not mounted read-only"
        )
    })?;
    Ok(())
}

/// Applies pending migrations. Two servers starting at once on a new file both try; the loser
/// of a race waits for the winner's transaction and finds the migrations applied.
fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let migrations = Migrations::from_slice(MIGRATIONS);
    let mut last = None;
    for _ in 0..50 {
        let mut conn = pool.get()?;
        match migrations.to_latest(&mut conn) {
            Ok(()) => return Ok(()),
            Err(e) => {
                // Only a race with another server starting (a lock, a table it just made) is
                // worth another try; anything else is said at once.
                let text = e.to_string();
                if !(text.contains("already exists")
                    || text.contains("locked")
                    || text.contains("busy"))
                {
                    return Err(anyhow::Error::new(e).context("cannot migrate the database"));
                }
                last = Some(e);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Err(last.map_or_else(|| anyhow::anyhow!("no attempt"), anyhow::Error::new))
        .context("cannot migrate the database")
}

/// Opens (creating if needed) the database file, applies pending migrations and returns a pool.
/// A file that cannot serve is refused at once with one line saying why ([`check_usable`]).
pub fn open(path: &Path) -> anyhow::Result<Pool> {
    check_usable(path)?;
    open_sized(path, 8, 2)
}

/// [`open`] with a smaller pool: a learner's private lab, one of up to a few hundred, keeps at
/// most three connections and opens them as requests need them. `checked: false` skips the
/// integrity check, for a file just copied from a template that passed it.
pub fn open_small(path: &Path, checked: bool) -> anyhow::Result<Pool> {
    if checked {
        check_usable(path)?;
    }
    open_sized(path, 3, 0)
}

fn open_sized(path: &Path, max: u32, min_idle: u32) -> anyhow::Result<Pool> {
    let manager = SqliteConnectionManager::file(path).with_init(|conn| {
        // busy_timeout first: the pool opens connections in parallel, and switching a fresh
        // file to WAL takes a lock the others must wait for rather than fail on.
        conn.execute_batch(
            "PRAGMA busy_timeout = 5000;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;",
        )?;
        conn.trace_v2(TraceEventCodes::SQLITE_TRACE_PROFILE, Some(count_statement));
        Ok(())
    });
    // No test query on every check-out (r2d2's default): a connection to a local file does not
    // go stale the way a network connection does, and the test cost a statement per request.
    let pool = r2d2::Pool::builder()
        .test_on_check_out(false)
        .max_size(max)
        .min_idle(Some(min_idle))
        .connection_timeout(std::time::Duration::from_secs(5))
        .build(manager)
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    migrate(&pool)?;
    Ok(pool)
}

/// Runs `work` with a pooled connection on the calling thread (for start-up and tools, not handlers).
pub fn with_conn<T>(pool: &Pool, work: impl FnOnce(&Connection) -> T) -> anyhow::Result<T> {
    let conn = pool.get()?;
    Ok(work(&conn))
}

/// Runs `work` inside `BEGIN IMMEDIATE … COMMIT` (the write lock taken up front, so two racing
/// writers queue instead of failing); rolls back when `work` or the commit fails, so a pooled
/// connection is never handed back with a transaction still open.
pub fn in_transaction<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    match work(conn).and_then(|value| conn.execute_batch("COMMIT").map(|()| value)) {
        Ok(value) => Ok(value),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Why [`Db::run`] could not run its work (the work's own SQL errors are its own result).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Every connection stayed busy past the pool's timeout.
    #[error("no database connection available: {0}")]
    NoConnection(#[from] r2d2::Error),
    /// The blocking thread running the work failed.
    #[error("the blocking pool failed: {0}")]
    Blocking(#[from] tokio::task::JoinError),
}

/// A handle on the database whose every call is counted on the current request's meter.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    /// A handle on `pool`.
    pub fn new(pool: Pool) -> Self {
        Db { pool }
    }

    /// Runs `work` on the blocking pool with one connection, counting its statements and time.
    pub async fn run<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&Connection) -> T + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let started = Instant::now();
        let (value, statements) =
            tokio::task::spawn_blocking(move || -> Result<(T, u32), DbError> {
                let conn = pool.get()?;
                STATEMENTS.with(|n| n.set(0));
                let value = work(&conn);
                Ok((value, STATEMENTS.with(Cell::get)))
            })
            .await??;
        Meter::current().add_db(started.elapsed(), statements);
        Ok(value)
    }

    /// Runs a short indexed read on the calling thread: such a lookup costs microseconds, less than
    /// handing it to the blocking pool and back. Counted like [`Db::run`]. When every connection
    /// is busy it falls back to the blocking pool rather than wait here. Writes, scans and anything
    /// long go through [`Db::run`].
    pub async fn read<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&Connection) -> T + Send + 'static,
        T: Send + 'static,
    {
        let Some(conn) = self.pool.try_get() else {
            return self.run(work).await;
        };
        let started = Instant::now();
        STATEMENTS.with(|n| n.set(0));
        let value = work(&conn);
        Meter::current().add_db(started.elapsed(), STATEMENTS.with(Cell::get));
        Ok(value)
    }

    /// The pool, for code that must outlive the request.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}
