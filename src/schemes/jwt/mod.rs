//! The JWT scheme: simplejwt-compatible access/refresh pairs with rotation, blacklisting and
//! refresh-token reuse detection.
//!
//! An access token is checked by its signature alone; the server stores nothing for it. Refresh
//! tokens are remembered in `jwt_outstanding` so they can be rotated and blacklisted.

pub mod claims;
pub mod extractor;
mod labs;
mod panels;
pub mod store;
mod vulnerable;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::db::Db;
use crate::schemes::api_user::{patch_username, user_json};
use crate::state::AppState;
use crate::users;
use crate::users::auth::{LoginError, authenticate};
use crate::web::drf::{self, DrfData, Trim, json_ok, non_field};
use crate::web::error::AppError;
use claims::{Claims, Kind, Verified};
use extractor::{CHALLENGE, JwtClaims, JwtUser, not_valid, token_error};
use store::{Outstanding, Rotation};

/// simplejwt's `OPTIONS` answers, byte for byte as the reference sends them (its views' docstrings).
const OBTAIN_METADATA: &str = r#"{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"email":{"type":"string","required":true,"read_only":false,"label":"Email"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}"#;
const REFRESH_METADATA: &str = r#"{"name":"Token Refresh","description":"Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"}}}}"#;
const VERIFY_METADATA: &str = r#"{"name":"Token Verify","description":"Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"token":{"type":"string","required":true,"read_only":false,"label":"Token"}}}}"#;
const BLACKLIST_METADATA: &str = r#"{"name":"Token Blacklist","description":"Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"}}}}"#;
/// The reference's `OPTIONS` answer for its `/jwt/api/me/` view.
const ME_METADATA: &str = r#"{"name":"Jwt Me","description":"Protected by simplejwt JWTAuthentication (Authorization: Bearer <access>).","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}"#;

/// A simplejwt view: POST, and `OPTIONS` with its metadata (these views authenticate nobody).
fn token_view<F, Args>(path: &str, handler: F, metadata: &'static str) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path).post(handler).route(
        web::route()
            .method(Method::OPTIONS)
            .to(move || async move { drf::metadata(metadata, "POST, OPTIONS") }),
    )
}

/// Mounts `/jwt`: the page, and the API behind DRF's content negotiation.
pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/jwt")
            .service(web::resource("").get(panels::page))
            .service(web::resource("/workbench").get(panels::workbench))
            .service(
                web::scope("/api")
                    .wrap(from_fn(drf::negotiate))
                    .service(token_view("/token", obtain, OBTAIN_METADATA))
                    .service(token_view("/token/refresh", refresh, REFRESH_METADATA))
                    .service(token_view("/token/verify", verify, VERIFY_METADATA))
                    .service(token_view(
                        "/token/blacklist",
                        blacklist,
                        BLACKLIST_METADATA,
                    ))
                    .service(
                        web::resource("/me")
                            .get(me)
                            .patch(change_username)
                            .route(web::route().method(Method::OPTIONS).to(me_options))
                            .default_service(web::to(authenticated_405)),
                    )
                    .service(web::resource("/claims").get(claims_only))
                    .service(web::resource("/inspect").get(panels::inspect))
                    .configure(labs::mount),
            ),
    );
    vulnerable::mount(cfg);
}

/// `OPTIONS /jwt/api/me`: authenticated like GET.
async fn me_options(_auth: JwtUser) -> HttpResponse {
    drf::metadata(ME_METADATA, "GET, PATCH, OPTIONS")
}

/// A fresh pair for one user, signed; the refresh token is not remembered yet.
struct Pair {
    access: String,
    refresh: String,
    refresh_claims: Claims,
    user_id: i64,
}

impl Pair {
    fn mint(state: &AppState, user_id: i64) -> Result<Pair, AppError> {
        let now = state.clock.unix();
        let refresh_claims = Claims::new(
            Kind::Refresh,
            user_id,
            now,
            state.settings.refresh_ttl.get().num_seconds(),
        );
        let access = Claims::new(
            Kind::Access,
            user_id,
            now,
            state.settings.access_ttl.get().num_seconds(),
        );
        Ok(Pair {
            refresh: refresh_claims
                .sign(&state.keys().jwt)
                .map_err(AppError::Internal)?,
            access: access.sign(&state.keys().jwt).map_err(AppError::Internal)?,
            refresh_claims,
            user_id,
        })
    }

