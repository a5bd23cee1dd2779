//! Lab actions that move the world for a class: the lab clock. Mounted only when lab controls are on.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::config::HumaneDuration;
use crate::startup::AppState;
use crate::web::error::AppError;

/// A guard that lets a lab route match only when lab controls are on (otherwise: 404).
pub fn lab_only() -> impl actix_web::guard::Guard {
    actix_web::guard::fn_guard(|ctx| {
        ctx.app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.lab_enabled())
    })
}

/// Mounts `/lab/...` when lab controls are on; otherwise those paths answer 404.
pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/lab/clock")
            .guard(lab_only())
            .route(web::get().to(clock))
            .route(web::post().to(move_clock)),
    );
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
    change: web::Json<ClockChange>,
) -> Result<HttpResponse, AppError> {
    let change = change.into_inner();
    match (change.advance, change.reset) {
        (Some(_), true) => Err(AppError::Invalid(json!({
            "non_field_errors": ["Send either \"advance\" or \"reset\", not both."]
        }))),
        (None, false) => Err(AppError::Invalid(json!({
            "non_field_errors": ["Send {\"advance\": \"10m\"} or {\"reset\": true}."]
        }))),
        (None, true) => {
            state.clock.reset();
            Ok(clock_body(&state))
        }
        (Some(by), false) => {
            let by: HumaneDuration = by
                .parse()
                .map_err(|e: String| AppError::Invalid(json!({ "advance": [e] })))?;
            state.clock.advance(by.get());
            Ok(clock_body(&state))
        }
    }
}

fn clock_body(state: &AppState) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(
        json!({
            "now": state.clock.now().to_rfc3339(),
            "now_unix": state.clock.unix(),
            "offset_seconds": state.clock.offset().num_seconds(),
        })
        .to_string(),
    )
}
