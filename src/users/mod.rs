//! The custom user model of the notes: e-mail login, `created_at` set once, `updated_at` on every save.
//!
//! Django's `auto_now_add` / `auto_now` made explicit: [`insert`] stamps both timestamps,
//! [`save`] stamps `updated_at` only, and a trigger in the schema refuses any change to `created_at`.

pub mod auth;
pub mod demo;
pub mod email;
pub mod hashing;
pub mod password;
pub mod throttle;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

pub use email::Email;

/// A row of the `users` table.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    /// Primary key; `user_id` in tokens.
    pub id: i64,
    /// Login name, stored trimmed and lowercased.
    pub email: String,
    /// Display name; may change (and moves `updated_at` when it does).
    pub username: String,
    /// argon2id PHC string. Never serialized.
    #[serde(skip)]
    pub password: String,
    /// Inactive users cannot log in with any scheme.
    pub is_active: bool,
    /// Staff flag (shown, not used for anything yet).
    pub is_staff: bool,
    /// Set once, on insert (`auto_now_add`).
    pub created_at: DateTime<Utc>,
    /// Set on every save (`auto_now`).
    pub updated_at: DateTime<Utc>,
    /// Set by every successful login.
    pub last_login: Option<DateTime<Utc>>,
    /// How many times the password was changed: a login that verified version N may write its
    /// credential only while the user is still at N ([`password_still`]).
    pub password_version: i64,
}

impl User {
    /// The PHC string's parameters only, e.g. `$argon2id$v=19$m=19456,t=2,p=1$…`: it teaches hashing
    /// without showing the salt or the hash.
    pub fn password_parameters(&self) -> String {
        password::phc_parameters(&self.password)
    }
}

/// What an authenticated request needs of its user: who, and whether they may log in. Reading
/// only this (no password, no timestamps to parse) keeps the per-request lookup small.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    /// `users.id`.
    pub id: i64,
    /// `users.email`.
    pub email: String,
    /// `users.username`.
    pub username: String,
    /// `users.is_active`.
    pub is_active: bool,
}

const ACCOUNT_COLUMNS: &str = "id, email, username, is_active";

/// An [`Account`] from a row of the `id, email, username, is_active` columns (in that order).
pub fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: row.get(0)?,
        email: row.get(1)?,
        username: row.get(2)?,
        is_active: row.get(3)?,
    })
}

/// The account with this id.
pub fn find_account(conn: &Connection, id: i64) -> rusqlite::Result<Option<Account>> {
    conn.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = ?1"
    ))?
    .query_row(params![id], account_from_row)
    .optional()
}

/// What a new user needs; the password is already hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Normalized e-mail.
    pub email: Email,
    /// Validated username.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the account can log in.
    pub is_active: bool,
}

/// Why an insert failed.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// Another user already has this e-mail (case-insensitively).
    #[error("a user with this e-mail already exists")]
    DuplicateEmail,
    /// Any other database failure.
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
}

const COLUMNS: &str = "id, email, username, password, is_active, is_staff, created_at, updated_at, last_login, password_version";

fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        username: row.get(2)?,
        password: row.get(3)?,
        is_active: row.get(4)?,
        is_staff: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
        last_login: row.get(8)?,
        password_version: row.get(9)?,
    })
}

/// The user with this id.
pub fn find(conn: &Connection, id: i64) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"))?
        .query_row(params![id], from_row)
        .optional()
}

/// The user with this address, [`Email::normalize`]d first (so compared case-insensitively).
pub fn find_by_email(conn: &Connection, address: &str) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE email = ?1"))?
        .query_row(params![Email::normalize(address)], from_row)
        .optional()
}

/// The e-mail addresses of every user called `username` (usernames are not unique here: the
/// JWT page's default-user-model lab says so when two share one), at most `limit`.
pub fn emails_with_username(
    conn: &Connection,
    username: &str,
    limit: i64,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT email FROM users WHERE username = ?1 ORDER BY id LIMIT ?2")?;
    stmt.query_map(params![username, limit], |r| r.get(0))?
        .collect()
}

/// Every user, in id order.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users ORDER BY id"))?;
    stmt.query_map([], from_row)?.collect()
}

/// Inserts a user, stamping `created_at` and `updated_at` with `now` (`auto_now_add`).
pub fn insert(conn: &Connection, new: &NewUser, now: DateTime<Utc>) -> Result<User, InsertError> {
    let inserted = conn.execute(
        "INSERT INTO users (email, username, password, is_active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (email) DO NOTHING",
        params![
            new.email.as_str(),
            new.username,
            new.password_hash,
            new.is_active,
            now
        ],
    )?;
    if inserted == 0 {
        return Err(InsertError::DuplicateEmail);
    }
    let id = conn.last_insert_rowid();
    find(conn, id)?.ok_or(InsertError::Db(rusqlite::Error::QueryReturnedNoRows))
}

/// Changes the username and stamps `updated_at` with `now` (`auto_now`); `created_at` is never
/// written after insert. Only the changed column is written, so concurrent changes to other
/// columns are not lost. `false` when there is no such user.
pub fn rename(
    conn: &Connection,
    id: i64,
    username: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE users SET username = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, username, now],
    )? == 1)
}

