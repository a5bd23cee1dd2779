//! The per-request cost meter: what the credential check and the database cost one request.
//! `db` and the extractors record into it; `web::timing` writes it out as `Server-Timing`.
//! A leaf: it imports nothing of the crate.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

tokio::task_local! {
    /// The meter of the request this task is serving (set by [`Meter::scope`]).
    static CURRENT: Arc<Meter>;
}

/// What one request has cost so far.
#[derive(Debug, Default)]
pub struct Meter {
    costs: Mutex<Costs>,
}

#[derive(Debug, Default, Clone)]
struct Costs {
    auth: Option<(Duration, &'static str)>,
    db: Duration,
    queries: u32,
}

impl Meter {
    /// The meter of the request being served (a throw-away one outside any request).
    pub fn current() -> Arc<Meter> {
        CURRENT.try_with(Arc::clone).unwrap_or_default()
    }

    /// Records a credential check: how long it took and what it was (e.g. `"token lookup"`).
    pub fn add_auth(&self, took: Duration, what: &'static str) {
        if let Ok(mut costs) = self.costs.lock() {
            let total = costs.auth.map_or(Duration::ZERO, |(d, _)| d) + took;
            costs.auth = Some((total, what));
        }
    }

    /// Records one `Db::run`: its time and the statements it ran.
    pub fn add_db(&self, took: Duration, statements: u32) {
        if let Ok(mut costs) = self.costs.lock() {
            costs.db += took;
            costs.queries += statements;
        }
    }

    /// Statements run so far in this request.
    pub fn queries(&self) -> u32 {
        self.costs.lock().map(|c| c.queries).unwrap_or_default()
    }

    /// The `Server-Timing` value for what was recorded.
    pub fn header_value(&self, total: Duration) -> String {
        let costs = self.costs.lock().map(|c| c.clone()).unwrap_or_default();
        let (auth_time, auth_what) = costs.auth.unwrap_or((Duration::ZERO, "none"));
        let noun = if costs.queries == 1 {
            "query"
        } else {
            "queries"
        };
        format!(
            "auth;dur={};desc=\"{}\", db;dur={};desc=\"{} {}\", total;dur={}",
            Millis(auth_time),
            auth_what,
            Millis(costs.db),
            costs.queries,
            noun,
            Millis(total),
        )
    }
}

/// A duration as milliseconds with three decimals (`0.042`), written from whole microseconds:
/// integer formatting, a fraction of what formatting a float costs on every response.
struct Millis(Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let micros = self.0.as_micros();
        write!(f, "{}.{:03}", micros / 1000, micros % 1000)
    }
}

impl Meter {
    /// Runs `work` with `meter` as the current request's meter.
    pub async fn scope<F: Future>(meter: Arc<Meter>, work: F) -> F::Output {
        CURRENT.scope(meter, work).await
    }
}