    /// Its refresh token, to be remembered.
    fn issued(&self) -> store::Issued<'_> {
        store::Issued {
            jti: &self.refresh_claims.jti,
            user_id: self.user_id,
            token: &self.refresh,
            created_at: self.refresh_claims.iat,
            expires_at: self.refresh_claims.exp,
        }
    }
}

/// `POST /jwt/api/token`: `email` + `password` → `{"refresh", "access"}`. A new family per login.
async fn obtain(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    let user = check_login(&req, &db, &state, data).await?;
    issue_pair(&db, &state, user).await
}

/// The user whose `{"email", "password"}` these are, refused in simplejwt's words: the token
/// view's check, which the lab's token routes share.
async fn check_login(
    req: &HttpRequest,
    db: &Db,
    state: &AppState,
    data: DrfData,
) -> Result<users::User, AppError> {
    // simplejwt's PasswordField keeps CharField's default trimming (unlike DRF's authtoken login).
    let [email, password] = data.char_fields([("email", Trim::Yes), ("password", Trim::Yes)])?;
    let client = req.peer_addr().map(|a| a.ip());
    match authenticate(db, &state.throttle, &state.clock, &email, &password, client).await {
        Ok(user) => Ok(user),
        Err(LoginError::InvalidCredentials) => Err(AppError::unauthorized(
            "No active account found with the given credentials",
            CHALLENGE,
        )),
        Err(LoginError::Throttled(secs)) => Err(AppError::Throttled(secs)),
        Err(LoginError::Server(e)) => Err(e.into()),
    }
}

/// A new pair for `user`, just authenticated, in a new family: its refresh token remembered
/// while the password it verified is still current.
async fn issue_pair(
    db: &Db,
    state: &AppState,
    user: users::User,
) -> Result<HttpResponse, AppError> {
    let pair = std::sync::Arc::new(Pair::mint(state, user.id)?);
    let (remembered, family) = (pair.clone(), claims::new_jti());
    let recorded = db
        .run(move |c| {
            users::while_password_unchanged(c, &user, |c| {
                store::record(c, &remembered.issued().in_family(&family))
            })
        })
        .await??;
    if recorded.is_none() {
        // The password changed while this login was being checked: it no longer earns a pair.
        return Err(AppError::unauthorized(
            "No active account found with the given credentials",
            CHALLENGE,
        ));
    }
    Ok(json_ok(
        json!({ "refresh": pair.refresh, "access": pair.access }),
    ))
}

fn verified_refresh(token: &str, state: &AppState) -> Result<Verified, AppError> {
    claims::verify(
        token,
        &state.keys().jwt,
        Some(Kind::Refresh),
        state.clock.unix(),
    )
    .map_err(not_valid)
}

fn outstanding<'a>(
    v: &'a Verified,
    user_id: Option<i64>,
    family: &'a str,
    token: &'a str,
    jti: &'a str,
    now: i64,
) -> Outstanding<'a> {
    Outstanding {
        jti,
        user_id,
        family,
        token,
        created_at: v.iat().unwrap_or(now),
        expires_at: v.exp(),
    }
}

/// `POST /jwt/api/token/refresh`: `{"refresh"}` → `{"access", "refresh"}`; the old refresh token is
/// blacklisted. Presenting an already-rotated one blacklists its whole family.
async fn refresh(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    let [raw] = data.char_fields([("refresh", Trim::Yes)])?;
    let token = verified_refresh(&raw, &state)?;
    let jti = token.jti();
    let (check, grace) = (
        jti.clone(),
        state.settings.refresh_grace.get().num_seconds(),
    );
    let now = state.clock.unix();
    if db
        .run(move |c| store::refuses_refresh(c, &check, now, grace))
        .await??
    {
        // Blacklisted: a logout, or a rotation replayed after the grace window. Replays revoke the family.
        let presented = raw.clone();
        let jti = jti.clone();
        let verified = token.clone();
        let rotation = db
            .run(move |c| {
                store::rotate(
                    c,
                    &outstanding(&verified, None, &jti, &presented, &jti, now),
                    None,
                    now,
                    grace,
                )
            })
            .await??;
        if matches!(rotation, Rotation::Reused) {
            reuse_seen(&req, &db, &state).await;
        }
        return Err(not_valid_blacklisted());
    }
    let user_id = match token.user_id() {
        None => {
            return Err(token_error(
                "Token contained no recognizable user identification",
                "token_not_valid",
            ));
        }
        Some(Err(())) => return Err(token_error("User not found", "token_not_valid")),
        Some(Ok(id)) => id,
    };
    match db.run(move |c| users::find(c, user_id)).await?? {
        None => return Err(token_error("User not found", "token_not_valid")),
        Some(user) if !user.is_active => {
            return Err(AppError::unauthorized(
                "No active account found for the given token.",
                CHALLENGE,
            ));
        }
        Some(_) => {}
    }
    // The successor is minted first and remembered in the rotation's own transaction, so a replay
    // of the old token can never revoke the family in between and miss it.
    let pair = std::sync::Arc::new(Pair::mint(&state, user_id)?);
    let (presented, verified, successor) = (raw.clone(), token.clone(), pair.clone());
    let new_family = claims::new_jti();
    let rotation = db
        .run(move |c| {
            store::rotate(
                c,
                &outstanding(&verified, Some(user_id), &new_family, &presented, &jti, now),
                Some(successor.issued()),
                now,
                grace,
            )
        })
        .await??;
    match rotation {
        Rotation::Rotated { .. } => Ok(json_ok(
            json!({ "access": pair.access, "refresh": pair.refresh }),
        )),
        // Inside the grace window: a fresh access token and the refresh token the first
        // rotation already issued, so both tabs hold the same one.
        Rotation::AlreadyRotated { successor } => Ok(json_ok(
            json!({ "access": pair.access, "refresh": successor }),
        )),
        Rotation::Reused => {
            reuse_seen(&req, &db, &state).await;
            Err(not_valid_blacklisted())
        }
        Rotation::Blacklisted => Err(not_valid_blacklisted()),
    }
}

