//! The server-load lab's rows: throwaway anonymous sessions by the thousand, and what they cost
//! the server, measured (claim 7: sessions load the server; a request does not get dearer).

use rusqlite::{Connection, params};
use serde::Serialize;

use super::store::{LOAD_LAB_AGENT, Totals, select_live, totals};
use actix_session::storage::generate_session_key;

/// Creates `count` throwaway anonymous sessions in one transaction (the server-load lab).
pub fn create_load(c: &Connection, count: usize, now: i64, ttl: i64) -> rusqlite::Result<usize> {
    crate::db::in_transaction(c, |c| {
        let mut stmt = c.prepare_cached(
            "INSERT INTO sessions (session_key, state, user_id, created_at, last_seen_at, expires_at, user_agent)
             VALUES (?1, ?2, NULL, ?3, ?3, ?4, ?5)",
        )?;
        for _ in 0..count {
            let key: String = generate_session_key().into();
            stmt.execute(params![
                key,
                r#"{"authlab.visited_at":"0"}"#,
                now,
                now + ttl,
                LOAD_LAB_AGENT
            ])?;
        }
        Ok(count)
    })
}

/// Removes the server-load lab's rows.
pub fn clear_load(c: &Connection) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM sessions WHERE user_agent = ?1",
        params![LOAD_LAB_AGENT],
    )
}

/// What the server-load lab measures on this server, at the table's present size: the cost of
/// one request (a session read by key), which stays flat, beside the costs that grow with every
/// session the server keeps.
#[derive(Debug, Clone, Serialize)]
pub struct LoadCost {
    /// Rows, live rows and bytes of session data.
    pub totals: Totals,
    /// The database file: pages in use times the page size.
    pub file_bytes: i64,
    /// One session read by its key, as every request makes it (the median of up to 101 reads
    /// of existing rows), in microseconds.
    pub lookup_us: f64,
    /// Counting every row and its bytes (what a report or an unindexed sweep reads), in ms.
    pub count_ms: f64,
    /// Ending every load-lab session at once, as a sweep does when they all expire (one
    /// `DELETE`, then rolled back so nothing is lost), in ms.
    pub end_all_ms: f64,
    /// SQLite's plan for the per-request read: a search through the `session_key` index, one
    /// row whatever the table's size.
    pub lookup_plan: String,
    /// SQLite's plan for counting them all: a scan of every row.
    pub count_plan: String,
}

/// SQLite's query plan for `sql`, its steps joined (`SEARCH s USING INDEX …`).
fn plan(c: &Connection, sql: &str) -> rusqlite::Result<String> {
    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let steps: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(3))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(steps.join("; "))
}

/// Measures [`LoadCost`]. Nothing is changed: the `DELETE` runs inside a savepoint that is
/// rolled back.
pub fn measure_load(c: &Connection, now: i64) -> rusqlite::Result<LoadCost> {
    use std::time::Instant;
    let ms = |started: Instant| started.elapsed().as_secs_f64() * 1000.0;

    let keys: Vec<String> = c
        .prepare("SELECT session_key FROM sessions ORDER BY id DESC LIMIT 101")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut reads: Vec<f64> = Vec::with_capacity(keys.len());
    for key in &keys {
        let started = Instant::now();
        let _ = select_live(c, key, now)?;
        reads.push(ms(started) * 1000.0);
    }
    reads.sort_by(f64::total_cmp);
    let lookup_us = reads.get(reads.len() / 2).copied().unwrap_or_default();

    let started = Instant::now();
    let totals = totals(c, now)?;
    let count_ms = ms(started);

    c.execute_batch("SAVEPOINT measure_load")?;
    let started = Instant::now();
    let deleted = c.execute(
        "DELETE FROM sessions WHERE user_agent = ?1",
        params![LOAD_LAB_AGENT],
    );
    let end_all_ms = ms(started);
    if let Err(e) = c.execute_batch("ROLLBACK TO measure_load; RELEASE measure_load") {
        // Never hand a pooled connection back inside a write transaction.
        let _ = c.execute_batch("ROLLBACK");
        return Err(e);
    }
    deleted?;

    let file_bytes = c.query_row(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| r.get(0),
    )?;
    Ok(LoadCost {
        totals,
        file_bytes,
        lookup_us,
        count_ms,
        end_all_ms,
        lookup_plan: plan(
            c,
            "SELECT s.state, s.last_seen_at FROM sessions s LEFT JOIN users u ON u.id = s.user_id
             WHERE s.session_key = 'k' AND s.expires_at > 0 AND (s.user_id IS NULL OR u.is_active = 1)",
        )?,
        count_plan: plan(
            c,
            "SELECT COUNT(*), SUM(LENGTH(state)) FROM sessions",
        )?,
    })
}
