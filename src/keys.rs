//! The server's four secrets — the key that seals cookie logins (`login_seal`), the key that signs
//! both identity cookies (`cookie_signing`), the JWT secret and the CSRF key — from the environment or
//! generated once and kept in the `settings` table, so a restart keeps everyone logged in; and
//! the ring that swaps the rotating ones in one step.

use actix_web::cookie::Key;
use anyhow::{Context, bail};

use crate::config::Settings;
use crate::db::{self, Pool};
use jsonwebtoken::{DecodingKey, EncodingKey};

/// Bytes in a cookie key (actix signs with half and encrypts with the other half).
pub const COOKIE_KEY_BYTES: usize = 64;
/// Fewest bytes in a JWT secret (HS256 wants at least the hash size).
pub const JWT_SECRET_MIN_BYTES: usize = 32;
/// Fewest bytes in a CSRF key.
pub const CSRF_KEY_MIN_BYTES: usize = 32;

/// An HS256 secret as jsonwebtoken's signing and verifying keys, built once when the secret is
/// loaded or rotated, never per request.
#[derive(Clone)]
pub struct JwtSecret {
    bytes: Vec<u8>,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtSecret {
    /// The secret `bytes`, used as given (HMAC takes keys of any length but none).
    pub fn new(bytes: Vec<u8>) -> anyhow::Result<Self> {
        Ok(JwtSecret {
            encoding: EncodingKey::from_secret(&bytes)?,
            decoding: DecodingKey::from_secret(&bytes)?,
            bytes,
        })
    }

    /// The secret itself (the second-server lab starts its peer with it).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// jsonwebtoken's signing key for it.
    pub fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    /// jsonwebtoken's verifying key for it.
    pub fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret([redacted])")
    }
}

/// The keys in force, swappable as a whole (the key-rotation lab): each request takes a cheap
/// shared handle on the set in force.
#[derive(Debug)]
pub struct KeyRing {
    current: std::sync::RwLock<std::sync::Arc<Keys>>,
}

impl KeyRing {
    /// A ring holding `keys`.
    pub fn new(keys: Keys) -> Self {
        KeyRing {
            current: std::sync::RwLock::new(std::sync::Arc::new(keys)),
        }
    }

