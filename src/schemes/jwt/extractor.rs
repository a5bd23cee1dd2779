//! `JwtUser` and `JwtClaims`: simplejwt's `JWTAuthentication`, answer for answer.
//!
//! `Authorization: Bearer <access token>` (keyword case-sensitive). `JwtClaims` trusts the signed
//! claims alone — no query at all; `JwtUser` also loads the user, as simplejwt does by default.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde_json::json;

use crate::db::{Db, Pool};
use crate::meter::Meter;
use crate::schemes::jwt::claims::{self, Kind, TokenError, Verified};
use crate::state::AppState;
use crate::users::{self, Account};
use crate::web::drf::authorization_parts;
use crate::web::error::AppError;

/// The challenge of every simplejwt 401.
pub const CHALLENGE: &str = "Bearer realm=\"api\"";

/// A 401 `{"detail": …, "code": …}` with the Bearer challenge.
pub fn token_error(detail: &str, code: &str) -> AppError {
    AppError::Unauthorized {
        body: json!({ "detail": detail, "code": code }),
        challenge: CHALLENGE,
    }
}

/// The 401 of a simplejwt view for a token that failed its checks.
pub fn not_valid(e: TokenError) -> AppError {
    token_error(&e.to_string(), "token_not_valid")
}

/// The raw token of `Authorization: Bearer <token>`: `Ok(None)` when there is no such header.
pub fn bearer_token(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(parts) = authorization_parts(req) else {
        return Ok(None);
    };
    match parts.as_slice() {
        [] => Ok(None),
        [keyword, ..] if keyword.as_ref() != b"Bearer" => Ok(None),
        [_, raw] => Ok(Some(String::from_utf8_lossy(raw).into_owned())),
        _ => Err(token_error(
            "Authorization header must contain two space-delimited values",
            "bad_authorization_header",
        )),
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("app state missing")))
}

/// Validates an access token the way `JWTAuthentication.get_validated_token` does.
pub fn validated_access(token: &str, state: &AppState) -> Result<Verified, AppError> {
    let started = Instant::now();
    let checked = claims::verify(
        token,
        &state.keys().jwt,
        Some(Kind::Access),
        state.clock.unix(),
    );
    Meter::current().add_auth(started.elapsed(), "jwt verify");
    checked.map_err(|e| AppError::Unauthorized {
        body: json!({
            "detail": "Given token not valid for any token type",
            "code": "token_not_valid",
            "messages": [{
                "token_class": Kind::Access.class_name(),
                "token_type": Kind::Access.as_str(),
                "message": e.to_string(),
            }],
        }),
        challenge: CHALLENGE,
    })
}

/// The verified claims of the request's access token; no query.
#[derive(Debug)]
pub struct JwtClaims(pub Verified);

/// A request whose access token is valid and whose user exists and is active.
#[derive(Debug)]
pub struct JwtUser {
    /// The user.
    pub user: Account,
    /// The token's claims.
    pub token: Verified,
}

/// [`JwtUser`] for routes open to guests.
#[derive(Debug)]
pub struct MaybeJwtUser(pub Option<JwtUser>);

fn claims_of(req: &HttpRequest) -> Result<Option<Verified>, AppError> {
    let Some(raw) = bearer_token(req)? else {
        return Ok(None);
    };
    let state = state(req)?;
    validated_access(&raw, &state).map(Some)
}

/// The user of the request's Bearer token: `Ok(None)` when it sent none, a 401 when it is refused.
pub async fn user_of(req: &HttpRequest) -> Result<Option<JwtUser>, AppError> {
    let Some(token) = claims_of(req)? else {
        return Ok(None);
    };
    let id = match token.user_id() {
        None => {
            return Err(token_error(
                "Token contained no recognizable user identification",
                "token_not_valid",
            ));
        }
        Some(Err(())) => return Err(token_error("User not found", "user_not_found")),
        Some(Ok(id)) => id,
    };
    let pool = req
        .app_data::<web::Data<Pool>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the database pool is not registered")))?
        .get_ref()
        .clone();
    match Db::new(pool)
        .read(move |c| users::find_account(c, id))
        .await??
    {
        None => Err(token_error("User not found", "user_not_found")),
        Some(user) if !user.is_active => Err(token_error("User is inactive", "user_inactive")),
        Some(user) => Ok(Some(JwtUser { user, token })),
    }
}

fn not_provided() -> AppError {
    AppError::Unauthorized {
        body: json!({ "detail": "Authentication credentials were not provided." }),
        challenge: CHALLENGE,
    }
}

impl FromRequest for JwtClaims {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(claims_of(req).and_then(|c| c.map(JwtClaims).ok_or_else(not_provided)))
    }
}

impl FromRequest for JwtUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { user_of(&req).await?.ok_or_else(not_provided) })
    }
}

impl FromRequest for MaybeJwtUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { user_of(&req).await.map(MaybeJwtUser) })
    }
}
