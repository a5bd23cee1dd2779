//! The login flow the cookie and session schemes share: the same actix-identity handler code over
//! two session stores. The cookie scheme keeps the state in the signed cookie itself; the session
//! scheme keeps it in SQLite and the cookie carries only a key. Nothing else differs — that is the lesson.

use std::future::{Ready, ready};
use std::time::Instant;

use actix_identity::{Identity, IdentityExt};
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use chrono::Duration;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Settings;
use crate::db::Db;
use crate::schemes::Scheme;
use crate::startup::AppState;
use crate::users::auth::{LoginError, authenticate};
use crate::users::{self, UsernameError};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::timing::Meter;

/// Session-state key of the login: who, since when, and (sealed rooms) the seal. One entry, so a
/// request decodes one value besides actix-identity's user id.
const LOGIN: &str = "authlab.login";
/// The session-state key of the password version a login verified (rooms whose logins a password
/// change ends). A store writes the login only while the user's password is still at it.
pub const PASSWORD_VERSION: &str = "authlab.password_version";
/// Bytes of HMAC-SHA256 a seal keeps (128 bits, hex in the state).
const SEAL_BYTES: usize = 16;

/// What differs between the two rooms besides the store: names and lifetimes.
#[derive(Debug)]
pub struct Room {
    /// Which scheme this is.
    pub scheme: Scheme,
    /// The cookie carrying the state (cookie scheme) or the key (session scheme).
    pub cookie_name: &'static str,
    /// How the credential check reads in `Server-Timing`.
    pub auth_desc: &'static str,
    /// How long after login the identity ends, however busy it is.
    pub lifetime: fn(&Settings) -> Duration,
    /// Whether the login is sealed with the current cookie key, so that rotating that key
    /// ends every login of this room at once (the cookie room; sessions survive rotation).
    pub sealed: bool,
    /// Whether a password change ends this room's logins (the session room, whose logins the
    /// server holds). Its logins then carry the password version they verified, under
    /// [`PASSWORD_VERSION`], so that the store writes a login only while it is still current.
    pub ends_with_password_change: bool,
}

/// HMAC-SHA256(cookie key, "user id:login time"), not yet finalized.
fn seal_mac(key: &actix_web::cookie::Key, user_id: i64, issued_at: i64) -> Hmac<Sha256> {
    use std::io::Write as _;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.signing())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    // Two i64s and a colon fit in 41 bytes: formatted on the stack, not allocated per request.
    let mut buf = [0u8; 41];
    let written = {
        let mut rest = &mut buf[..];
        let _ = write!(rest, "{user_id}:{issued_at}");
        41 - rest.len()
    };
    mac.update(&buf[..written]);
    mac
}

/// The seal a login carries: the first [`SEAL_BYTES`] of the HMAC, hex.
fn seal(key: &actix_web::cookie::Key, user_id: i64, issued_at: i64) -> String {
    let tag = seal_mac(key, user_id, issued_at).finalize().into_bytes();
    crate::web::hex(&tag[..SEAL_BYTES])
}

/// Whether `stored` is the seal of this login under `key` (whole length, compared in constant time).
fn seal_matches(key: &actix_web::cookie::Key, user_id: i64, issued_at: i64, stored: &str) -> bool {
    crate::web::unhex(stored)
        .filter(|tag| tag.len() == SEAL_BYTES)
        .is_some_and(|tag| {
            seal_mac(key, user_id, issued_at)
                .verify_truncated_left(&tag)
                .is_ok()
        })
}

impl Room {
    /// The protected page.
    pub fn me_path(&self) -> String {
        format!("{}/me", self.scheme.prefix())
    }

    /// The challenge sent with a 401 from this room's API.
    pub fn challenge(&self) -> &'static str {
        match self.scheme {
            Scheme::Session => "Session cookie=\"sessionid\"",
            _ => "Cookie cookie=\"authlab_cookie\"",
        }
    }
}

/// The user as the session state carries it: enough to answer `/api/me` without another query.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserCard {
    /// `users.id`.
    pub id: i64,
    /// `users.email`.
    pub email: String,
    /// `users.username` at login (or at the last change made through this room).
    pub username: String,
}

