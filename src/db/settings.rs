//! The `settings` table: generated secrets that must survive a restart.

use rand::Rng;
use rusqlite::{Connection, OptionalExtension, params};

/// Returns the stored value named `name`, generating `len` random bytes and storing them the first time.
pub fn get_or_generate(conn: &Connection, name: &str, len: usize) -> rusqlite::Result<Vec<u8>> {
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM settings WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(value) = stored.filter(|v| v.len() >= len) {
        return Ok(value);
    }
    let mut value = vec![0u8; len];
    rand::rng().fill_bytes(&mut value);
    conn.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(value)
}

/// Replaces the value named `name` with fresh random bytes (the key-rotation lab).
pub fn regenerate(conn: &Connection, name: &str, len: usize) -> rusqlite::Result<Vec<u8>> {
    conn.execute("DELETE FROM settings WHERE name = ?1", params![name])?;
    get_or_generate(conn, name, len)
}

/// The stored value named `name`, if there is one.
pub fn get(conn: &Connection, name: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT value FROM settings WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )
    .optional()
}

/// Stores `value` as `name` unless a value is stored already; returns the one kept (so that two
/// callers making a value at once both end up with the first one stored).
pub fn keep_first(conn: &Connection, name: &str, value: &[u8]) -> rusqlite::Result<Vec<u8>> {
    conn.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, value],
    )?;
    Ok(get(conn, name)?.unwrap_or_else(|| value.to_vec()))
}
