//! The challenges' pages and progress: `/challenges` (every challenge, and where this lab
//! stands), `/challenges/{id}` (goal, hints one at a time, the solution last, the live state),
//! `GET /lab/progress` (the same state as JSON, one source for the pages, the instructor and
//! scripts), the hint, solution and clear actions, and [`observe`], which notices the
//! no-cookie-jar challenge on the wire.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;
use serde_json::json;

use crate::challenges::store::{self, Progress};
use crate::challenges::{self, Challenge, State};
use crate::db::Db;
use crate::web::error::AppError;
use crate::web::page::{PageCtx, render};

/// One challenge as the pages show it.
#[derive(Debug, Serialize)]
pub struct Card {
    /// Its id.
    pub id: &'static str,
    /// Its title, in the reader's language.
    pub title: String,
    /// Its goal, in one sentence.
    pub goal: String,
    /// What it makes happen, in the notes' words.
    pub lessons: Vec<String>,
    /// Where it starts.
    pub start: &'static str,
    /// Where this lab stands on it.
    pub progress: Progress,
}

impl Card {
    fn of(ctx: &PageCtx, progress: Progress) -> Card {
        let challenge = Challenge::from_id(progress.id).unwrap_or(Challenge::NaiveCookie);
        let info = challenge.info();
        Card {
            id: info.id,
            title: ctx.t_of("challenge", info.id, "title"),
            goal: ctx.t_of("challenge", info.id, "goal"),
            lessons: info
                .claims
                .iter()
                .map(|n| ctx.t(format!("claim.c{n}")))
                .collect(),
            start: info.start,
            progress,
        }
    }

    /// `not_started`, `started` or `solved`: the CSS class and the catalog key of its state.
    pub fn state(&self) -> &'static str {
        match self.progress.state {
            State::NotStarted => "not_started",
            State::Started => "started",
            State::Solved => "solved",
        }
    }
}

/// Every challenge's card for this lab.
pub async fn cards(ctx: &PageCtx, db: &Db) -> Result<Vec<Card>, AppError> {
    let all = db.read(store::all).await??;
    Ok(all.into_iter().map(|p| Card::of(ctx, p)).collect())
}

/// `GET /challenges`.
#[derive(Template)]
#[template(path = "challenges/list.html")]
struct ListPage {
    ctx: PageCtx,
    cards: Vec<Card>,
    solved: usize,
}

/// `GET /challenges`: every challenge and where this lab stands.
pub async fn list(req: HttpRequest, db: Db) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::of(&req);
    let cards = cards(&ctx, &db).await?;
    render(ListPage {
        solved: cards.iter().filter(|c| c.progress.solved).count(),
        ctx,
        cards,
    })
}

/// `GET /challenges/{id}`.
#[derive(Template)]
#[template(path = "challenges/one.html")]
struct OnePage {
    ctx: PageCtx,
    card: Card,
    /// The hints shown so far (the others are not in the page).
    hints: Vec<String>,
    /// The solution, once shown.
    solution: Option<String>,
    real: String,
    /// How many hints the challenge has.
    total: usize,
    /// The commands a client without a cookie jar runs (the no-cookie-jar challenge).
    commands: Option<String>,
}

fn challenge_of(id: &str) -> Result<Challenge, AppError> {
    Challenge::from_id(id).ok_or(AppError::NotFound)
}

/// `GET /challenges/{id}`: the goal, hints one at a time, the solution last, the live state.
pub async fn one(
    req: HttpRequest,
    db: Db,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let challenge = challenge_of(&id)?;
    let ctx = PageCtx::of(&req);
    let progress = db.read(move |c| store::find(c, challenge)).await??;
    let info = challenge.info();
    let host = req.connection_info().host().to_owned();
    // Only what the learner asked to see is in the page: the rest comes one request at a time.
    let hints = (1..=progress.hints_shown)
        .map(|n| text_of(&ctx, challenge, &format!("hint{n}"), &host))
        .collect();
    let solution = progress
        .solution_shown
        .then(|| text_of(&ctx, challenge, "solution", &host));
    let commands =
        (challenge == Challenge::NoCookieJar).then(|| no_jar_commands(&host, &ctx.lab_id));
    render(OnePage {
        total: usize::from(info.hints),
        solution,
        real: text_of(&ctx, challenge, "real", &host),
        card: Card::of(&ctx, progress),
        hints,
        commands,
        ctx,
    })
}