/// The login as the session state keeps it under [`LOGIN`].
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Login {
    /// Who.
    user: UserCard,
    /// Login time, lab clock, Unix seconds.
    issued_at: i64,
    /// Sealed rooms only: see [`seal`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seal: Option<String>,
}

/// A request whose identity cookie (and, for sessions, its row) is valid and unexpired.
pub struct SignedIn {
    /// Who it is.
    pub user: UserCard,
    /// Login time, lab clock, Unix seconds.
    pub issued_at: i64,
    /// When this identity ends (lab clock, Unix seconds).
    pub expires_at: i64,
    seal: Option<String>,
    identity: Identity,
    session: Session,
}

/// [`SignedIn`] for pages open to guests, and why there is none when a cookie was sent.
pub struct MaybeSignedIn(pub Option<SignedIn>, Option<Absent>);

impl MaybeSignedIn {
    /// The `code` of the refusal when this room's cookie was sent but holds no usable login
    /// (`None` when someone is signed in, or when no cookie was sent).
    pub fn refused(&self) -> Option<&'static str> {
        self.1.and_then(Absent::code)
    }
}

/// Why a request carries no usable login: said in the 401 body (`detail`, and a `code` the
/// pages translate), so a learner whose copy was refused reads what happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// No cookie of this room was sent.
    NotProvided,
    /// The cookie was sent, but its signature was refused: it was edited, or signed with a key
    /// this server does not hold (the cookie room), so actix-session dropped it.
    SignatureRefused,
    /// The cookie was sent, but its session id is not on the server: logged out, revoked,
    /// swept or expired (the session room).
    UnknownSession,
    /// The cookie was sent and read, but it holds no login (a guest's session).
    NoLogin,
    /// The login was sealed with a cookie key that has since been rotated.
    KeyRotated,
    /// The login's lifetime has run out on the lab clock.
    Expired,
}

impl Absent {
    /// The `code` of the 401 body (`None`: the plain DRF answer, nothing was sent).
    pub fn code(self) -> Option<&'static str> {
        match self {
            Absent::NotProvided => None,
            Absent::SignatureRefused => Some("signature_refused"),
            Absent::UnknownSession => Some("unknown_session"),
            Absent::NoLogin => Some("no_login"),
            Absent::KeyRotated => Some("key_rotated"),
            Absent::Expired => Some("login_expired"),
        }
    }

    /// The `detail` of the 401 body, in English (pages translate the `code`).
    pub fn detail(self) -> &'static str {
        match self {
            Absent::NotProvided => "Authentication credentials were not provided.",
            Absent::SignatureRefused => {
                "The cookie's signature was refused: it was changed, or signed with another key."
            }
            Absent::UnknownSession => {
                "This session id is not on the server: it was logged out, revoked or has expired."
            }
            Absent::NoLogin => "The cookie was read, but nobody is logged in with it.",
            Absent::KeyRotated => {
                "This login was sealed with a cookie key that has since been rotated."
            }
            Absent::Expired => "This login has expired.",
        }
    }

    /// The 401 this room answers with.
    fn into_error(self, challenge: &'static str) -> AppError {
        match self.code() {
            None => AppError::unauthorized(self.detail(), challenge),
            Some(code) => AppError::Unauthorized {
                body: serde_json::json!({ "detail": self.detail(), "code": code }),
                challenge,
            },
        }
    }
}

impl SignedIn {
    /// Reads and checks the identity; an expired one is logged out (its cookie removed). When
    /// there is no usable login, says why.
    fn read(req: &HttpRequest) -> Result<SignedIn, Absent> {
        let (Some(room), Some(state)) = (
            req.app_data::<&'static Room>().copied(),
            req.app_data::<web::Data<AppState>>(),
        ) else {
            return Err(Absent::NotProvided);
        };
        let started = Instant::now();
        let signed_in = Self::check(req, room, state);
        Meter::current().add_auth(started.elapsed(), room.auth_desc);
        signed_in
    }

