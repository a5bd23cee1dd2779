//! The overview: the four schemes as four columns, the notes' comparison table and their Q&A.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::schemes::scheme::Scheme;
use crate::web::page::PageCtx;

/// The rows of the comparison table, in order; each has a catalog key per scheme.
const ROWS: [&str; 7] = [
    "state",
    "sent",
    "server",
    "expiry",
    "logout",
    "strengths",
    "weaknesses",
];

/// The Q&A entries of the notes, answered.
const QUESTIONS: [&str; 3] = ["custom_user", "jwt_needs_custom_user", "builtin_token"];
/// Questions a learner can put to the test on a lab: the link beside the answer.
const TRY_IT: [(&str, &str); 1] = [("jwt_needs_custom_user", "/jwt#lab-default-user")];

/// One scheme's column.
pub struct Column {
    /// The scheme.
    pub slug: &'static str,
    /// Its route.
    pub href: &'static str,
    /// Its name, tagline, what the browser holds and what each request sends (translated).
    pub name: String,
    /// One sentence on the idea.
    pub tagline: String,
    /// What the browser holds.
    pub holds: String,
    /// What each request sends.
    pub sends: String,
}

/// One comparison row: its label and one cell per scheme.
pub struct Row {
    /// The row's label.
    pub label: String,
    /// The four cells, in scheme order.
    pub cells: Vec<String>,
}

/// The load benchmark's last results (`scripts/bench` writes `benchmarks/latest.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct Measured {
    /// When it ran.
    pub date: String,
    /// On what.
    pub machine: String,
    /// With what.
    pub tool: String,
    /// The same, as figures the page writes in each language (older files lack it).
    #[serde(default)]
    pub setup: Option<Setup>,
    /// Authenticated reads alone.
    pub plain: Vec<Measurement>,
    /// The same while logins run.
    pub with_logins: Vec<Measurement>,
    /// Resident memory.
    pub memory_mb: Memory,
}

/// One endpoint's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct Measurement {
    /// The route.
    pub path: String,
    /// Requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// Queries per request.
    pub queries: u32,
    /// Requests per second relative to `/healthz` in the same run.
    pub ratio: f64,
}

/// Where and how the benchmark ran.
#[derive(Debug, Clone, Deserialize)]
pub struct Setup {
    /// CPU cores of the machine.
    pub cores: u32,
    /// Its memory.
    pub memory_gib: u32,
    /// Its CPU model.
    pub cpu: String,
    /// wrk's threads.
    pub wrk_threads: u32,
    /// wrk's open connections.
    pub connections: u32,
    /// Rounds measured (the median is shown).
    pub rounds: u32,
    /// Seconds per round.
    pub round_seconds: u32,
    /// The CPU the server was pinned to (empty: server and wrk shared every core).
    pub server_cpu: String,
    /// The CPUs wrk was pinned to.
    pub load_cpus: String,
}

impl Setup {
    /// Seconds per round, for [`PageCtx::duration`].
    pub fn round_secs(&self) -> i64 {
        i64::from(self.round_seconds)
    }
}

/// Resident memory, MB.
#[derive(Debug, Clone, Deserialize)]
pub struct Memory {
    /// After start and one login per scheme.
    pub idle: f64,
    /// Peak during the load runs.
    pub under_load: f64,
    /// After storing 100,000 sessions.
    pub with_100k_sessions: f64,
}

/// The committed results, parsed once.
pub fn measured() -> Option<&'static Measured> {
    static MEASURED: std::sync::OnceLock<Option<Measured>> = std::sync::OnceLock::new();
    MEASURED
        .get_or_init(|| serde_json::from_str(include_str!("../../benchmarks/latest.json")).ok())
        .as_ref()
}

/// `GET /`.
#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct Overview {
    ctx: PageCtx,
    columns: Vec<Column>,
    rows: Vec<Row>,
    /// Question, answer, and the lab that tests it (if one does).
    questions: Vec<(String, String, Option<&'static str>)>,
    measured: Option<&'static Measured>,
    /// This lab's progress through the challenges (none with lab controls off).
    cards: Vec<crate::pages::challenges::Card>,
}

/// `GET /`: the overview page.
pub async fn overview(
    ctx: PageCtx,
    db: crate::db::Db,
) -> Result<Overview, crate::web::error::AppError> {
    let cards = if ctx.lab {
        crate::pages::challenges::cards(&ctx, &db).await?
    } else {
        Vec::new()
    };
    let columns = Scheme::ALL
        .iter()
        .map(|s| {
            let part = |p: &str| ctx.t(format!("scheme.{}.{p}", s.slug()));
            Column {
                slug: s.slug(),
                href: s.prefix(),
                name: part("name"),
                tagline: part("tagline"),
                holds: part("holds"),
                sends: part("sends"),
            }
        })
        .collect();
    let rows = ROWS
        .iter()
        .map(|row| Row {
            label: ctx.t(format!("home.table.{row}.label")),
            cells: Scheme::ALL
                .iter()
                .map(|s| ctx.t(format!("home.table.{row}.{}", s.slug())))
                .collect(),
        })
        .collect();
    let questions = QUESTIONS
        .iter()
        .map(|q| {
            (
                ctx.t(format!("home.qa.{q}.question")),
                ctx.t(format!("home.qa.{q}.answer")),
                TRY_IT.iter().find(|(id, _)| id == q).map(|(_, href)| *href),
            )
        })
        .collect();
    Ok(Overview {
        ctx,
        columns,
        rows,
        questions,
        measured: measured(),
        cards,
    })
}

/// The catalog keys the overview builds at run time (the catalog test checks them too).
pub fn dynamic_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for row in ROWS {
        keys.push(format!("home.table.{row}.label"));
        for s in Scheme::ALL {
            keys.push(format!("home.table.{row}.{}", s.slug()));
        }
    }
    for q in QUESTIONS {
        keys.push(format!("home.qa.{q}.question"));
        keys.push(format!("home.qa.{q}.answer"));
    }
    for s in Scheme::ALL {
        for part in ["name", "tagline", "holds", "sends"] {
            keys.push(format!("scheme.{}.{part}", s.slug()));
        }
    }
    keys
}
