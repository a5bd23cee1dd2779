//! `AppState`: what every handler can reach — the settings, the lab clock, the key ring, the
//! login throttle, the bound address, the last sweep and a way to start a peer server. It imports
//! no route module; `startup` builds it from the settings.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Pool;
use crate::keys::{KeyRing, Keys};
use crate::users::throttle::LoginThrottle;

/// What every handler can reach. Its pieces the shared HTTP layer needs (settings, clock, key
/// ring) are registered on their own too, so `web` never needs this type.
pub struct AppState {
    /// The settings the server started with.
    pub settings: Arc<Settings>,
    /// The one clock every expiry decision reads.
    pub clock: Clock,
    /// The seal, signing, JWT and CSRF keys (the rotation lab swaps the seal and JWT ones).
    pub keyring: Arc<KeyRing>,
    /// Failed-login bookkeeping.
    pub throttle: LoginThrottle,
    /// The address the server is bound to (labs replay requests against it).
    pub local_addr: SocketAddr,
    /// What the last sweep of expired rows removed (the session page shows it).
    pub last_sweep: Arc<LastSweep>,
    /// Starts another authlab with the given settings (the second-server lab).
    pub launch_peer: LaunchPeer,
    /// The id of the private lab this is (the `authlab_lab` cookie); empty for the shared lab.
    pub lab: String,
    /// The port of "another site" (the CSRF challenge's second listener), when it listens.
    pub another_site: Option<u16>,
    /// One run at a time of the labs that move this lab's clock and put it back (the matrix) or
    /// log many times in (N logins): a second press in the same lab waits for the first.
    pub one_run: Arc<tokio::sync::Mutex<()>>,
}

/// The cookie naming a browser's private lab.
pub const LAB_COOKIE: &str = "authlab_lab";

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The keys in force now (a cheap shared handle: requests read them on every check).
    pub fn keys(&self) -> Arc<Keys> {
        self.keyring.current()
    }

    /// `headers` for a request the server sends itself on this lab's behalf (the replay labs):
    /// the lab cookie joins the `Cookie` header, or starts one, so the request lands in this lab.
    pub fn in_this_lab(&self, headers: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        if self.lab.is_empty() {
            return out;
        }
        let lab = format!("{LAB_COOKIE}={}", self.lab);
        match out
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        {
            Some((_, value)) => *value = format!("{value}; {lab}"),
            None => out.push(("Cookie".to_owned(), lab)),
        }
        out
    }

    /// Puts new keys in force (the key-rotation lab).
    pub fn set_keys(&self, keys: Keys) {
        self.keyring.replace(keys);
    }
}

/// A server started by [`AppState::launch_peer`]: where it listens, and how to stop it.
pub struct Peer {
    /// Its address (loopback).
    pub address: SocketAddr,
    /// Stops it (the lab stops it when its run ends, however it ends).
    pub handle: actix_web::dev::ServerHandle,
}

/// The future [`LaunchPeer`] returns.
pub type PeerFuture = Pin<Box<dyn Future<Output = anyhow::Result<Peer>>>>;

/// Starts a peer server with the given settings (set by `startup`, which alone can build one).
pub type LaunchPeer = Arc<dyn Fn(Settings) -> PeerFuture + Send + Sync>;

/// What one sweep removed, and what it cost.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct SweepReport {
    /// Expired sessions deleted.
    pub sessions: usize,
    /// Expired refresh tokens deleted (their blacklist rows go with them).
    pub refresh_tokens: usize,
    /// Wall time the sweep took, in milliseconds.
    pub millis: f64,
    /// When it ran (lab clock, Unix seconds).
    pub at: i64,
}

/// The last sweep's report, shared by the periodic task, the lab clock and the session page.
#[derive(Debug, Default)]
pub struct LastSweep(Mutex<Option<SweepReport>>);

impl LastSweep {
    /// The last report, if a sweep has run.
    pub fn get(&self) -> Option<SweepReport> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the report of the sweep that just ran.
    pub fn set(&self, report: SweepReport) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
    }
}

tokio::task_local! {
    /// The database and clock of the private lab the current request is in (none: the default lab).
    static LAB: (Pool, Clock);
}

/// Runs `work` (a request) inside a private lab, so what runs outside a handler and takes no
/// `AppState` — the session store — finds that lab's database and clock ([`current_lab`]).
pub async fn in_lab<F: Future>(pool: Pool, clock: Clock, work: F) -> F::Output {
    LAB.scope((pool, clock), work).await
}

/// The database and clock of the private lab this request is in, if it is in one.
pub fn current_lab() -> Option<(Pool, Clock)> {
    LAB.try_with(|(pool, clock)| (pool.clone(), clock.clone()))
        .ok()
}
