//! The session labs: an anonymous session before login (fixation) and the server-load lab.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::db::Db;
use crate::schemes::identity::{NoFields, see_other};
use crate::schemes::session::store;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::error::speaks_json;
use crate::web::lab_only;
use actix_web::middleware::from_fn;

/// The most throwaway sessions one click of the load lab creates.
pub const MAX_LOAD: usize = 100_000;

/// The most sessions a learner's private lab may hold: a class of 30 shares one server, so the
/// 100,000-session run is for the shared lab (a terminal without the lab cookie), not for each
/// learner at 16 MB apiece.
pub const PRIVATE_LAB_SESSIONS: i64 = 20_000;

pub(super) fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/lab/anonymous")
            .guard(lab_only())
            .post(anonymous),
    )
    .service(
        web::resource("/lab/load")
            .guard(lab_only())
            .wrap(from_fn(speaks_json))
            .post(load),
    )
    .service(
        web::resource("/lab/load/clear")
            .guard(lab_only())
            .wrap(from_fn(speaks_json))
            .post(clear),
    )
    .service(
        web::resource("/lab/load/measure")
            .guard(lab_only())
            .wrap(from_fn(speaks_json))
            .post(measure),
    );
}

/// `POST /session/lab/load/measure`: what a request costs and what the stored sessions cost, at
/// the table's present size, measured now on this server ([`super::load::LoadCost`]).
async fn measure(
    db: Db,
    state: web::Data<AppState>,
    _json_only: web::Json<NoFields>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.unix();
    let cost = db.run(move |c| super::load::measure_load(c, now)).await??;
    Ok(HttpResponse::Ok().json(cost))
}

/// `POST /session/lab/anonymous`: stores something for a guest, so the server creates a session
/// (and a key) before login — the key the fixation lab then watches change.
async fn anonymous(
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    session
        .insert("authlab.visited_at", state.clock.unix())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session state: {e}")))?;
    Ok(see_other("/session#lab-fixation"))
}

/// How many throwaway sessions to create.
#[derive(Debug, Deserialize)]
struct LoadRequest {
    count: usize,
}

/// `POST /session/lab/load`: creates `count` anonymous sessions, to watch the table grow while a
/// session read stays one indexed query.
async fn load(
    db: Db,
    state: web::Data<AppState>,
    body: web::Json<LoadRequest>,
) -> Result<HttpResponse, AppError> {
    let count = body.count;
    if count == 0 || count > MAX_LOAD {
        return Err(AppError::Invalid(json!({
            "count": [format!("Ask for 1 to {MAX_LOAD} sessions.")]
        })));
    }
    let now = state.clock.unix();
    if !state.lab.is_empty() {
        let held = db.run(move |c| store::totals(c, now)).await??.rows;
        if held + i64::try_from(count).unwrap_or(i64::MAX) > PRIVATE_LAB_SESSIONS {
            return Err(AppError::Invalid(json!({ "count": [format!(
                "A private lab holds at most {PRIVATE_LAB_SESSIONS} sessions and this one holds {held}: clear them first, or run the 100,000 in the shared lab, from a terminal on the server's own machine (without the authlab_lab cookie)."
            )] })));
        }
    }
    let ttl = state.settings.session_idle.get().num_seconds();
    let created = db
        .run(move |c| super::load::create_load(c, count, now, ttl))
        .await??;
    let totals = db.run(move |c| store::totals(c, now)).await??;
    Ok(HttpResponse::Ok().json(json!({ "created": created, "totals": totals })))
}

/// `POST /session/lab/load/clear`: deletes the load lab's sessions.
async fn clear(
    db: Db,
    state: web::Data<AppState>,
    _json_only: web::Json<NoFields>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.unix();
    let removed = db.run(super::load::clear_load).await??;
    let totals = db.run(move |c| store::totals(c, now)).await??;
    Ok(HttpResponse::Ok().json(json!({ "removed": removed, "totals": totals })))
}