/// The refresh-reuse challenge: the learner replayed a rotated-out refresh token themselves
/// (the two-tabs lab's button does not count) and its family was revoked.
async fn reuse_seen(req: &HttpRequest, db: &Db, state: &AppState) {
    if state.settings.lab_enabled() && !crate::web::by_a_lab_button(req) {
        let how = "POST /jwt/api/token/refresh with a refresh token already rotated out: its whole family was blacklisted".to_owned();
        crate::challenges::record(
            db,
            crate::challenges::Challenge::RefreshReuse,
            "reused",
            how,
        )
        .await;
    }
}

fn not_valid_blacklisted() -> AppError {
    token_error("Token is blacklisted", "token_not_valid")
}

/// `POST /jwt/api/token/verify`: `{"token"}` → `{}` for any valid token, access or refresh.
async fn verify(
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    let [raw] = data.char_fields([("token", Trim::Yes)])?;
    let token =
        claims::verify(&raw, &state.keys().jwt, None, state.clock.unix()).map_err(not_valid)?;
    let jti = token.jti();
    if db.run(move |c| store::is_blacklisted(c, &jti)).await?? {
        return Err(non_field("Token is blacklisted"));
    }
    Ok(json_ok(json!({})))
}

/// `POST /jwt/api/token/blacklist`: `{"refresh"}` → `{}`; logs that login out (its access token
/// keeps working until it expires — the lesson of the logout lab).
async fn blacklist(
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    let [raw] = data.char_fields([("refresh", Trim::Yes)])?;
    let token = verified_refresh(&raw, &state)?;
    let (jti, now) = (token.jti(), state.clock.unix());
    let user_id = token.user_id().and_then(Result::ok);
    let family = claims::new_jti();
    let fresh = db
        .run(move |c| {
            store::blacklist(
                c,
                &outstanding(&token, user_id, &family, &raw, &jti, now),
                now,
            )
        })
        .await??;
    if fresh {
        Ok(json_ok(json!({})))
    } else {
        Err(not_valid_blacklisted())
    }
}

/// `GET /jwt/api/me`: the user of the access token (one query, as simplejwt's default loads it).
async fn me(auth: JwtUser) -> HttpResponse {
    user_json(&auth.user)
}

/// `PATCH /jwt/api/me` `{"username"}`.
async fn change_username(
    auth: JwtUser,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    patch_username(auth.user, &db, &state, &data).await
}

async fn authenticated_405(req: HttpRequest, _auth: JwtUser) -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed {
        method: req.method().to_string(),
        allow: "GET, PATCH, OPTIONS",
    })
}

/// `GET /jwt/api/claims`: answers from the verified claims alone — zero queries: the truly
/// stateless check.
async fn claims_only(JwtClaims(token): JwtClaims) -> HttpResponse {
    // The payload is a JSON object already checked: it goes out exactly as the token carries it.
    HttpResponse::Ok()
        .content_type("application/json")
        .body(format!(
            r#"{{"claims":{},"queries":0}}"#,
            token.payload_json()
        ))
}
