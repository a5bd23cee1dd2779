//! `SqliteSessionStore`: actix-session's `SessionStore` on the `sessions` table.
//!
//! The idle timeout and the absolute lifetime are enforced here, on the app clock: a row is
//! usable while `expires_at` (= the earlier of last-seen + idle and created + max) is ahead.
//! A read costs one query; the last-seen time is written at most once a minute, not on every read.
//! Logout, revocation and renewal delete the row: nothing usable is left behind. Rows that
//! expired are deleted by the periodic sweep (`pages::sweep`, through [`sweep_expired`]), in
//! batches, and at once when the lab clock jumps.

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration as CookieDuration;
use anyhow::anyhow;
use chrono::Duration;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::clock::Clock;
use crate::db::{Db, Pool};
use crate::schemes::identity::PASSWORD_VERSION;

/// The last-seen time is written at most this often (seconds): a read is a read, not a write.
pub const TOUCH_EVERY_SECS: i64 = 60;
/// Session-state key of the browser's user agent (set at login).
pub const USER_AGENT: &str = "authlab.user_agent";
/// Session-state key actix-identity keeps the user id under.
const IDENTITY_KEY: &str = "actix_identity.user_id";
/// `user_agent` of the throwaway rows the server-load lab creates.
pub const LOAD_LAB_AGENT: &str = "authlab server-load lab";

/// Sessions in SQLite, with expiry on the app clock.
#[derive(Clone)]
pub struct SqliteSessionStore {
    db: Db,
    clock: Clock,
    idle: i64,
    max: i64,
}

impl SqliteSessionStore {
    /// A store over `pool` ending sessions after `idle` without a request or `max` after login.
    pub fn new(pool: Pool, clock: Clock, idle: Duration, max: Duration) -> Self {
        SqliteSessionStore {
            db: Db::new(pool),
            clock,
            idle: idle.num_seconds(),
            max: max.num_seconds(),
        }
    }

    /// The database of the lab this request is in: a private lab's, or the one the store was
    /// made with (the default lab's).
    fn db(&self) -> Db {
        match crate::state::current_lab() {
            Some((pool, _)) => Db::new(pool),
            None => self.db.clone(),
        }
    }

