//! The password-hashing threads: argon2id hashes and verifies run on a small pool of dedicated
//! threads, with a bounded backlog, never on the request workers or the general blocking pool.
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

use thread_priority::ThreadPriority;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use thread_priority::set_current_thread_priority;
#[cfg(any(target_os = "linux", target_os = "android"))]
use thread_priority::{
    NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
    thread_native_id,
};

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
}
