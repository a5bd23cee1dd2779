//! `authenticate`: the one credential check every scheme's login uses.
//!
//! Unknown e-mail, wrong password and inactive account give the same answer after the same work
//! (a dummy argon2 verify for unknown e-mails), so a login form cannot be used to find accounts.

use std::net::IpAddr;

use crate::clock::Clock;
use crate::db::{Db, DbError};
use crate::users::hashing::HashingError;
use crate::users::throttle::{Attempt, LoginThrottle};
use crate::users::{self, User, password};

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown e-mail, wrong password or inactive account: deliberately indistinguishable.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many recent failures; retry after this many seconds.
    #[error("throttled for {0} s")]
    Throttled(u64),
    /// The database or the password threads failed: the server's fault, not the client's.
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// What failed on the server's side while checking or hashing a password.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database could not run the work (no connection, or its thread failed).
    #[error(transparent)]
    Db(#[from] DbError),
    /// A query failed.
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    /// Every password thread was busy, or they stopped.
    #[error(transparent)]
    Hashing(#[from] HashingError),
    /// Hashing itself failed.
    #[error("hashing failed: {0:#}")]
    Hash(anyhow::Error),
}

impl From<DbError> for LoginError {
    fn from(e: DbError) -> Self {
        LoginError::Server(e.into())
    }
}

impl From<rusqlite::Error> for LoginError {
    fn from(e: rusqlite::Error) -> Self {
        LoginError::Server(e.into())
    }
}

impl From<HashingError> for LoginError {
    fn from(e: HashingError) -> Self {
        LoginError::Server(e.into())
    }
}

/// Checks an e-mail and password; on success records `last_login` and returns the user.
pub async fn authenticate(
    db: &Db,
    throttle: &LoginThrottle,
    clock: &Clock,
    email: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<User, LoginError> {
    let now = clock.now();
    let attempt = Attempt::new(email, client);
    throttle
        .check(&attempt, now)
        .map_err(LoginError::Throttled)?;

    // Looked up as typed (trimmed, lowercased), whatever its shape: an address accepted by an
    // older, laxer sign-up still logs in.
    let address = email.to_owned();
    let user = db.run(move |c| users::find_by_email(c, &address)).await??;
    let matches = if password.len() > password::MAX_BYTES {
        false
    } else {
        let password = password.to_owned();
        let stored = user.as_ref().map(|u| u.password.clone());
        crate::users::hashing::off_thread(move || match stored {
            Some(phc) => password::verify(&password, &phc),
            None => {
                password::verify_dummy(&password);
                false
            }
        })
        .await?
    };

    match user {
        Some(mut user) if matches && user.is_active => {
            throttle.record_success(&attempt);
            let id = user.id;
            db.run(move |c| users::record_login(c, id, now)).await??;
            user.last_login = Some(now);
            Ok(user)
        }
        _ => {
            throttle.record_failure(&attempt, now);
            Err(LoginError::InvalidCredentials)
        }
    }
}

/// Hashes a new password on a hashing thread (argon2id is slow on purpose).
pub async fn hash_password(secret: String) -> Result<String, ServerError> {
    crate::users::hashing::off_thread(move || password::hash(&secret))
        .await?
        .map_err(ServerError::Hash)
}