    fn check(req: &HttpRequest, room: &Room, state: &AppState) -> Result<SignedIn, Absent> {
        if req.cookie(room.cookie_name).is_none() {
            return Err(Absent::NotProvided);
        }
        let session = req.get_session();
        let Some(login) = session.get::<Login>(LOGIN).ok().flatten() else {
            // actix-session hands over an empty state for a cookie it could not use.
            return Err(match session.entries().is_empty() {
                false => Absent::NoLogin,
                true if room.sealed => Absent::SignatureRefused,
                true => Absent::UnknownSession,
            });
        };
        let identity = req.get_identity().map_err(|_| Absent::NoLogin)?;
        Self::holds(room, state, &identity, &login)?;
        let expires_at = login.issued_at + (room.lifetime)(&state.settings).num_seconds();
        if state.clock.unix() >= expires_at {
            identity.logout();
            return Err(Absent::Expired);
        }
        Ok(SignedIn {
            user: login.user,
            issued_at: login.issued_at,
            expires_at,
            seal: login.seal,
            identity,
            session,
        })
    }

    /// Whether `login` belongs to `identity` ([`Absent::NoLogin`] if not) and, in a sealed room,
    /// carries the seal of the cookie key in force ([`Absent::KeyRotated`] if not).
    fn holds(
        room: &Room,
        state: &AppState,
        identity: &Identity,
        login: &Login,
    ) -> Result<(), Absent> {
        let id_matches =
            identity.id().ok().and_then(|id| id.parse::<i64>().ok()) == Some(login.user.id);
        if !id_matches {
            return Err(Absent::NoLogin);
        }
        let sealed = !room.sealed
            || login.seal.as_deref().is_some_and(|stored| {
                seal_matches(&state.keys().cookie, login.user.id, login.issued_at, stored)
            });
        if sealed {
            Ok(())
        } else {
            Err(Absent::KeyRotated)
        }
    }

    /// The login as the state keeps it, with `user` in place of the card.
    fn login_with(&self, user: UserCard) -> Login {
        Login {
            user,
            issued_at: self.issued_at,
            seal: self.seal.clone(),
        }
    }

    /// The session this identity lives in.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Ends the identity: the session is purged and the cookie removed (`Max-Age=0`).
    pub fn logout(self) {
        self.identity.logout();
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let challenge = req
            .app_data::<&'static Room>()
            .map_or("Cookie", |room| room.challenge());
        ready(SignedIn::read(req).map_err(|why| why.into_error(challenge)))
    }
}