/// A challenge's text `field` (`hint2`, `solution`, `real`) in the reader's language, with the
/// host the reader reached this server at written in.
fn text_of(ctx: &PageCtx, challenge: Challenge, field: &str, host: &str) -> String {
    ctx.t_of("challenge", challenge.id(), field)
        .replace("%{host}", host)
}

/// A hint or solution answer: the progress, and the text just shown.
#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    progress: Progress,
    text: String,
}

/// The commands of the no-cookie-jar challenge, for this host and lab: curl without `-c`/`-b`
/// keeps no cookie between commands, as an app without a cookie jar.
fn no_jar_commands(host: &str, lab: &str) -> String {
    let lab = if lab.is_empty() {
        String::new()
    } else {
        format!(" -H 'X-Authlab-Lab: {lab}'")
    };
    let base = format!("http://{host}");
    [
        format!("# 1. cookie and session: the login's cookies are gone by the next command\ncurl -i{lab} {base}/session"),
        format!("curl -i{lab} -X POST {base}/session/login -d 'email=alice@example.com&password=alice-pass-123'"),
        format!("curl -i{lab} {base}/session/api/me"),
        format!("curl -i{lab} {base}/cookie/api/me"),
        format!("# 2. the DRF token: the app keeps the key itself and sends it in a header\ncurl -s{lab} -X POST {base}/token/api/login -H 'Content-Type: application/json' -d '{{\"username\": \"alice@example.com\", \"password\": \"alice-pass-123\"}}'"),
        format!("curl -i{lab} {base}/token/api/me -H 'Authorization: Token <the token above>'"),
        format!("# 3. JWT: the same, with a pair to keep and refresh\ncurl -s{lab} -X POST {base}/jwt/api/token -H 'Content-Type: application/json' -d '{{\"email\": \"alice@example.com\", \"password\": \"alice-pass-123\"}}'"),
        format!("curl -i{lab} {base}/jwt/api/me -H 'Authorization: Bearer <the access token above>'"),
    ]
    .join("\n")
}

/// `GET /lab/progress`: each challenge's id, title and whether it is solved, with its state,
/// steps seen, hints shown and the request that solved it.
pub async fn progress(req: HttpRequest, db: Db) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::of(&req);
    let cards = cards(&ctx, &db).await?;
    let solved = cards.iter().filter(|c| c.progress.solved).count();
    let challenges: Vec<_> = cards
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id,
                "title": c.title,
                "solved": c.progress.solved,
                "state": c.progress.state,
                "steps": c.progress.steps,
                "hints_shown": c.progress.hints_shown,
                "solution_shown": c.progress.solution_shown,
                "solved_at": c.progress.solved_at,
                "solved_by": c.progress.solved_by,
                "claims": Challenge::from_id(c.id).map(|ch| ch.info().claims),
                "start": c.start,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "solved": solved,
        "total": Challenge::ALL.len(),
        "challenges": challenges,
    })))
}

/// `POST /lab/progress/{id}/hint` `{}`: shows the next hint (hints come one at a time).
pub async fn hint(
    req: HttpRequest,
    db: Db,
    id: web::Path<String>,
    _json_only: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let challenge = challenge_of(&id)?;
    let progress = db
        .run(move |c| -> rusqlite::Result<Progress> {
            let now = store::find(c, challenge)?;
            let next = (now.hints_shown + 1).min(challenge.info().hints);
            store::show_hint(c, challenge, next, challenges::now())?;
            store::find(c, challenge)
        })
        .await??;
    let ctx = PageCtx::of(&req);
    let host = req.connection_info().host().to_owned();
    let text = text_of(
        &ctx,
        challenge,
        &format!("hint{}", progress.hints_shown),
        &host,
    );
    Ok(HttpResponse::Ok().json(Shown { progress, text }))
}

