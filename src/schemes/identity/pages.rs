//! The pages each room renders ([`RoomPages`]), and the routes and handlers both rooms mount.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::*;
use crate::db::Db;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;

/// What each room renders itself — its pages — and what it adds around login and logout.
/// Everything else about logging in and out is the shared code in this module.
pub trait RoomPages: 'static {
    /// The room these pages belong to: its cookie, lifetime and rules.
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

    /// Runs when a signed-in request reads who it is (the `me` page and API): the session room
    /// notices there a key used from another browser than the one that logged in.
    fn seen(
        _req: &HttpRequest,
        _db: &Db,
        _state: &AppState,
        _signed_in: &SignedIn,
    ) -> impl Future<Output = ()> {
        async {}
    }
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

/// The username form's one field, validated as Django's `UsernameField` is.
#[derive(Debug, Deserialize)]
pub struct UsernameForm {
    #[serde(default)]
    username: String,
}

impl UsernameForm {
    /// The username as typed.
    pub fn value(&self) -> &str {
        &self.username
    }
}

/// Mounts the routes both rooms share, with the room's pages.
pub fn routes<P: RoomPages>(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").get(landing::<P>))
        .service(web::resource("/login").post(login_form::<P>))
        .service(web::resource("/logout").post(logout::<P>))
        .service(web::resource("/me").get(me::<P>).post(username_form::<P>))
        .service(web::resource("/api/me").get(api_me::<P>))
        .service(
            web::resource("/lab/replay")
                .guard(crate::web::lab_only())
                .wrap(actix_web::middleware::from_fn(
                    crate::web::error::speaks_json,
                ))
                .post(super::replay::replay::<P>),
        );
}

async fn landing<P: RoomPages>(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<P>,
    query: web::Query<LandingQuery>,
) -> Result<HttpResponse, AppError> {
    // A cookie was sent but holds no live login: the page says what happened to it.
    let error = signed_in
        .refused()
        .map(|code| crate::i18n::Lang::of(&req).t(&format!("js.refusal.{code}")));
    let view = LandingView {
        signed_in: signed_in.0,
        query: query.into_inner(),
        email: String::new(),
        error,
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
    signed_in: MaybeSignedIn<P>,
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
    signed_in: MaybeSignedIn<P>,
    query: web::Query<MeQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(to_login::<P>());
    };
    let view = MeView {
        error: None,
        saved: query.saved.is_some(),
    };
    P::seen(&req, &db, &state, &signed_in).await;
    P::me(&req, &db, &state, &signed_in, view).await
}

async fn username_form<P: RoomPages>(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<P>,
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

async fn api_me<P: RoomPages>(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    user: RoomUser<P>,
) -> HttpResponse {
    P::seen(&req, &db, &state, user.signed_in()).await;
    me_json(user.signed_in())
}