    /// The keys in force now.
    pub fn current(&self) -> std::sync::Arc<Keys> {
        match self.current.read() {
            Ok(keys) => std::sync::Arc::clone(&keys),
            Err(poisoned) => std::sync::Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts `keys` in force.
    pub fn replace(&self, keys: Keys) {
        let keys = std::sync::Arc::new(keys);
        match self.current.write() {
            Ok(mut current) => *current = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
    }
}

/// The keys in force.
#[derive(Clone)]
pub struct Keys {
    /// The cookie room's key: it seals every cookie login (the seal inside the signed state), so
    /// replacing it — the key-rotation lab — ends them all at once.
    pub login_seal: Key,
    /// Signs both rooms' identity cookies, `authlab_cookie` and `sessionid`, each under a key
    /// derived for its name. Never rotated: the session middleware keeps the key it started
    /// with, so a rotated one would not survive a restart (the seal does the ending), and
    /// rotating must leave server-side sessions alive, which is the lesson of the rotation row.
    pub cookie_signing: Key,
    /// HS256 secret for JWTs, used as given.
    pub jwt: JwtSecret,
    /// HMAC key for CSRF tokens.
    pub csrf: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

impl Keys {
    /// The signing key of one cookie: HMAC-SHA512(base key, cookie name). Each cookie name gets
    /// its own key, so a value signed for one cookie is never valid under another name.
    pub fn derive(base: &Key, cookie_name: &str) -> Key {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha512> as Mac>::new_from_slice(base.master())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(cookie_name.as_bytes());
        Key::from(&mac.finalize().into_bytes())
    }

    /// Replaces the cookie key and the JWT secret with fresh random ones, in the database too
    /// (the key-rotation lab). The CSRF and signing keys stay.
    pub fn rotate(&self, pool: &Pool) -> anyhow::Result<Keys> {
        let (cookie, jwt) = db::with_conn(pool, |c| -> rusqlite::Result<_> {
            Ok((
                db::settings::regenerate(c, "cookie_key", COOKIE_KEY_BYTES)?,
                db::settings::regenerate(c, "jwt_secret", JWT_SECRET_MIN_BYTES)?,
            ))
        })??;
        Ok(Keys {
            login_seal: Key::from(&cookie[..COOKIE_KEY_BYTES]),
            jwt: JwtSecret::new(jwt)?,
            ..self.clone()
        })
    }

    /// The keys of a learner's private lab: its own login seal, JWT secret and CSRF key, stored
    /// in its own database (so nothing one lab signs is valid in another, whatever secrets the
    /// server was given), and the server's cookie-signing key, which the session middleware of
    /// every lab shares.
    pub fn for_lab(server: &Keys, pool: &Pool) -> anyhow::Result<Keys> {
        // One transaction: a class opening its labs at once pays one commit per lab, not three.
        let (seal, jwt, csrf) = db::with_conn(pool, |c| {
            db::in_transaction(c, |c| {
                Ok((
                    db::settings::get_or_generate(c, "cookie_key", COOKIE_KEY_BYTES)?,
                    db::settings::get_or_generate(c, "jwt_secret", JWT_SECRET_MIN_BYTES)?,
                    db::settings::get_or_generate(c, "csrf_key", CSRF_KEY_MIN_BYTES)?,
                ))
            })
        })??;
        Ok(Keys {
            login_seal: Key::from(&seal[..COOKIE_KEY_BYTES]),
            cookie_signing: server.cookie_signing.clone(),
            jwt: JwtSecret::new(jwt)?,
            csrf,
        })
    }

    /// Takes each key from the settings, or from the database (generating it the first time).
    /// A key that is given but too short is refused with a message saying which and how long.
    pub fn load(settings: &Settings, pool: &Pool) -> anyhow::Result<Keys> {
        let cookie = given_or_stored(
            settings
                .cookie_key
                .as_ref()
                .map(|s| s.key_bytes(COOKIE_KEY_BYTES)),
            pool,
            "cookie_key",
            COOKIE_KEY_BYTES,
            "AUTHLAB_COOKIE_KEY",
            "raw or base64",
        )?;
        let jwt = given_or_stored(
            settings
                .jwt_secret
                .as_ref()
                .map(|s| s.raw_bytes(JWT_SECRET_MIN_BYTES)),
            pool,
            "jwt_secret",
            JWT_SECRET_MIN_BYTES,
            "AUTHLAB_JWT_SECRET",
            "used as given",
        )?;
        let csrf = given_or_stored(
            settings
                .csrf_key
                .as_ref()
                .map(|s| s.key_bytes(CSRF_KEY_MIN_BYTES)),
            pool,
            "csrf_key",
            CSRF_KEY_MIN_BYTES,
            "AUTHLAB_CSRF_KEY",
            "raw or base64",
        )?;
        let signing = stored(pool, "session_cookie_key", COOKIE_KEY_BYTES)?;
        Ok(Keys {
            login_seal: Key::from(&cookie[..COOKIE_KEY_BYTES]),
            cookie_signing: Key::from(&signing[..COOKIE_KEY_BYTES]),
            jwt: JwtSecret::new(jwt)?,
            csrf,
        })
    }
}

/// The key given in `variable` (already read to at least `min` bytes, or why not), else the one
/// stored under `name`, generated the first time.
fn given_or_stored(
    given: Option<Result<Vec<u8>, String>>,
    pool: &Pool,
    name: &str,
    min: usize,
    variable: &str,
    reading: &str,
) -> anyhow::Result<Vec<u8>> {
    match given {
        Some(Err(length)) => bail!(
            "{variable} is {length}; it must be at least {min} bytes ({reading}). Unset it to let authlab generate and keep one."
        ),
        Some(Ok(bytes)) => Ok(bytes),
        None => stored(pool, name, min),
    }
}

fn stored(pool: &Pool, name: &str, len: usize) -> anyhow::Result<Vec<u8>> {
    db::with_conn(pool, |c| db::settings::get_or_generate(c, name, len))?
        .with_context(|| format!("cannot read or store the generated {name}"))
}
