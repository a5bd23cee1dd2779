//! The labs across schemes, under `/lab/…`, mounted only when lab controls are on: the lab clock,
//! key rotation and reset (here), the replay matrix and two devices (`matrix`), what the server
//! keeps after N logins (`kept`), the second server (`second_server`), and the loopback client
//! they all log in with (`agent`).

pub mod agent;
pub mod another_site;
pub mod join;
pub mod kept;
pub mod matrix;
pub mod second_server;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::config::HumaneDuration;
use crate::state::AppState;
use crate::web::error::AppError;

use crate::web::lab_only;

/// Mounts `/lab/...` when lab controls are on; otherwise those paths answer 404.
pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/lab/clock")
            .guard(lab_only())
            .route(web::get().to(clock))
            .route(web::post().to(move_clock)),
    )
    .service(
        web::resource("/lab/rotate-keys")
            .guard(lab_only())
            .post(rotate_keys),
    )
    .service(
        web::resource("/lab/matrix")
            .guard(lab_only())
            .post(crate::pages::labs::matrix::matrix),
    )
    .service(
        web::resource("/lab/two-devices")
            .guard(lab_only())
            .post(crate::pages::labs::matrix::two_devices),
    )
    .service(
        web::resource("/lab/second-server")
            .guard(lab_only())
            .post(crate::pages::labs::second_server::second_server),
    )
    .service(
        web::resource("/lab/kept")
            .guard(lab_only())
            .post(crate::pages::labs::kept::kept),
    )
    .service(web::resource("/lab/reset").guard(lab_only()).post(reset))
    .service(
        web::resource("/lab/join")
            .guard(lab_only())
            .get(join::form)
            .post(join::join),
    );
}

/// `POST /lab/reset` `{"confirm": true}`: deletes every session, token, refresh row and user,
/// restores the demo users (ids 1–3), puts the clock back and forgives failed logins; answers
/// `Clear-Site-Data` so the browser forgets its side too. A class starts fresh in one click.
async fn reset(
    state: web::Data<AppState>,
    pool: web::Data<crate::db::Pool>,
    body: web::Json<Confirm>,
) -> Result<HttpResponse, AppError> {
    if !body.confirm {
        return Err(AppError::Invalid(json!({
            "confirm": ["Send {\"confirm\": true} to delete every login and user."]
        })));
    }
    reset_lab(&state, pool.get_ref().clone()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Clear-Site-Data", "\"cookies\", \"storage\""))
        .json(json!({ "reset": true, "users": 3 })))
}

/// Empties one lab: every session, token, refresh row and user; the demo users again (ids 1–3),
/// new keys, the clock back to real time and no failed logins remembered.
pub(crate) async fn reset_lab(state: &AppState, pool: crate::db::Pool) -> Result<(), AppError> {
    crate::db::Db::new(pool.clone())
        .run(|c| {
            crate::db::in_transaction(c, |c| {
                crate::schemes::jwt::store::reset(c)?;
                crate::schemes::token::store::reset(c)?;
                crate::schemes::session::store::reset(c)?;
                crate::users::reset(c)
            })
        })
        .await??;
    crate::users::demo::seed(&pool, &crate::clock::Clock::default())
        .await
        .map_err(AppError::Internal)?;
    // Ids start again at 1, so every old signed cookie and JWT would name someone new: new keys.
    rotate(state, pool).await?;
    state.clock.reset();
    state.throttle.clear();
    Ok(())
}

/// `{"confirm": true}`: what every action that deletes a lab's state (or every lab's) asks for.
#[derive(Debug, Deserialize)]
pub struct Confirm {
    /// Whether the caller confirmed.
    #[serde(default)]
    pub confirm: bool,
}

/// `POST /lab/rotate-keys`: replaces the cookie key and the JWT secret. Every signed cookie and
/// every JWT dies at once; sessions and DRF tokens, which the server looks up, survive.
async fn rotate_keys(
    state: web::Data<AppState>,
    pool: web::Data<crate::db::Pool>,
    _json_only: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    rotate(&state, pool.get_ref().clone()).await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "rotated": ["cookie", "jwt"], "kept": ["session", "token", "csrf"] })))
}

/// Replaces the cookie key and the JWT secret, in the database and in force.
pub(crate) async fn rotate(state: &AppState, pool: crate::db::Pool) -> Result<(), AppError> {
    let current = state.keys();
    let rotated = web::block(move || current.rotate(&pool))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?
        .map_err(AppError::Internal)?;
    state.set_keys(rotated);
    Ok(())
}

/// `{"advance": "10m"}` moves the clock forward; `{"reset": true}` puts it back to real time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    advance: Option<String>,
    #[serde(default)]
    reset: bool,
}

async fn clock(state: web::Data<AppState>) -> HttpResponse {
    clock_body(&state)
}

async fn move_clock(
    state: web::Data<AppState>,
    pool: web::Data<crate::db::Pool>,
    change: web::Json<ClockChange>,
) -> Result<HttpResponse, AppError> {
    apply_clock(&state, pool.get_ref(), change.into_inner()).await?;
    Ok(clock_body(&state))
}

/// Moves one lab's clock forward (sweeping what the jump made expire) or back to real time.
pub(crate) async fn apply_clock(
    state: &AppState,
    pool: &crate::db::Pool,
    change: ClockChange,
) -> Result<(), AppError> {
    match (change.advance, change.reset) {
        (Some(_), true) => Err(AppError::Invalid(json!({
            "non_field_errors": ["Send either \"advance\" or \"reset\", not both."]
        }))),
        (None, false) => Err(AppError::Invalid(json!({
            "non_field_errors": ["Send {\"advance\": \"10m\"} or {\"reset\": true}."]
        }))),
        (None, true) => {
            state.clock.reset();
            Ok(())
        }
        (Some(by), false) => {
            let by: HumaneDuration = by
                .parse()
                .map_err(|e: String| AppError::Invalid(json!({ "advance": [e] })))?;
            state
                .clock
                .advance(by.get())
                .map_err(|e| AppError::Invalid(json!({ "advance": [e.to_string()] })))?;
            // What the jump made expire is swept at once, as a server that has been running all
            // that time would have: putting the clock back later brings none of it back.
            crate::pages::sweep::sweep(pool, &state.clock, &state.last_sweep)
                .await
                .map_err(AppError::Internal)?;
            Ok(())
        }
    }
}

fn clock_body(state: &AppState) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(
        json!({
            "now": state.clock.now().to_rfc3339(),
            "now_text": state.clock.now_for_people(),
            "now_unix": state.clock.unix(),
            "offset_seconds": state.clock.offset().num_seconds(),
        })
        .to_string(),
    )
}
