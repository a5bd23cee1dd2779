//! Logging in, changing the username, and the redirects both rooms answer with.

use actix_identity::Identity;
use actix_session::SessionExt;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::*;
use crate::db::Db;
use crate::state::AppState;
use crate::users::auth::{LoginError, authenticate};
use crate::users::{self, UsernameError};
use crate::web::error::AppError;

/// The login form of both rooms.
#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    /// The e-mail to log in as.
    #[serde(default)]
    pub email: String,
    /// The password.
    #[serde(default)]
    pub password: String,
    /// Where to go after login (only a same-site path is honoured).
    #[serde(default)]
    pub next: String,
}

/// Why a form was refused, for the page to explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Wrong e-mail or password, or an inactive account (deliberately one message).
    InvalidCredentials,
    /// Too many failures; retry after this many seconds.
    Throttled(u64),
    /// The new username is not acceptable.
    Username(UsernameError),
}

impl Refusal {
    /// The status the re-rendered form answers with.
    pub fn status(self) -> actix_web::http::StatusCode {
        match self {
            Refusal::Throttled(_) => actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            _ => actix_web::http::StatusCode::BAD_REQUEST,
        }
    }

    /// The catalog key of the message.
    pub fn key(self) -> &'static str {
        match self {
            Refusal::InvalidCredentials => "login.error.invalid",
            Refusal::Throttled(_) => "login.error.throttled",
            Refusal::Username(e) => e.key(),
        }
    }
}

/// Logs in through the room's store: checks the password, renews the session key (fixation
/// defence) and stores the user card and login time. `Ok(Err(_))` is a refusal the page explains.
pub async fn login(
    req: &HttpRequest,
    room: &Room,
    db: &Db,
    state: &AppState,
    form: &LoginForm,
) -> Result<Result<HttpResponse, Refusal>, AppError> {
    let client = req.peer_addr().map(|a| a.ip());
    let user = match authenticate(
        db,
        &state.throttle,
        &state.clock,
        &form.email,
        &form.password,
        client,
    )
    .await
    {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => return Ok(Err(Refusal::InvalidCredentials)),
        Err(LoginError::Throttled(secs)) => return Ok(Err(Refusal::Throttled(secs))),
        Err(LoginError::Server(e)) => return Err(e.into()),
    };
    let password_version = user.password_version;
    let card = UserCard {
        id: user.id,
        email: user.email,
        username: user.username,
    };
    Identity::login(&req.extensions(), card.id.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("identity login: {e}")))?;
    let session = req.get_session();
    if room.ends_with_password_change {
        session
            .insert(PASSWORD_VERSION, password_version)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session state: {e}")))?;
    }
    let issued_at = state.clock.unix();
    let seal = room
        .sealed
        .then(|| super::seal::seal(&state.keys().login_seal, card.id, issued_at));
    let login = Login {
        user: card,
        issued_at,
        era: state.clock.era(),
        seal,
    };
    session
        .insert(LOGIN, &login)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session state: {e}")))?;
    let target = if form.next.is_empty() {
        room.me_path()
    } else {
        safe_next(&form.next).to_owned()
    };
    Ok(Ok(see_other(&target)))
}

/// Changes the username: saves the row (moving `updated_at`, never `created_at`) and the card.
pub async fn change_username(
    signed_in: &SignedIn,
    db: &Db,
    state: &AppState,
    raw: &str,
) -> Result<Result<(), Refusal>, AppError> {
    let username = match users::validate_username(raw) {
        Ok(name) => name,
        Err(e) => return Ok(Err(Refusal::Username(e))),
    };
    let id = signed_in.user.id;
    let now = state.clock.now();
    let name = username.clone();
    let saved = db.run(move |c| users::rename(c, id, &name, now)).await??;
    if !saved {
        return Err(AppError::NotFound);
    }
    let card = UserCard {
        username,
        ..signed_in.user.clone()
    };
    signed_in
        .session
        .insert(LOGIN, signed_in.login_with(card))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("session state: {e}")))?;
    Ok(Ok(()))
}

/// The user JSON of `/api/me`, the same shape as the token and JWT groups answer.
pub fn me_json(signed_in: &SignedIn) -> HttpResponse {
    let user = &signed_in.user;
    crate::schemes::api_user::me_response(user.id, &user.email, &user.username)
}

/// A 303 redirect.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `next` when it is a path on this site (one leading slash, no scheme, no backslash tricks); else `/`.
pub fn safe_next(next: &str) -> &str {
    let same_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if same_site { next } else { "/" }
}
