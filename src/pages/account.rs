//! `/account/password`: change a password with the current one, from any scheme.
//!
//! As ASVS 7.4.3 asks, a password change ends the user's server-side sessions and blacklists
//! their refresh tokens. What the server keeps nothing for — a signed cookie, an access token —
//! and DRF's token (as in DRF) survive; the replay matrix shows exactly which.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::Db;
use crate::schemes::jwt::store as jwt_store;
use crate::schemes::session::store as session_store;
use crate::state::AppState;
use crate::users::auth::{LoginError, authenticate, hash_password};
use crate::users::{self, password};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::page::{PageCtx, render};

/// The form as submitted.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `GET /account/password` and its answers.
#[derive(Template)]
#[template(path = "users/password.html")]
struct PasswordPage {
    ctx: PageCtx,
    email: String,
    error: Option<String>,
    done: Option<Done>,
}

/// What a successful change ended.
struct Done {
    sessions: usize,
    refresh_tokens: usize,
}

/// `GET /account/password`.
pub async fn form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    render(PasswordPage {
        ctx: PageCtx::of(&req),
        email: String::new(),
        error: None,
        done: None,
    })
}

/// `POST /account/password`.
pub async fn submit(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    CsrfForm(input): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::of(&req);
    let refuse = |status: actix_web::http::StatusCode, key: &str, seconds: &str| {
        let message = ctx.t_with(key, [("seconds", seconds)]);
        let page = PasswordPage {
            ctx: ctx.clone(),
            email: input.email.trim().to_owned(),
            error: Some(message),
            done: None,
        };
        render(page).map(|mut res| {
            *res.status_mut() = status;
            res
        })
    };
    if let Err(e) = password::check_new(&input.new_password) {
        return refuse(actix_web::http::StatusCode::BAD_REQUEST, e.key(), "");
    }
    let client = req.peer_addr().map(|a| a.ip());
    let user = match authenticate(
        &db,
        &state.throttle,
        &state.clock,
        &input.email,
        &input.current_password,
        client,
    )
    .await
    {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => {
            return refuse(
                actix_web::http::StatusCode::BAD_REQUEST,
                "login.error.invalid",
                "",
            );
        }
        Err(LoginError::Throttled(secs)) => {
            let mut res = refuse(
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                "login.error.throttled",
                &secs.to_string(),
            )?;
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, v);
            }
            return Ok(res);
        }
        Err(LoginError::Server(e)) => return Err(e.into()),
    };
    let hash = hash_password(input.new_password.clone()).await?;
    let (now, unix) = (state.clock.now(), state.clock.unix());
    // One transaction: the new password, the ended sessions and the blacklisted refresh tokens
    // land together or not at all, and only if the password verified above is still the user's
    // (a change that raced this one and came first makes this one's current password wrong).
    let changed = db
        .run(move |c| {
            crate::db::in_transaction(c, |c| -> rusqlite::Result<Option<(usize, usize)>> {
                if !users::set_password(c, user.id, user.password_version, &hash, now)? {
                    return Ok(None);
                }
                Ok(Some((
                    session_store::revoke_all(c, user.id)?,
                    jwt_store::blacklist_all(c, user.id, unix)?,
                )))
            })
        })
        .await??;
    let Some((sessions, refresh_tokens)) = changed else {
        return refuse(
            actix_web::http::StatusCode::BAD_REQUEST,
            "login.error.invalid",
            "",
        );
    };
    render(PasswordPage {
        ctx,
        email: input.email.trim().to_owned(),
        error: None,
        done: Some(Done {
            sessions,
            refresh_tokens,
        }),
    })
}
