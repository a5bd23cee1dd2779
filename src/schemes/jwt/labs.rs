//! The JWT labs that need the server: a valid token that grows as the learner adds claims
//! (claim 16), and a login by username, as Django's default user model has it (claim 22).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::claims::{Claims, HEADER_JSON, Kind, sign_parts};
use super::extractor::{CHALLENGE, JwtUser};
use super::{AppState, Db, LoginError, authenticate, issue_pair};
use crate::users;
use crate::web::drf::{DrfData, Trim, json_ok};
use crate::web::error::AppError;
use crate::web::lab_only;

/// Claims the server sets itself: the lab refuses to let a learner choose them.
const RESERVED: [&str; 9] = [
    "token_type",
    "exp",
    "iat",
    "jti",
    "user_id",
    "nbf",
    "aud",
    "iss",
    "sub",
];
/// The most claims a learner may add.
const MAX_CLAIMS: usize = 30;
/// The largest payload the lab signs: a header this size still fits every server's limit.
const MAX_PAYLOAD: usize = 4096;

pub(super) fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/lab/claims")
            .guard(lab_only())
            .post(with_claims),
    )
    .service(
        web::resource("/lab/default-user")
            .guard(lab_only())
            .post(default_user),
    );
}

/// `POST /jwt/api/lab/claims` `{"claims": {...}}`, with `Authorization: Bearer <access>`: the
/// same access token (same user, `exp`, `iat` and `jti`), signed again by this server with the
/// learner's claims beside simplejwt's own; with its size, and the size of the header that
/// would carry it.
async fn with_claims(
    auth: JwtUser,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, AppError> {
    let extra = match body.get("claims") {
        Some(Value::Object(extra)) => extra.clone(),
        None => Map::new(),
        Some(_) => {
            return Err(claims_error(
                "\"claims\" must be a JSON object of names and values.",
            ));
        }
    };
    if extra.len() > MAX_CLAIMS {
        return Err(claims_error(&format!(
            "Add at most {MAX_CLAIMS} claims: a token is sent with every request."
        )));
    }
    if let Some(name) = extra.keys().find(|name| RESERVED.contains(&name.as_str())) {
        return Err(claims_error(&format!(
            "\"{name}\" is set by the server: choose another name."
        )));
    }
    if let Some(name) = extra.keys().find(|name| name.trim().is_empty()) {
        return Err(claims_error(&format!(
            "A claim needs a name (got {name:?})."
        )));
    }
    // The presented token's own time claims and id: the lab makes a longer token, never one
    // that lives longer (a token swapped for a fresh one again and again would outlive logout).
    let own = Claims {
        token_type: Kind::Access,
        exp: auth.token.exp(),
        iat: auth.token.iat().unwrap_or_else(|| state.clock.unix()),
        jti: auth.token.jti(),
        user_id: auth.user.id.to_string(),
    };
    let mut payload = match serde_json::to_value(&own) {
        Ok(Value::Object(map)) => map,
        _ => return Err(AppError::Internal(anyhow::anyhow!("claims are an object"))),
    };
    payload.extend(extra);
    let payload = Value::Object(payload).to_string();
    if payload.len() > MAX_PAYLOAD {
        return Err(claims_error(&format!(
            "The payload would be {} bytes; the lab signs at most {MAX_PAYLOAD}.",
            payload.len()
        )));
    }
    let access =
        sign_parts(HEADER_JSON, &payload, &state.keys().jwt).map_err(AppError::Internal)?;
    let header = format!("Authorization: Bearer {access}");
    Ok(json_ok(json!({
        "access": access,
        "payload_bytes": payload.len(),
        "token_bytes": access.len(),
        "header_bytes": header.len(),
    })))
}

fn claims_error(message: &str) -> AppError {
    AppError::Invalid(json!({ "claims": [message] }))
}

/// `POST /jwt/api/lab/default-user` `{"username", "password"}`: the login of a project that
/// kept Django's default user model (`USERNAME_FIELD = "username"`). The pair it answers is the
/// same simplejwt pair as the e-mail login's: a JWT names only `user_id`, whatever model holds it.
async fn default_user(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    let [username, password] =
        data.char_fields([("username", Trim::Yes), ("password", Trim::Yes)])?;
    let name = username.clone();
    let emails = db
        .run(move |c| users::emails_with_username(c, &name, 2))
        .await??;
    let shared = emails.len() > 1;
    // An unknown username is checked like an unknown e-mail: the same work, the same answer.
    let email = emails.into_iter().next().unwrap_or(username);
    let client = req.peer_addr().map(|a| a.ip());
    let checked = authenticate(
        &db,
        &state.throttle,
        &state.clock,
        &email,
        &password,
        client,
    )
    .await;
    match checked {
        // The default model's username is unique; authlab's custom model logs in by e-mail and
        // lets two people share a name — one of the reasons the notes customise it. Said only
        // to whoever knows the password, after the throttle and the hash.
        Ok(_) if shared => Err(AppError::Invalid(json!({ "username": [
            "Two accounts share this username: Django's default user model would not allow it. Log in by e-mail, or pick a user whose name is their own."
        ] }))),
        Ok(user) => issue_pair(&db, &state, user).await,
        Err(LoginError::InvalidCredentials) => Err(AppError::unauthorized(
            "No active account found with the given credentials",
            CHALLENGE,
        )),
        Err(LoginError::Throttled(secs)) => Err(AppError::Throttled(secs)),
        Err(LoginError::Server(e)) => Err(e.into()),
    }
}
