//! `TokenUser`: DRF's `TokenAuthentication`, answer for answer.
//!
//! `Authorization: Token <key>` (keyword case-insensitive) is looked up in one query; every way it
//! can be wrong gives the contract's exact 401 with `WWW-Authenticate: Token`.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::db::{Db, Pool};
use crate::meter::Meter;
use crate::users::Account;
use crate::web::drf::authorization_parts;
use crate::web::error::AppError;

/// The challenge of the token group's 401s.
pub const CHALLENGE: &str = "Token";

/// A request whose `Authorization: Token <key>` names an active user.
#[derive(Debug)]
pub struct TokenUser {
    /// The user the key belongs to.
    pub user: Account,
    /// The key that was sent.
    pub key: String,
}

/// [`TokenUser`] for routes open to guests: `None` when no `Token` credentials were sent.
#[derive(Debug)]
pub struct MaybeTokenUser(pub Option<TokenUser>);

/// What the header holds, before any lookup.
pub enum Credentials {
    /// No `Authorization` header, or another keyword: not our business.
    None,
    /// A well-formed key to look up.
    Key(String),
    /// A malformed `Token` header: this error.
    Malformed(&'static str),
}

/// Reads the header as `TokenAuthentication.authenticate` does.
pub fn credentials(req: &HttpRequest) -> Credentials {
    let Some(parts) = authorization_parts(req) else {
        return Credentials::None;
    };
    match parts.as_slice() {
        [] => Credentials::None,
        [keyword, ..] if !keyword.eq_ignore_ascii_case(b"token") => Credentials::None,
        [_] => Credentials::Malformed("Invalid token header. No credentials provided."),
        [_, key] => match std::str::from_utf8(key) {
            Ok(key) => Credentials::Key(key.to_owned()),
            Err(_) => Credentials::Malformed(
                "Invalid token header. Token string should not contain invalid characters.",
            ),
        },
        _ => {
            Credentials::Malformed("Invalid token header. Token string should not contain spaces.")
        }
    }
}

/// Looks the key up: `Ok(None)` for an unknown key, else the user.
async fn lookup(pool: Pool, key: String) -> Result<Option<Account>, AppError> {
    let started = Instant::now();
    let lookup_key = key.clone();
    let user = Db::new(pool)
        .read(move |c| super::store::account_for_key(c, &lookup_key))
        .await??;
    Meter::current().add_auth(started.elapsed(), "token lookup");
    Ok(user)
}

/// Authenticates the request's `Token` credentials: `Ok(None)` when there are none.
pub async fn authenticate(
    req: &HttpRequest,
    challenge: &'static str,
) -> Result<Option<TokenUser>, AppError> {
    let key = match credentials(req) {
        Credentials::None => return Ok(None),
        Credentials::Malformed(detail) => return Err(AppError::unauthorized(detail, challenge)),
        Credentials::Key(key) => key,
    };
    let pool = req
        .app_data::<web::Data<Pool>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the database pool is not registered")))?
        .get_ref()
        .clone();
    match lookup(pool, key.clone()).await? {
        None => Err(AppError::unauthorized("Invalid token.", challenge)),
        Some(user) if !user.is_active => Err(AppError::unauthorized(
            "User inactive or deleted.",
            challenge,
        )),
        Some(user) => Ok(Some(TokenUser { user, key })),
    }
}

impl FromRequest for TokenUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(&req, CHALLENGE).await?.ok_or_else(|| {
                AppError::unauthorized("Authentication credentials were not provided.", CHALLENGE)
            })
        })
    }
}

impl FromRequest for MaybeTokenUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req, CHALLENGE).await.map(MaybeTokenUser) })
    }
}
