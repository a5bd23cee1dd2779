//! Passwords: argon2id (m=19 MiB, t=2, p=1), hashed and verified on a small pool of dedicated
//! threads.
//!
//! Why dedicated threads: each hash takes 19 MiB for a moment. On the general blocking pool, many
//! threads would each keep such blocks in their allocator arenas (the load benchmark saw 1.4 GB after
//! 500 logins) and logins could take every core from the reads. A fixed pool of half the cores
//! bounds both: memory to a few blocks, CPU to what the pool may use. The threads also run under
//! Linux's `SCHED_IDLE` policy: a worker with a request to serve always takes the core from a hash
//! at once, so a read never waits behind a login; hashes use what time the workers leave (see the
//! "while logins run" columns of BENCHMARKS.md: still about eight logins a second on a core that
//! reads keep saturated).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use thread_priority::ThreadPriority;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use thread_priority::set_current_thread_priority;
#[cfg(any(target_os = "linux", target_os = "android"))]
use thread_priority::{
    NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
    thread_native_id,
};

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
    /// A NUL character, which Django's forms refuse in every field.
    #[error("Null characters are not allowed.")]
    NullCharacter,
}

impl PasswordError {
    /// The catalog key that explains this error on a page.
    pub fn key(self) -> &'static str {
        match self {
            PasswordError::TooShort => "form.error.password_short",
            PasswordError::TooLong => "form.error.password_long",
            PasswordError::NullCharacter => "form.error.password_null",
        }
    }
}

/// Checks a new password: 8..=1024 bytes, and no NUL character.
pub fn check_new(password: &str) -> Result<(), PasswordError> {
    match password.len() {
        n if n < MIN_BYTES => Err(PasswordError::TooShort),
        n if n > MAX_BYTES => Err(PasswordError::TooLong),
        _ if password.contains('\0') => Err(PasswordError::NullCharacter),
        _ => Ok(()),
    }
}

/// argon2id parameters: m=19 MiB, t=2, p=1 (OWASP's first recommendation), 32-byte output.
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;
const SALT_LEN: usize = 16;

fn argon2(m: u32, t: u32, p: u32, len: usize) -> Option<Argon2<'static>> {
    let params = Params::new(m, t, p, Some(len)).ok()?;
    Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

thread_local! {
    /// This thread's argon2 working memory, kept between hashes. Allocating 19 MiB afresh for
    /// every hash made the allocator keep ever more of it (RSS grew ~10 MB per login).
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// argon2id of `password` and `salt` into `out`, in this thread's reusable memory.
fn compute(
    engine: &Argon2<'_>,
    blocks: usize,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> bool {
    BLOCKS.with(|cell| {
        let Ok(mut memory) = cell.try_borrow_mut() else {
            return false;
        };
        if memory.len() != blocks {
            memory.clear();
            memory.resize(blocks, argon2::Block::default());
        }
        engine
            .hash_password_into_with_memory(password, salt, out, &mut memory[..])
            .is_ok()
    })
}

/// Hashes a password into a PHC string (slow on purpose: call it through [`off_thread`]).
pub fn hash(password: &str) -> anyhow::Result<String> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    use rand::Rng;
    let engine = argon2(M_COST, T_COST, P_COST, OUTPUT_LEN)
        .ok_or_else(|| anyhow::anyhow!("invalid argon2 parameters"))?;
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; OUTPUT_LEN];
    let blocks = engine.params().block_count();
    if !compute(&engine, blocks, password.as_bytes(), &salt, &mut out) {
        anyhow::bail!("cannot hash a password");
    }
    Ok(format!(
        "$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Whether `password` matches the PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match parse(phc) {
        Some((engine, salt, expected)) => {
            let mut out = vec![0u8; expected.len()];
            let blocks = engine.params().block_count();
            compute(&engine, blocks, password.as_bytes(), &salt, &mut out)
                && out
                    .iter()
                    .zip(&expected)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        // Not our own format: let the library parse and check it (allocating, but rare).
        None => match PasswordHash::new(phc) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        },
    }
}

/// Reads `$argon2id$v=19$m=…,t=…,p=…$salt$hash`: the engine, the salt and the expected output.
fn parse(phc: &str) -> Option<(Argon2<'static>, Vec<u8>, Vec<u8>)> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let mut parts = phc.split('$');
    let ("", "argon2id", "v=19", params, salt, hash, None) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next(),
    ) else {
        return None;
    };
    let (mut m, mut t, mut p) = (None, None, None);
    for pair in params.split(',') {
        let (name, value) = pair.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match name {
            "m" => m = Some(value),
            "t" => t = Some(value),
            "p" => p = Some(value),
            _ => return None,
        }
    }
    let salt = STANDARD_NO_PAD.decode(salt).ok()?;
    let expected = STANDARD_NO_PAD.decode(hash).ok()?;
    if expected.len() < 4 || expected.len() > 64 {
        return None;
    }
    let engine = argon2(m?, t?, p?, expected.len())?;
    Some((engine, salt, expected))
}

/// Does the same work as a real verify, against a hash nobody's password matches, so that an
/// unknown e-mail takes as long to refuse as a wrong password.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, dummy());
}

/// The dummy hash, made once per process.
static DUMMY: OnceLock<String> = OnceLock::new();

/// The hash nobody's password matches, made once. `prepare` makes it at start, so that even the
/// first unknown e-mail takes no longer to refuse than the rest.
fn dummy() -> &'static str {
    DUMMY.get_or_init(|| hash("no user has this password").unwrap_or_default())
}