/// `POST /lab/progress/{id}/solution` `{}`: shows the solution, once every hint is shown.
pub async fn solution(
    req: HttpRequest,
    db: Db,
    id: web::Path<String>,
    _json_only: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let challenge = challenge_of(&id)?;
    let progress = db
        .run(move |c| -> rusqlite::Result<Result<Progress, u8>> {
            let now = store::find(c, challenge)?;
            if now.hints_shown < challenge.info().hints {
                return Ok(Err(now.hints_shown));
            }
            store::show_solution(c, challenge, challenges::now())?;
            Ok(Ok(store::find(c, challenge)?))
        })
        .await??;
    match progress {
        Ok(progress) => {
            let ctx = PageCtx::of(&req);
            let host = req.connection_info().host().to_owned();
            let text = text_of(&ctx, challenge, "solution", &host);
            Ok(HttpResponse::Ok().json(Shown { progress, text }))
        }
        Err(shown) => Err(AppError::Conflict(format!(
            "The solution comes after the hints: {shown} of {} shown.",
            challenge.info().hints
        ))),
    }
}

/// `POST /lab/progress/clear` `{"confirm": true}`: forgets this lab's progress. The lab reset
/// keeps it; only this, confirmed, clears it.
pub async fn clear(
    db: Db,
    body: web::Json<crate::pages::labs::Confirm>,
) -> Result<HttpResponse, AppError> {
    if !body.confirm {
        return Err(AppError::Invalid(json!({
            "confirm": ["Send {\"confirm\": true} to forget every challenge's progress in this lab."]
        })));
    }
    let cleared = db.run(store::clear).await??;
    Ok(HttpResponse::Ok().json(json!({ "cleared": cleared })))
}

/// Middleware: notices the no-cookie-jar challenge on the wire. A client that is not a browser
/// (no `Mozilla/` user agent) and sends no `Cookie` header is refused by the cookie schemes'
/// `me` and accepted by the header schemes' `me`: once both are seen in a lab, it is solved.
/// Outside `Server-Timing`'s meter, so the costs the pages report stay the schemes' own.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().to_owned();
    let watched = matches!(
        path.as_str(),
        "/cookie/api/me" | "/session/api/me" | "/token/api/me" | "/jwt/api/me"
    );
    let jarless = watched
        && !req.headers().contains_key(header::COOKIE)
        && !crate::web::by_a_lab_button(req.request())
        && !req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("Mozilla/"))
        && req
            .app_data::<web::Data<crate::config::Settings>>()
            .is_some_and(|s| s.lab_enabled());
    let pool = if jarless {
        req.app_data::<web::Data<crate::db::Pool>>().cloned()
    } else {
        None
    };
    let res = next.call(req).await?;
    if let Some(pool) = pool {
        let status = res.status().as_u16();
        let step = match (
            path.starts_with("/cookie") || path.starts_with("/session"),
            status,
        ) {
            (true, 401 | 403) => Some((
                "cookie_lost",
                format!("GET {path} without a cookie jar: {status}"),
            )),
            (false, 200) => Some((
                "header_kept",
                format!("GET {path} without a cookie jar, its credential in Authorization: 200"),
            )),
            _ => None,
        };
        if let Some((step, how)) = step {
            let db = Db::new(pool.get_ref().clone());
            challenges::record(&db, Challenge::NoCookieJar, step, how).await;
        }
    }
    Ok(res)
}

/// The catalog keys these pages build at run time (the catalog test checks them too).
pub fn dynamic_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for c in Challenge::ALL {
        let info = c.info();
        for field in ["title", "goal", "solution", "real"] {
            keys.push(format!("challenge.{}.{field}", info.id));
        }
        for n in 1..=info.hints {
            keys.push(format!("challenge.{}.hint{n}", info.id));
        }
        for n in info.claims {
            keys.push(format!("claim.c{n}"));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}
