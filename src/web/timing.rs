//! The per-request cost meter and the `Server-Timing` header that reports it on every response.
//!
//! `auth;dur=…;desc="…"` is the time the credential check took and what it was;
//! `db;dur=…;desc="N queries"` is the time spent in `Db::run` and how many statements ran.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

tokio::task_local! {
    /// The meter of the request this task is serving (set by [`server_timing`]).
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

/// Middleware: gives each request a meter and adds `Server-Timing` to its response.
pub async fn server_timing(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let meter = Arc::new(Meter::default());
    let mut res = CURRENT.scope(meter.clone(), next.call(req)).await?;
    if let Ok(value) = HeaderValue::from_str(&meter.header_value(started.elapsed())) {
        res.headers_mut()
            .insert(HeaderName::from_static("server-timing"), value);
    }
    Ok(res)
}
