//! The token scheme: Django REST framework's `TokenAuthentication`, wire-compatible.
//!
//! One random key per user in `authtoken_token`, sent as `Authorization: Token <key>` and looked
//! up on every request. The same key for every device, and no expiry: the notes' trade-offs.

pub mod extractor;
pub mod store;
mod vulnerable;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;
use serde_json::json;

use crate::db::Db;
use crate::schemes::api_user::{patch_username, user_json};
use crate::state::AppState;
use crate::users;
use crate::users::auth::{LoginError, authenticate};
use crate::web::drf::{self, DrfData, Trim, Wire, authorization_wire, json_ok, non_field};
use crate::web::error::AppError;
use crate::web::page::{PageCtx, render};
pub use extractor::{MaybeTokenUser, TokenUser};

/// DRF's `OPTIONS` answer for `obtain_auth_token`, byte for byte as the reference sends it.
const LOGIN_METADATA: &str = r#"{"name":"Obtain Auth Token","description":"","renders":["application/json"],"parses":["application/x-www-form-urlencoded","multipart/form-data","application/json"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"},"token":{"type":"string","required":false,"read_only":true,"label":"Token"}}}}"#;
/// The reference's `OPTIONS` answer for its `/token/api/me/` view.
const ME_METADATA: &str = r#"{"name":"Token Me","description":"Protected by DRF TokenAuthentication (Authorization: Token <key>).","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}"#;

/// Mounts `/token`: the page, and the API behind DRF's content negotiation.
pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/token")
            .service(web::resource("").get(page))
            .service(
                web::scope("/api")
                    .wrap(from_fn(drf::negotiate))
                    .service(
                        web::resource("/login")
                            .post(login)
                            .route(web::route().method(Method::OPTIONS).to(login_options))
                            .default_service(web::to(login_405)),
                    )
                    .service(
                        web::resource("/me")
                            .get(me)
                            .patch(change_username)
                            .route(web::route().method(Method::OPTIONS).to(me_options))
                            .default_service(web::to(authenticated_405)),
                    )
                    .service(web::resource("/regenerate").post(regenerate))
                    .service(web::resource("/logout").post(logout))
                    .service(web::resource("/inspect").get(inspect)),
            ),
    );
    vulnerable::mount(cfg);
}

/// `OPTIONS /token/api/login`: the default authentication classes run first, as on POST.
async fn login_options(req: HttpRequest) -> Result<HttpResponse, AppError> {
    drf::authenticate_default(&req).await?;
    Ok(drf::metadata(LOGIN_METADATA, "POST, OPTIONS"))
}

/// `OPTIONS /token/api/me`: authenticated like GET.
async fn me_options(_auth: TokenUser) -> HttpResponse {
    drf::metadata(ME_METADATA, "GET, PATCH, OPTIONS")
}

/// `POST /token/api/login`: DRF's `obtain_auth_token`. Fields `username` (the e-mail) and
/// `password`; the user's one key, created on first login and returned again on every other.
async fn login(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    drf::authenticate_default(&req).await?;
    let [email, password] = data.char_fields([("username", Trim::Yes), ("password", Trim::No)])?;
    let client = req.peer_addr().map(|a| a.ip());
    let user = match authenticate(
        &db,
        &state.throttle,
        &state.clock,
        &email,
        &password,
        client,
    )
    .await
    {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => {
            return Err(non_field("Unable to log in with provided credentials."));
        }
        Err(LoginError::Throttled(secs)) => return Err(AppError::Throttled(secs)),
        Err(LoginError::Server(e)) => return Err(e.into()),
    };
    let (id, now) = (user.id, state.clock.unix());
    let key = db
        .run(move |c| {
            users::while_password_unchanged(c, &user, |c| store::get_or_create(c, id, now))
        })
        .await??;
    match key {
        Some(key) => Ok(json_ok(json!({ "token": key }))),
        // The password changed while this login was being checked: it no longer earns a key.
        None => Err(non_field("Unable to log in with provided credentials.")),
    }
}