/// Makes the dummy hash now (called at start, on a hashing thread), unless an earlier start in
/// this process made it (the second-server lab starts another server in the same process).
pub async fn prepare() -> anyhow::Result<()> {
    if DUMMY.get().is_some() {
        return Ok(());
    }
    off_thread(|| {
        dummy();
    })
    .await?;
    Ok(())
}

type Job = Box<dyn FnOnce() + Send>;

/// The scheduling policy of the hashing threads: run only when the workers leave the core idle.
#[cfg(any(target_os = "linux", target_os = "android"))]
const HASHING_POLICY: ThreadSchedulePolicy =
    ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);

/// Puts the calling thread under [`HASHING_POLICY`] (elsewhere than Linux: the lowest priority).
fn yield_to_workers() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let set =
        set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, HASHING_POLICY);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let set = set_current_thread_priority(ThreadPriority::Min);
    // The library also resets the thread's niceness, which fails in a process started with
    // `nice`: what matters is the policy, so only its absence is worth a warning.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let set = set.or_else(|e| match thread_priority::thread_schedule_policy() {
        Ok(policy) if policy == HASHING_POLICY => Ok(()),
        _ => Err(e),
    });
    if let Err(e) = set {
        tracing::warn!("cannot lower the priority of a password-hashing thread: {e:?}");
    }
}

/// Most hashes per hashing thread that may wait or run at once: about a second of work. Past that,
/// a login or sign-up is turned away at once (503 with `Retry-After`) instead of queued, so that
/// when logins arrive faster than they can be hashed, neither the queue nor the wait grows without end.
pub const BACKLOG_PER_THREAD: usize = 64;
/// Seconds a turned-away client is asked to wait: a full backlog is a second of hashing on an idle
/// core, several on one that requests keep busy.
pub const BUSY_RETRY_AFTER_SECS: u64 = 5;

/// Why a hash could not be run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashingError {
    /// The backlog is full: every place is taken by a hash waiting or running.
    #[error("too many passwords are being checked at this moment")]
    Busy,
    /// The hashing threads are gone (they only stop with the process).
    #[error("the password-hashing threads have stopped")]
    Stopped,
}

/// A bounded count of the hashes waiting or running.
#[derive(Debug)]
pub struct Backlog {
    taken: AtomicUsize,
    limit: usize,
}

/// A place in a [`Backlog`], given back when dropped.
#[derive(Debug)]
pub struct Place<'a>(&'a Backlog);

impl Backlog {
    /// A backlog of `limit` places.
    pub const fn new(limit: usize) -> Self {
        Backlog {
            taken: AtomicUsize::new(0),
            limit,
        }
    }

    /// A place, or `None` when all `limit` are taken.
    pub fn enter(&self) -> Option<Place<'_>> {
        self.taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                (taken < self.limit).then_some(taken + 1)
            })
            .ok()
            .map(|_| Place(self))
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.taken.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The hashing threads and the backlog of work for them.
struct HashingPool {
    jobs: Mutex<Sender<Job>>,
    backlog: Backlog,
}

/// How many hashing threads there are: half the cores, at least one.
pub fn hashing_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// The hashing threads and their backlog, started on first use.
fn pool() -> &'static HashingPool {
    static POOL: OnceLock<HashingPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = hashing_threads();
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    yield_to_workers();
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
        HashingPool {
            jobs: Mutex::new(tx),
            backlog: Backlog::new(BACKLOG_PER_THREAD * threads),
        }
    })
}

/// Runs `work` on a hashing thread and waits for it without blocking the caller's thread; refused
/// at once with [`HashingError::Busy`] when the backlog is full.
pub async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashingError> {
    let pool = pool();
    let place = pool.backlog.enter().ok_or(HashingError::Busy)?;
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        // Held until the hash is done, even if the client that asked for it has gone.
        let _place = place;
        let _ = done.send(work());
    });
    pool.jobs
        .lock()
        .map_err(|_| HashingError::Stopped)?
        .send(job)
        .map_err(|_| HashingError::Stopped)?;
    result.await.map_err(|_| HashingError::Stopped)
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
    fn the_backlog_turns_away_past_its_limit_and_frees_a_place_when_a_hash_ends() {
        let backlog = Backlog::new(2);
        let first = backlog.enter();
        let second = backlog.enter();
        assert!(first.is_some() && second.is_some());
        assert!(backlog.enter().is_none(), "full");
        drop(first);
        assert!(backlog.enter().is_some(), "a place came back");
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn hashing_threads_run_only_when_the_workers_leave_the_core_idle() {
        let policy = off_thread(|| thread_priority::thread_schedule_policy().ok())
            .await
            .ok()
            .flatten();
        assert_eq!(policy, Some(HASHING_POLICY));
    }

    #[test]
    fn our_hashes_are_standard_phc_strings_the_library_verifies() {
        use argon2::PasswordVerifier;
        let phc = hash("alice-pass-123").unwrap_or_default();
        let parsed = PasswordHash::new(&phc).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"alice-pass-123", &parsed)
                .is_ok()
        );
        let theirs = {
            use argon2::PasswordHasher;
            Argon2::default()
                .hash_password(b"bob-pass-123")
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        assert!(
            verify("bob-pass-123", &theirs),
            "the library's hashes verify here too"
        );
        assert!(!verify("bob-pass-124", &theirs));
    }

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
        assert_eq!(check_new("1234567"), Err(PasswordError::TooShort));
        assert_eq!(check_new("12345678"), Ok(()));
        assert_eq!(check_new(&"x".repeat(1025)), Err(PasswordError::TooLong));
        assert_eq!(check_new("비밀번호"), Ok(()));
        assert_eq!(
            check_new("pass\0word-123"),
            Err(PasswordError::NullCharacter)
        );
    }
}
