//! Passwords: argon2id (m=19 MiB, t=2, p=1), hashed and verified on a small pool of dedicated
//! threads.
//!
//! Why dedicated threads: each hash takes 19 MiB for a moment. On the general blocking pool, many
//! threads would each keep such blocks in their allocator arenas (the load benchmark saw 1.4 GB after
//! 500 logins) and logins could take every core from the reads. A fixed pool of half the cores
//! bounds both: memory to a few blocks, CPU to what the pool may use.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// Shortest password accepted, in bytes.
pub const MIN_BYTES: usize = 8;
/// Longest password accepted, in bytes: longer ones are refused before any hashing.
pub const MAX_BYTES: usize = 1024;

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than 8 bytes.
    #[error("This password is too short. It must contain at least 8 characters.")]
    TooShort,
    /// More than 1024 bytes.
    #[error("Ensure this field has no more than 1024 characters.")]
    TooLong,
}

impl PasswordError {
    /// The catalog key that explains this error on a page.
    pub fn key(self) -> &'static str {
        match self {
            PasswordError::TooShort => "form.error.password_short",
            PasswordError::TooLong => "form.error.password_long",
        }
    }
}

/// Checks a new password's length (8..=1024 bytes).
pub fn check_length(password: &str) -> Result<(), PasswordError> {
    match password.len() {
        n if n < MIN_BYTES => Err(PasswordError::TooShort),
        n if n > MAX_BYTES => Err(PasswordError::TooLong),
        _ => Ok(()),
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .unwrap_or_else(|_| unreachable!("the OWASP argon2id parameters are valid"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (slow on purpose: call it from the blocking pool).
pub fn hash(password: &str) -> anyhow::Result<String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash a password: {e}"))
}

/// Whether `password` matches the PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Does the same work as a real verify, against a hash nobody's password matches, so that an
/// unknown e-mail takes as long to refuse as a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("no user has this password").unwrap_or_default());
    let _ = verify(password, phc);
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads: half the cores, at least one.
fn pool() -> &'static Mutex<Sender<Job>> {
    static POOL: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if spawned.is_err() {
                tracing::error!("cannot start a password-hashing thread");
            }
        }
        Mutex::new(tx)
    })
}

/// Runs `work` on a hashing thread and waits for it without blocking the caller's thread.
pub async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    pool()
        .lock()
        .map_err(|_| anyhow::anyhow!("the hashing pool is poisoned"))?
        .send(job)
        .map_err(|_| anyhow::anyhow!("the hashing pool has stopped"))?;
    result
        .await
        .map_err(|_| anyhow::anyhow!("a hashing thread dropped its job"))
}

/// The PHC string up to its parameters: `$argon2id$v=19$m=19456,t=2,p=1$…`.
pub fn phc_parameters(phc: &str) -> String {
    let head: Vec<&str> = phc.split('$').take(4).collect();
    if head.len() == 4 {
        format!("{}$…", head.join("$"))
    } else {
        "…".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("alice-pass-123").unwrap_or_default();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("alice-pass-123", &phc));
        assert!(!verify("alice-pass-124", &phc));
        assert!(!verify("alice-pass-123", "not a phc string"));
        assert_eq!(phc_parameters(&phc), "$argon2id$v=19$m=19456,t=2,p=1$…");
    }

    #[test]
    fn lengths_are_checked_in_bytes() {
        assert_eq!(check_length("1234567"), Err(PasswordError::TooShort));
        assert_eq!(check_length("12345678"), Ok(()));
        assert_eq!(check_length(&"x".repeat(1025)), Err(PasswordError::TooLong));
        assert_eq!(check_length("비밀번호"), Ok(()));
    }
}