    /// The clock of the lab this request is in.
    fn clock(&self) -> Clock {
        match crate::state::current_lab() {
            Some((_, clock)) => clock,
            None => self.clock.clone(),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        Ok(self.db().run(work).await.map_err(anyhow::Error::new)??)
    }

    /// Stores a new session. A login in it is written only while the user's password is still
    /// the one the login verified ([`PASSWORD_VERSION`]), checked by the insert itself; a login
    /// that raced a password change and lost is stored without its login, as a guest session.
    async fn insert(&self, state: &HashMap<String, String>) -> anyhow::Result<SessionKey> {
        let row = NewRow::from_state(state, self.clock().unix(), self.idle, self.max)?;
        let guest = row.password_version.is_some().then(|| {
            let anonymous: HashMap<String, String> = state
                .iter()
                .filter(|(k, _)| !is_login_key(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            NewRow::from_state(&anonymous, row.now, self.idle, self.max)
        });
        let guest = guest.transpose()?;
        let key = generate_session_key();
        let session_key: String = key.as_ref().to_owned();
        self.run(move |c| {
            let insert = |row: &NewRow| {
                c.prepare_cached(
                    "INSERT INTO sessions (session_key, state, user_id, created_at, last_seen_at, expires_at, user_agent)
                     SELECT ?1, ?2, ?3, ?4, ?4, ?5, ?6
                     WHERE ?7 IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = ?3 AND password_version = ?7)",
                )?
                .execute(params![session_key, row.state, row.user_id, row.now, row.expires_at, row.user_agent, row.password_version])
            };
            match (insert(&row)?, &guest) {
                (0, Some(guest)) => insert(guest),
                (written, _) => Ok(written),
            }
        })
        .await?;
        Ok(key)
    }
}

/// The columns derived from a session's state.
struct NewRow {
    state: String,
    user_id: Option<i64>,
    user_agent: Option<String>,
    /// The password version its login verified, when it holds a login.
    password_version: Option<i64>,
    now: i64,
    expires_at: i64,
}

/// Whether a session-state key belongs to the login or to authlab (actix-identity's keys and every
/// `authlab.` one, [`PASSWORD_VERSION`] included): what a guest copy of a state leaves out.
fn is_login_key(key: &str) -> bool {
    key.starts_with("actix_identity.") || key.starts_with("authlab.")
}

impl NewRow {
    fn from_state(
        state: &HashMap<String, String>,
        now: i64,
        idle: i64,
        max: i64,
    ) -> anyhow::Result<Self> {
        let decode = |key: &str| {
            state
                .get(key)
                .and_then(|v| serde_json::from_str::<String>(v).ok())
        };
        Ok(NewRow {
            state: serde_json::to_string(state)?,
            user_id: decode(IDENTITY_KEY).and_then(|id| id.parse().ok()),
            user_agent: decode(USER_AGENT),
            password_version: state.get(PASSWORD_VERSION).and_then(|v| v.parse().ok()),
            now,
            expires_at: now + idle.min(max),
        })
    }
}

impl SessionStore for SqliteSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        let key = session_key.as_ref().to_owned();
        let (now, idle, max) = (self.clock().unix(), self.idle, self.max);
        let lookup = key.clone();
        let row = self
            .db()
            .read(move |c| select_live(c, &lookup, now))
            .await
            .map_err(|e| LoadError::Other(anyhow::Error::new(e)))?
            .map_err(|e| LoadError::Other(e.into()))?;
        let Some((json, last_seen)) = row else {
            return Ok(None);
        };
        if now - last_seen >= TOUCH_EVERY_SECS {
            self.run(move |c| touch(c, &key, now, idle, max))
                .await
                .map_err(LoadError::Other)?;
        }
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        self.insert(&session_state).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let row = NewRow::from_state(&session_state, self.clock().unix(), self.idle, self.max)
            .map_err(UpdateError::Serialization)?;
        let key = session_key.as_ref().to_owned();
        let updated = self
            .run(move |c| {
                c.prepare_cached(
                    "UPDATE sessions SET state = ?2, user_id = ?3, user_agent = COALESCE(?4, user_agent)
                     WHERE session_key = ?1 AND expires_at > ?5",
                )?
                .execute(params![key, row.state, row.user_id, row.user_agent, row.now])
            })
            .await
            .map_err(UpdateError::Other)?;
        if updated == 1 {
            Ok(session_key)
        } else {
            // The row was revoked, expired or deleted while this request ran: start a new
            // session, but never carry the login over — a revocation must not come back.
            let anonymous: HashMap<String, String> = session_state
                .into_iter()
                .filter(|(k, _)| !is_login_key(k))
                .collect();
            self.save(anonymous, ttl)
                .await
                .map_err(|e| UpdateError::Other(anyhow!("{e}")))
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        let key = session_key.as_ref().to_owned();
        let (now, idle, max) = (self.clock().unix(), self.idle, self.max);
        self.run(move |c| touch(c, &key, now, idle, max)).await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let key = session_key.as_ref().to_owned();
        self.run(move |c| {
            c.prepare_cached("DELETE FROM sessions WHERE session_key = ?1")?
                .execute(params![key])
        })
        .await?;
        Ok(())
    }
}

/// The state and last-seen time of a live session whose user (if any) is active: one indexed read.
pub fn select_live(c: &Connection, key: &str, now: i64) -> rusqlite::Result<Option<(String, i64)>> {
    c.prepare_cached(
        "SELECT s.state, s.last_seen_at FROM sessions s LEFT JOIN users u ON u.id = s.user_id
         WHERE s.session_key = ?1 AND s.expires_at > ?2 AND (s.user_id IS NULL OR u.is_active = 1)",
    )?
    .query_row(params![key, now], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

/// [`select_live`], then the last-seen refresh when it is due: what a request costs (the benches).
pub fn load_live(
    c: &Connection,
    key: &str,
    now: i64,
    idle: i64,
    max: i64,
) -> rusqlite::Result<Option<String>> {
    let Some((state, last_seen)) = select_live(c, key, now)? else {
        return Ok(None);
    };
    if now - last_seen >= TOUCH_EVERY_SECS {
        touch(c, key, now, idle, max)?;
    }
    Ok(Some(state))
}

fn touch(c: &Connection, key: &str, now: i64, idle: i64, max: i64) -> rusqlite::Result<usize> {
    c.prepare_cached(
        "UPDATE sessions SET last_seen_at = ?2, expires_at = MIN(?2 + ?3, created_at + ?4)
         WHERE session_key = ?1 AND expires_at > ?2",
    )?
    .execute(params![key, now, idle, max])
}

/// A session row as the server panel and the devices page show it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    /// Row id (what the devices page revokes by; the key itself is never shown for other rows).
    pub id: i64,
    /// The session key; only filled for the row of the current request.
    pub session_key: Option<String>,
    /// The first characters of the key, for recognising a row.
    pub key_prefix: String,
    /// The stored state (JSON); only filled for the current row.
    pub state: Option<String>,
    /// The user, or none for an anonymous session.
    pub user_id: Option<i64>,
    /// Created (Unix seconds, lab clock).
    pub created_at: i64,
    /// Last request (Unix seconds, lab clock; written at most once a minute).
    pub last_seen_at: i64,
    /// When it ends unless used again (Unix seconds, lab clock).
    pub expires_at: i64,
    /// The browser that logged in.
    pub user_agent: Option<String>,
    /// Bytes this row's data takes.
    pub bytes: i64,
    /// Whether this is the row of the current request.
    pub current: bool,
}

const ROW_COLUMNS: &str =
    "id, session_key, state, user_id, created_at, last_seen_at, expires_at, user_agent,
    LENGTH(session_key) + LENGTH(state) + IFNULL(LENGTH(user_agent), 0) + 32";

fn row(r: &rusqlite::Row<'_>, current_key: Option<&str>) -> rusqlite::Result<SessionRow> {
    let key: String = r.get(1)?;
    let current = current_key == Some(key.as_str());
    Ok(SessionRow {
        id: r.get(0)?,
        key_prefix: format!("{}…", &key[..key.len().min(6)]),
        session_key: current.then(|| key.clone()),
        state: if current { Some(r.get(2)?) } else { None },
        user_id: r.get(3)?,
        created_at: r.get(4)?,
        last_seen_at: r.get(5)?,
        expires_at: r.get(6)?,
        user_agent: r.get(7)?,
        bytes: r.get(8)?,
        current,
    })
}

/// The live sessions of a user, oldest first; the current one carries its key and state.
pub fn live_for_user(
    c: &Connection,
    user_id: i64,
    now: i64,
    current_key: Option<&str>,
) -> rusqlite::Result<Vec<SessionRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM sessions WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at, id"
    ))?;
    stmt.query_map(params![user_id, now], |r| row(r, current_key))?
        .collect()
}