impl FromRequest for MaybeSignedIn {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(match SignedIn::read(req) {
            Ok(signed_in) => MaybeSignedIn(Some(signed_in), None),
            Err(why) => MaybeSignedIn(None, Some(why)),
        }))
    }
}

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
    let user = match authenticate(db, state, &form.email, &form.password, client).await {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => return Ok(Err(Refusal::InvalidCredentials)),
        Err(LoginError::Throttled(secs)) => return Ok(Err(Refusal::Throttled(secs))),
        Err(LoginError::Server(e)) => return Err(e),
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
        .then(|| seal(&state.keys().cookie, card.id, issued_at));
    let login = Login {
        user: card,
        issued_at,
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
    crate::users::api::me_response(user.id, &user.email, &user.username)
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

/// What each room renders itself — its pages — and what it adds around login and logout.
/// Everything else about logging in and out is the shared code in this module.
pub trait RoomPages: 'static {
    /// The room.
    const ROOM: &'static Room;

    /// Renders the landing page: explainer, login form (or who you are), panels and labs.
    fn landing(
        req: &HttpRequest,
        db: &Db,
        state: &AppState,
        view: LandingView,
    ) -> impl Future<Output = Result<HttpResponse, AppError>>;

    /// Renders the protected page of a signed-in user.
    fn me(
        req: &HttpRequest,
        db: &Db,
        state: &AppState,
        signed_in: &SignedIn,
        view: MeView,
    ) -> impl Future<Output = Result<HttpResponse, AppError>>;

    /// Runs after a successful login, before the redirect leaves.
    fn after_login(
        _req: &HttpRequest,
        _state: &AppState,
        _res: &mut HttpResponse,
        _form: &LoginForm,
    ) -> Result<(), AppError> {
        Ok(())
    }

    /// Runs after a logout, before the redirect leaves.
    fn after_logout(_res: &mut HttpResponse) {}
}

/// `?next=` and the banners of a landing page.
#[derive(Debug, Default, Deserialize)]
pub struct LandingQuery {
    /// Where to go after login.
    #[serde(default)]
    pub next: String,
    /// Set after the tamper lab put an edited cookie in the browser.
    #[serde(default)]
    pub tampered: Option<String>,
    /// Set right after a logout.
    #[serde(default)]
    pub logged_out: Option<String>,
}

/// What a landing page shows besides its panels.
pub struct LandingView {
    /// The signed-in user, if any.
    pub signed_in: Option<SignedIn>,
    /// The query string's `next` and banners.
    pub query: LandingQuery,
    /// The e-mail to keep in the form after a refusal.
    pub email: String,
    /// The refusal to explain, already translated.
    pub error: Option<String>,
}

/// What a protected page shows besides its panels.
pub struct MeView {
    /// The refusal of the username form, already translated.
    pub error: Option<String>,
    /// Whether a username change was just saved.
    pub saved: bool,
}

/// `?saved=1` after a username change.
#[derive(Debug, Deserialize)]
pub struct MeQuery {
    saved: Option<String>,
}

/// A form that carries only its CSRF token (logout).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// The username form.
#[derive(Debug, Deserialize)]
pub struct UsernameForm {
    #[serde(default)]
    username: String,
}

/// A copied cookie value to replay (the stolen-credential labs).
#[derive(Debug, Deserialize)]
pub struct ReplayRequest {
    cookie: String,
}

/// Mounts the routes both rooms share, with the room's pages.
pub fn routes<P: RoomPages>(cfg: &mut web::ServiceConfig) {
    cfg.app_data::<&'static Room>(P::ROOM)
        .service(web::resource("").get(landing::<P>))
        .service(web::resource("/login").post(login_form::<P>))
        .service(web::resource("/logout").post(logout::<P>))
        .service(web::resource("/me").get(me::<P>).post(username_form::<P>))
        .service(web::resource("/api/me").get(api_me))
        .service(
            web::resource("/lab/replay")
                .guard(crate::pages::lab::lab_only())
                .post(replay::<P>),
        );
}

async fn landing<P: RoomPages>(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn,
    query: web::Query<LandingQuery>,
) -> Result<HttpResponse, AppError> {
    let view = LandingView {
        signed_in: signed_in.0,
        query: query.into_inner(),
        email: String::new(),
        error: None,
    };
    P::landing(&req, &db, &state, view).await
}

async fn login_form<P: RoomPages>(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    match login(&req, P::ROOM, &db, &state, &form).await? {
        Ok(mut res) => {
            P::after_login(&req, &state, &mut res, &form)?;
            Ok(res)
        }
        Err(refusal) => {
            let seconds = match refusal {
                Refusal::Throttled(secs) => secs.to_string(),
                _ => String::new(),
            };
            let view = LandingView {
                signed_in: None,
                query: LandingQuery {
                    next: form.next.clone(),
                    ..LandingQuery::default()
                },
                email: form.email.trim().to_owned(),
                error: Some(
                    crate::i18n::Lang::of(&req).t_with(refusal.key(), &[("seconds", &seconds)]),
                ),
            };
            let res = P::landing(&req, &db, &state, view).await?;
            Ok(refused(res, refusal))
        }
    }
}

/// Gives a re-rendered form the refusal's status (and `Retry-After` when throttled).
fn refused(mut res: HttpResponse, refusal: Refusal) -> HttpResponse {
    *res.status_mut() = refusal.status();
    if let Refusal::Throttled(secs) = refusal
        && let Ok(value) = header::HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, value);
    }
    res
}

async fn logout<P: RoomPages>(
    signed_in: MaybeSignedIn,
    CsrfForm(_): CsrfForm<NoFields>,
) -> HttpResponse {
    if let Some(signed_in) = signed_in.0 {
        signed_in.logout();
    }
    let mut res = see_other(&format!("{}?logged_out=1", P::ROOM.scheme.prefix()));
    P::after_logout(&mut res);
    res
}

fn to_login<P: RoomPages>() -> HttpResponse {
    let me = P::ROOM.me_path();
    see_other(&format!("{}?next={me}", P::ROOM.scheme.prefix()))
}

