//! The `authtoken_token` table, as DRF keeps it: one random 40-hex key per user, no expiry.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// A fresh key: 20 bytes from the OS's CSPRNG as 40 lowercase hex characters (DRF's `generate_key`).
pub fn generate_key() -> String {
    crate::web::random_hex(20)
}

/// A row of `authtoken_token`.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    /// The key itself, stored as is (as DRF does).
    pub key: String,
    /// Its owner.
    pub user_id: i64,
    /// When it was created (Unix seconds, lab clock).
    pub created: i64,
}

/// The user's key, created if they have none (`Token.objects.get_or_create(user=user)`).
pub fn get_or_create(c: &Connection, user_id: i64, now: i64) -> rusqlite::Result<String> {
    c.prepare_cached(
        "INSERT INTO authtoken_token (key, user_id, created) VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO NOTHING",
    )?
    .execute(params![generate_key(), user_id, now])?;
    c.prepare_cached("SELECT key FROM authtoken_token WHERE user_id = ?1")?
        .query_row(params![user_id], |r| r.get(0))
}

/// Replaces the user's key with a new one; the old key stops working at once.
pub fn regenerate(c: &Connection, user_id: i64, now: i64) -> rusqlite::Result<String> {
    let key = generate_key();
    c.execute(
        "INSERT INTO authtoken_token (key, user_id, created) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET key = excluded.key, created = excluded.created",
        params![key, user_id, now],
    )?;
    Ok(key)
}

/// Deletes the user's key: every device using it is logged out.
pub fn delete(c: &Connection, user_id: i64) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM authtoken_token WHERE user_id = ?1",
        params![user_id],
    )
}

/// The user's row, if any.
pub fn for_user(c: &Connection, user_id: i64) -> rusqlite::Result<Option<TokenRow>> {
    c.query_row(
        "SELECT key, user_id, created FROM authtoken_token WHERE user_id = ?1",
        params![user_id],
        |r| {
            Ok(TokenRow {
                key: r.get(0)?,
                user_id: r.get(1)?,
                created: r.get(2)?,
            })
        },
    )
    .optional()
}

/// Rows in the table (one per user who ever logged in, until deleted).
pub fn count(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("SELECT COUNT(*) FROM authtoken_token", [], |r| r.get(0))
}

/// Every key the server keeps: rows, and the bytes of the keys stored.
pub fn kept_total(c: &Connection) -> rusqlite::Result<(i64, i64)> {
    c.prepare_cached("SELECT COUNT(*), COALESCE(SUM(LENGTH(key)), 0) FROM authtoken_token")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// The rows the server keeps for one user's key (one however often they log in), and the bytes
/// of the key stored.
pub fn kept_for_user(c: &Connection, user_id: i64) -> rusqlite::Result<(i64, i64)> {
    c.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(key)), 0) FROM authtoken_token WHERE user_id = ?1",
    )?
    .query_row(params![user_id], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// The account a DRF key belongs to: one indexed lookup joining the key and its user.
pub fn account_for_key(
    conn: &Connection,
    key: &str,
) -> rusqlite::Result<Option<crate::users::Account>> {
    conn.prepare_cached(
        "SELECT u.id, u.email, u.username, u.is_active
         FROM authtoken_token t JOIN users u ON u.id = t.user_id WHERE t.key = ?1",
    )?
    .query_row(params![key], crate::users::account_from_row)
    .optional()
}

/// Deletes every key (the lab's "reset everything").
pub fn reset(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch("DELETE FROM authtoken_token;")
}

#[cfg(test)]
mod tests {
    use super::generate_key;

    #[test]
    fn keys_are_40_lowercase_hex_and_never_repeat() {
        let keys: std::collections::HashSet<String> = (0..1000).map(|_| generate_key()).collect();
        assert_eq!(keys.len(), 1000);
        assert!(keys.iter().all(|k| {
            k.len() == 40
                && k.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }));
    }
}