/// The row of `key`, live or not (the fixation lab asks whether an old key still resolves).
pub fn by_key(c: &Connection, key: &str) -> rusqlite::Result<Option<SessionRow>> {
    c.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM sessions WHERE session_key = ?1"
    ))?
    .query_row(params![key], |r| row(r, Some(key)))
    .optional()
}

/// Rows and bytes the whole server keeps: the load the notes warn about.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Totals {
    /// Every row, live or expired-but-not-yet-swept.
    pub rows: i64,
    /// Rows still usable.
    pub live: i64,
    /// Bytes of session data.
    pub bytes: i64,
}

/// Counts the table.
pub fn totals(c: &Connection, now: i64) -> rusqlite::Result<Totals> {
    c.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(expires_at > ?1), 0),
                COALESCE(SUM(LENGTH(session_key) + LENGTH(state) + IFNULL(LENGTH(user_agent), 0) + 32), 0)
         FROM sessions",
    )?
    .query_row(params![now], |r| {
        Ok(Totals {
            rows: r.get(0)?,
            live: r.get(1)?,
            bytes: r.get(2)?,
        })
    })
}

/// Deletes one session of `user_id` by row id; false when there is no such row of theirs.
pub fn revoke(c: &Connection, user_id: i64, id: i64) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "DELETE FROM sessions WHERE id = ?1 AND user_id = ?2",
        params![id, user_id],
    )? == 1)
}

/// Deletes every session of `user_id` except the one with `keep_key`; returns how many.
pub fn revoke_others(c: &Connection, user_id: i64, keep_key: &str) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND session_key <> ?2",
        params![user_id, keep_key],
    )
}

/// Deletes up to `batch` sessions that had expired by `now` (the periodic sweep); returns how
/// many. The sweep calls it until it returns fewer than `batch`, so the write lock is held for one
/// small batch at a time and requests keep going in between.
pub fn sweep_expired(c: &Connection, now: i64, batch: i64) -> rusqlite::Result<usize> {
    c.prepare_cached(
        "DELETE FROM sessions WHERE id IN
           (SELECT id FROM sessions WHERE expires_at <= ?1 LIMIT ?2)",
    )?
    .execute(params![now, batch])
}

/// Deletes every session of `user_id` (a password change ends them all); returns how many.
pub fn revoke_all(c: &Connection, user_id: i64) -> rusqlite::Result<usize> {
    c.execute("DELETE FROM sessions WHERE user_id = ?1", params![user_id])
}

/// The rows the server keeps for one user's sessions, and the bytes of what they store (key,
/// state, user agent; SQLite's own overhead not counted) — the compare page's "N logins".
pub fn kept_for_user(c: &Connection, user_id: i64) -> rusqlite::Result<(i64, i64)> {
    c.prepare_cached(
        "SELECT COUNT(*),
                COALESCE(SUM(LENGTH(session_key) + LENGTH(state) + IFNULL(LENGTH(user_agent), 0)), 0)
         FROM sessions WHERE user_id = ?1",
    )?
    .query_row(params![user_id], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Deletes every session and starts the row ids again (the lab's "reset everything").
pub fn reset(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch("DELETE FROM sessions; DELETE FROM sqlite_sequence WHERE name = 'sessions';")
}