async fn me<P: RoomPages>(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn,
    query: web::Query<MeQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(to_login::<P>());
    };
    let view = MeView {
        error: None,
        saved: query.saved.is_some(),
    };
    P::me(&req, &db, &state, &signed_in, view).await
}

async fn username_form<P: RoomPages>(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn,
    CsrfForm(form): CsrfForm<UsernameForm>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(to_login::<P>());
    };
    match change_username(&signed_in, &db, &state, &form.username).await? {
        Ok(()) => Ok(see_other(&format!("{}?saved=1", P::ROOM.me_path()))),
        Err(refusal) => {
            let view = MeView {
                error: Some(crate::i18n::Lang::of(&req).t(refusal.key())),
                saved: false,
            };
            let res = P::me(&req, &db, &state, &signed_in, view).await?;
            Ok(refused(res, refusal))
        }
    }
}

async fn api_me(signed_in: SignedIn) -> HttpResponse {
    me_json(&signed_in)
}

/// Checks a copied cookie value: printable ASCII without the characters a cookie cannot hold.
pub fn check_cookie_value(value: &str) -> Result<&str, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::BadRequest("The cookie value is empty.".into()));
    }
    if value.len() > 8192 {
        return Err(AppError::BadRequest(
            "The cookie value is longer than 8192 bytes.".into(),
        ));
    }
    if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(AppError::BadRequest(
            "A cookie value can only hold printable ASCII: no accented letters, emoji or control characters."
                .into(),
        ));
    }
    let allowed = |b: u8| b != b' ' && !matches!(b, b'"' | b',' | b';' | b'\\');
    if !value.bytes().all(allowed) {
        return Err(AppError::BadRequest(
            "A cookie value cannot contain spaces, quotes, commas, semicolons or backslashes."
                .into(),
        ));
    }
    Ok(value)
}

/// `POST <room>/lab/replay`: sends `GET <room>/api/me` carrying only the copied cookie, from the
/// server itself (an HttpOnly cookie cannot be sent by page script), and reports the real answer.
async fn replay<P: RoomPages>(
    state: web::Data<AppState>,
    body: web::Json<ReplayRequest>,
) -> Result<HttpResponse, AppError> {
    let value = check_cookie_value(&body.cookie)?;
    let cookie = format!("{}={value}", P::ROOM.cookie_name);
    let path = format!("{}/api/me", P::ROOM.scheme.prefix());
    let answer =
        crate::web::replay::send(state.local_addr, "GET", &path, &[("Cookie", &cookie)], None)
            .await
            .map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok().json(answer))
}

#[cfg(test)]
mod tests {
    use super::{SEAL_BYTES, safe_next, seal, seal_matches};
    use actix_web::cookie::Key;

    #[test]
    fn a_seal_holds_only_for_its_login_under_its_key_and_whole() {
        let key = Key::from(&[7u8; 64]);
        let sealed = seal(&key, 1, 1_795_753_601);
        assert_eq!(sealed.len(), SEAL_BYTES * 2, "hex of {SEAL_BYTES} bytes");
        assert!(seal_matches(&key, 1, 1_795_753_601, &sealed));
        assert!(seal_matches(&key, 1, 1_795_753_601, &sealed.to_uppercase()));
        assert!(
            !seal_matches(&key, 2, 1_795_753_601, &sealed),
            "another user"
        );
        assert!(
            !seal_matches(&key, 1, 1_795_753_602, &sealed),
            "another login time"
        );
        assert!(
            !seal_matches(&Key::from(&[8u8; 64]), 1, 1_795_753_601, &sealed),
            "another key"
        );
        for cut in [0, 2, SEAL_BYTES] {
            assert!(
                !seal_matches(&key, 1, 1_795_753_601, &sealed[..cut]),
                "a prefix of {cut} digits"
            );
        }
        assert!(
            !seal_matches(&key, 1, 1_795_753_601, &format!("{sealed}00")),
            "too long"
        );
        assert!(!seal_matches(&key, 1, 1_795_753_601, "not hex"));
    }

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next("/cookie/me"), "/cookie/me");
        assert_eq!(safe_next("/users?new=1"), "/users?new=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "evil",
            "/a\\b",
            "/\tx",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
