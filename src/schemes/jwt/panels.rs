//! The JWT page and its panels: what the browser holds, what crosses the wire, and the refresh
//! tokens the server remembers (`/jwt/api/inspect`).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;
use serde_json::{Value, json};

use super::extractor::MaybeJwtUser;
use super::{claims, store};
use crate::db::Db;
use crate::state::AppState;
use crate::web::drf::{Wire, authorization_wire};
use crate::web::error::AppError;
use crate::web::page::{PageCtx, render};

/// The header in which the JWT page names the refresh token it held last (see [`inspect`]).
const LAST_REFRESH_HEADER: &str = "x-authlab-last-refresh";

/// What the JWT page's panels show.
#[derive(Debug, Serialize)]
pub struct Inspect {
    /// `"jwt"`.
    pub scheme: &'static str,
    /// The access token's user.
    pub user: Option<Value>,
    /// The `Authorization` header as received and its size.
    pub wire: Wire,
    /// Rows the server holds for the access token this request presented (its `jti` looked up in
    /// `jwt_outstanding`, counted rather than assumed): zero, since access tokens are never stored.
    pub access_rows: i64,
    /// This user's refresh tokens, newest first.
    pub refresh_rows: Vec<store::RefreshRow>,
    /// Both tables' sizes.
    pub totals: store::Totals,
    /// The server's clock (Unix seconds), so the page counts down on the lab clock.
    pub now: i64,
}

/// `GET /jwt/api/inspect`: the panels' data for the token this request presents (or, logged out
/// with lab controls on, for the refresh token the page held last).
pub(super) async fn inspect(
    req: HttpRequest,
    auth: MaybeJwtUser,
    db: Db,
    state: web::Data<AppState>,
) -> Result<web::Json<Inspect>, AppError> {
    // Logged out, the page (lab controls on) still names the refresh token it held last, so the
    // row just blacklisted stays in view: only the exact token the server remembers opens its
    // own family's rows, nothing else of the user's.
    let user_id = auth.0.as_ref().map(|a| a.user.id);
    let last_refresh = match (&auth.0, state.settings.lab_enabled()) {
        (None, true) => req
            .headers()
            .get(LAST_REFRESH_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|token| token.trim().to_owned()),
        _ => None,
    };
    let access_jti = auth.0.as_ref().map(|a| a.token.jti());
    let (refresh_rows, totals, access_rows) = db
        .run(move |c| -> rusqlite::Result<_> {
            let rows = match (user_id, last_refresh) {
                (Some(id), _) => store::for_user(c, id, 20)?,
                (None, Some(token)) => match claims::unverified_jti(&token) {
                    Some(jti) => store::family_of_token(c, &jti, &token, 20)?,
                    None => Vec::new(),
                },
                (None, None) => Vec::new(),
            };
            let access_rows = match access_jti {
                Some(jti) => store::rows_with_jti(c, &jti)?,
                None => 0,
            };
            Ok((rows, store::totals(c)?, access_rows))
        })
        .await??;
    Ok(web::Json(Inspect {
        scheme: "jwt",
        user: auth.0.as_ref().map(
            |a| json!({ "id": a.user.id, "email": a.user.email, "username": a.user.username }),
        ),
        wire: authorization_wire(&req),
        access_rows,
        refresh_rows,
        totals,
        now: state.clock.unix(),
    }))
}

/// `GET /jwt`: the page with the live decoder; its script keeps the pair in localStorage.
#[derive(Template)]
#[template(path = "jwt/index.html")]
struct Page {
    ctx: PageCtx,
    host: String,
    access_ttl: String,
    refresh_ttl: String,
    /// The refresh grace window in seconds (0: off).
    grace: i64,
    /// The window, and one second past it, written for people in the reader's language.
    grace_text: String,
    grace_after_text: String,
}

pub(super) async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::of(&req);
    let grace = state.settings.refresh_grace.get().num_seconds();
    render(Page {
        host: req.connection_info().host().to_owned(),
        access_ttl: ctx.duration(state.settings.access_ttl.get().num_seconds()),
        refresh_ttl: ctx.duration(state.settings.refresh_ttl.get().num_seconds()),
        grace,
        grace_text: ctx.duration(grace),
        grace_after_text: ctx.duration(grace + 1),
        ctx,
    })
}

/// `GET /jwt/workbench`: paste any JWT, decode it, edit it, sign it HS256 with a secret typed in
/// the page (or leave it unsigned), and send it where the learner chooses. Nothing leaves the
/// page but the request the learner sends.
#[derive(Template)]
#[template(path = "jwt/workbench.html")]
struct Workbench {
    ctx: PageCtx,
    host: String,
}

pub(super) async fn workbench(req: HttpRequest) -> Result<HttpResponse, AppError> {
    // The page context first: `connection_info` holds the request's extensions while it lives.
    let ctx = PageCtx::of(&req);
    let host = req.connection_info().host().to_owned();
    render(Workbench { ctx, host })
}