/// Replaces the password hash, counts the change and stamps `updated_at` with `now` — only if the
/// password is still at `verified_version`, the one the caller checked the current password
/// against (compare-and-set). `false` when another change came first, or there is no such user.
pub fn set_password(
    conn: &Connection,
    id: i64,
    verified_version: i64,
    password_hash: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE users SET password = ?3, password_version = password_version + 1, updated_at = ?4
         WHERE id = ?1 AND password_version = ?2",
        params![id, verified_version, password_hash, now],
    )? == 1)
}

/// Runs `write` — the write of a credential a login earned — in one transaction with the check
/// that `user`'s password is still the one the login verified: `None`, and nothing written, when
/// a password change committed in between (the old password no longer earns anything).
pub fn while_password_unchanged<T>(
    conn: &Connection,
    user: &User,
    write: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    crate::db::in_transaction(conn, |c| {
        if password_still(c, user.id, user.password_version)? {
            write(c).map(Some)
        } else {
            Ok(None)
        }
    })
}

/// Whether the user's password is still the one a login verified (`version`). Run it in the
/// transaction that writes the login's credential.
pub fn password_still(conn: &Connection, id: i64, version: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND password_version = ?2)",
    )?
    .query_row(params![id, version], |r| r.get(0))
}

/// Records a successful login. Like Django's `update_last_login`, it touches `last_login` only.
pub fn record_login(conn: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE users SET last_login = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

/// Checks a username the way Django does: 1–150 characters, letters, digits and `@ . + - _`.
pub fn validate_username(raw: &str) -> Result<String, UsernameError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(UsernameError::Blank);
    }
    if name.chars().count() > 150 {
        return Err(UsernameError::TooLong);
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '@' | '.' | '+' | '-' | '_'))
    {
        return Err(UsernameError::BadCharacters);
    }
    Ok(name.to_owned())
}

/// Why a username was refused. The catalog key of each is `username.error.<variant>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Empty after trimming.
    #[error("This field may not be blank.")]
    Blank,
    /// Over 150 characters.
    #[error("Ensure this field has no more than 150 characters.")]
    TooLong,
    /// Anything but letters, digits and `@ . + - _`.
    #[error(
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
    )]
    BadCharacters,
}

impl UsernameError {
    /// The catalog key that explains this error on a page.
    pub fn key(self) -> &'static str {
        match self {
            UsernameError::Blank => "form.error.blank",
            UsernameError::TooLong => "form.error.username_too_long",
            UsernameError::BadCharacters => "form.error.username_characters",
        }
    }
}

/// Deletes every user and starts their ids again (the lab's "reset everything"; the rooms'
/// rows go first).
pub fn reset(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("DELETE FROM users; DELETE FROM sqlite_sequence WHERE name = 'users';")
}

/// Deletes one user; their sessions, key and refresh tokens go with them (`ON DELETE CASCADE`).
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn db() -> (tempfile::TempDir, crate::db::Pool) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pool = crate::db::open(&dir.path().join("t.sqlite3")).expect("opens");
        (dir, pool)
    }

    #[test]
    fn saving_moves_updated_at_and_never_created_at() {
        let (_dir, pool) = db();
        let conn = pool.get().expect("a connection");
        let t0 = Utc::now();
        let new = NewUser {
            email: Email::parse("dana@example.com").expect("valid"),
            username: "dana".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
            is_active: true,
        };
        let user = insert(&conn, &new, t0).expect("inserted");
        assert_eq!(user.created_at, user.updated_at);

        assert!(rename(&conn, user.id, "dana2", t0 + Duration::minutes(5)).expect("saved"));
        let stored = find(&conn, user.id).expect("query").expect("row");
        assert_eq!(stored.username, "dana2");
        assert_eq!(stored.created_at, t0);
        assert_eq!(stored.updated_at, t0 + Duration::minutes(5));

        let forced = conn.execute(
            "UPDATE users SET created_at = ?2 WHERE id = ?1",
            params![user.id, t0 + Duration::days(1)],
        );
        assert!(forced.is_err(), "the schema refuses to move created_at");
    }

    #[test]
    fn a_second_user_with_the_same_email_in_another_case_is_a_duplicate() {
        let (_dir, pool) = db();
        let conn = pool.get().expect("a connection");
        let new = |email: &str| NewUser {
            email: Email::parse(email).expect("valid"),
            username: "x".into(),
            password_hash: "h".into(),
            is_active: true,
        };
        insert(&conn, &new("erin@example.com"), Utc::now()).expect("first");
        assert!(matches!(
            insert(&conn, &new("ERIN@example.com"), Utc::now()),
            Err(InsertError::DuplicateEmail)
        ));
    }

    #[test]
    fn usernames_follow_django_s_rules() {
        assert_eq!(validate_username(" 김철수 "), Ok("김철수".to_owned()));
        assert_eq!(
            validate_username("a.b+c-d_e@f"),
            Ok("a.b+c-d_e@f".to_owned())
        );
        assert_eq!(validate_username(""), Err(UsernameError::Blank));
        assert_eq!(validate_username("a b"), Err(UsernameError::BadCharacters));
        assert_eq!(
            validate_username(&"x".repeat(151)),
            Err(UsernameError::TooLong)
        );
    }
}