/// `GET /token/api/me`: who the key belongs to — one query.
async fn me(auth: TokenUser) -> HttpResponse {
    user_json(&auth.user)
}

/// Any other method on the login: DRF authenticates first (a bad `Authorization` is 401), then 405.
async fn login_405(req: HttpRequest) -> Result<HttpResponse, AppError> {
    drf::authenticate_default(&req).await?;
    Err(AppError::MethodNotAllowed {
        method: req.method().to_string(),
        allow: "POST, OPTIONS",
    })
}

/// Any other method on `/token/api/me`: authentication first (401), then 405 — DRF's order.
async fn authenticated_405(req: HttpRequest, _auth: TokenUser) -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed {
        method: req.method().to_string(),
        allow: "GET, PATCH, OPTIONS",
    })
}

/// `PATCH /token/api/me` `{"username": …}`: no CSRF token — a header the browser never adds by
/// itself cannot be forged by another site.
async fn change_username(
    auth: TokenUser,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    patch_username(auth.user, &db, &state, &data).await
}

/// `POST /token/api/regenerate`: a new key; the old one is refused from the next request on.
async fn regenerate(
    auth: TokenUser,
    db: Db,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (id, now) = (auth.user.id, state.clock.unix());
    let key = db.run(move |c| store::regenerate(c, id, now)).await??;
    Ok(json_ok(json!({ "token": key })))
}

/// `POST /token/api/logout`: deletes the key — and so logs out every device that uses it.
async fn logout(auth: TokenUser, db: Db) -> Result<HttpResponse, AppError> {
    let id = auth.user.id;
    db.run(move |c| store::delete(c, id)).await??;
    Ok(json_ok(
        json!({ "detail": "Logged out: the key was deleted, on every device that used it." }),
    ))
}

/// What the token page's panels show.
#[derive(Debug, Serialize)]
pub struct Inspect {
    /// `"token"`.
    pub scheme: &'static str,
    /// The user the sent key belongs to.
    pub user: Option<serde_json::Value>,
    /// The `Authorization` header exactly as received, and its size in bytes.
    pub wire: Wire,
    /// The user's `authtoken_token` row.
    pub row: Option<store::TokenRow>,
    /// How old the key is, in seconds on the lab clock (it never expires).
    pub age_seconds: Option<i64>,
    /// Rows in `authtoken_token`.
    pub total_rows: i64,
}

/// `GET /token/api/inspect`.
async fn inspect(
    req: HttpRequest,
    auth: MaybeTokenUser,
    db: Db,
    state: web::Data<AppState>,
) -> Result<web::Json<Inspect>, AppError> {
    let user_id = auth.0.as_ref().map(|a| a.user.id);
    let (row, total_rows) = db
        .run(move |c| -> rusqlite::Result<_> {
            let row = match user_id {
                Some(id) => store::for_user(c, id)?,
                None => None,
            };
            Ok((row, store::count(c)?))
        })
        .await??;
    let now = state.clock.unix();
    Ok(web::Json(Inspect {
        scheme: "token",
        user: auth.0.as_ref().map(
            |a| json!({ "id": a.user.id, "email": a.user.email, "username": a.user.username }),
        ),
        wire: authorization_wire(&req),
        age_seconds: row.as_ref().map(|r| now - r.created),
        row,
        total_rows,
    }))
}

/// `GET /token`: the page; its script logs in with `fetch` and keeps the key in localStorage.
#[derive(Template)]
#[template(path = "token/index.html")]
struct Page {
    ctx: PageCtx,
    host: String,
}

async fn page(req: HttpRequest) -> Result<HttpResponse, AppError> {
    render(Page {
        ctx: PageCtx::of(&req),
        host: req.connection_info().host().to_owned(),
    })
}
