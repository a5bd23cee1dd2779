//! The cookie scheme: the whole login lives in a signed cookie; the server keeps nothing.
//!
//! actix-identity over actix-session's `CookieSessionStore` with *signed* content security: the
//! state is readable (base64 HMAC tag, then the JSON) but any edit breaks the tag. The expiry is
//! inside the signed state, checked against the app clock.

mod labs;

use actix_identity::IdentityMiddleware;
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{SameSite, time};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::schemes::Scheme;
use crate::schemes::identity::{
    self, LoginForm, MaybeSignedIn, Refusal, Room, SignedIn, see_other,
};
use crate::schemes::panels::{self, BrowserCookie, Wire};
use crate::startup::AppState;
use crate::users::{self, User};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::AppError;
use crate::web::page::PageCtx;

/// The cookie room: state in a signed cookie named `authlab_cookie`.
pub static ROOM: Room = Room {
    scheme: Scheme::Cookie,
    cookie_name: "authlab_cookie",
    auth_desc: "signed cookie verify",
    lifetime: |settings| settings.cookie_max_age.get(),
};

/// The signed-in user of the cookie scheme.
pub type CookieUser = SignedIn;

/// Mounts the `/cookie` scope with its signed-cookie session middleware.
pub fn mount(cfg: &mut web::ServiceConfig, state: &AppState) {
    let max_age = state.settings.cookie_max_age.get().num_seconds();
    let sessions = SessionMiddleware::builder(
        CookieSessionStore::default(),
        state.keys.cookie_key_for(ROOM.cookie_name),
    )
    .cookie_name(ROOM.cookie_name.to_owned())
    .cookie_content_security(CookieContentSecurity::Signed)
    .cookie_secure(state.settings.secure_cookies())
    .cookie_http_only(true)
    .cookie_same_site(SameSite::Lax)
    .cookie_path("/".to_owned())
    .session_lifecycle(PersistentSession::default().session_ttl(time::Duration::seconds(max_age)))
    .build();
    cfg.service(
        web::scope("/cookie")
            .app_data::<&'static Room>(&ROOM)
            .service(web::resource("").get(landing))
            .service(web::resource("/login").post(login))
            .service(web::resource("/logout").post(logout))
            .service(web::resource("/me").get(me).post(change_username))
            .service(web::resource("/api/me").get(api_me))
            .service(web::resource("/api/inspect").get(inspect))
            .configure(labs::mount)
            .wrap(IdentityMiddleware::default())
            .wrap(sessions),
    );
}

/// What the four panels show, also served as JSON by `/cookie/api/inspect`.
#[derive(Debug, Serialize)]
pub struct Panels {
    /// `"cookie"`.
    pub scheme: &'static str,
    /// Who the signed cookie says you are.
    pub user: Option<identity::UserCard>,
    /// When the signed state expires (lab clock, Unix seconds).
    pub expires_at: Option<i64>,
    /// `authlab_cookie` as the browser holds it.
    pub browser: BrowserCookie,
    /// The `Cookie:` header of this request.
    pub wire: Wire,
    /// Rows the server keeps for this login: none, ever.
    pub server_rows: usize,
    /// This browser's short code (the per-browser lab).
    pub browser_code: String,
}

fn panels(req: &HttpRequest, state: &AppState, signed_in: Option<&SignedIn>) -> Panels {
    let max_age = state.settings.cookie_max_age.get().num_seconds();
    Panels {
        scheme: "cookie",
        user: signed_in.map(|s| s.user.clone()),
        expires_at: signed_in.map(|s| s.expires_at),
        browser: panels::browser_cookie(
            req,
            ROOM.cookie_name,
            true,
            panels::cookie_attributes(&state.settings, Some(max_age)),
        ),
        wire: panels::cookie_wire(req, ROOM.cookie_name),
        server_rows: 0,
        browser_code: csrf::browser_code(req),
    }
}

/// `GET /cookie`: explainer, login form, panels and labs.
#[derive(Template, WebTemplate)]
#[template(path = "cookie/index.html")]
pub struct Landing {
    ctx: PageCtx,
    panels: Panels,
    next: String,
    email: String,
    error: Option<String>,
    tampered: bool,
    logged_out: bool,
    max_age: String,
    host: String,
}

/// `?next=` and the lab banners.
#[derive(Debug, Default, Deserialize)]
pub struct LandingQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    tampered: Option<String>,
    #[serde(default)]
    logged_out: Option<String>,
}

fn landing_page(
    req: &HttpRequest,
    state: &AppState,
    signed_in: Option<&SignedIn>,
    query: LandingQuery,
    email: String,
    error: Option<String>,
) -> Landing {
    Landing {
        ctx: PageCtx::of(req),
        panels: panels(req, state, signed_in),
        next: query.next,
        email,
        error,
        tampered: query.tampered.is_some(),
        logged_out: query.logged_out.is_some(),
        max_age: humane(state.settings.cookie_max_age.get()),
        host: req.connection_info().host().to_owned(),
    }
}

async fn landing(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn,
    query: web::Query<LandingQuery>,
) -> Landing {
    landing_page(
        &req,
        &state,
        signed_in.0.as_ref(),
        query.into_inner(),
        String::new(),
        None,
    )
}

async fn login(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    match identity::login(&req, &ROOM, &db, &state, &form).await? {
        Ok(mut res) => {
            if state.settings.lab_enabled() {
                labs::set_naive_cookie(&mut res, &form.email)?;
            }
            Ok(res)
        }
        Err(refusal) => {
            let ctx = PageCtx::of(&req);
            let message = ctx.t_with(refusal.key(), [("seconds", retry_secs(refusal).as_str())]);
            let query = LandingQuery {
                next: form.next.clone(),
                ..LandingQuery::default()
            };
            let page = landing_page(
                &req,
                &state,
                None,
                query,
                form.email.trim().to_owned(),
                Some(message),
            );
            render_refused(page, refusal)
        }
    }
}

fn retry_secs(refusal: Refusal) -> String {
    match refusal {
        Refusal::Throttled(secs) => secs.to_string(),
        _ => String::new(),
    }
}

fn render_refused(page: impl Template, refusal: Refusal) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let mut res = HttpResponse::Ok();
    refusal.apply(&mut res);
    Ok(res.content_type("text/html; charset=utf-8").body(html))
}

/// The logout form carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct Empty {}

async fn logout(signed_in: MaybeSignedIn, CsrfForm(_): CsrfForm<Empty>) -> HttpResponse {
    if let Some(signed_in) = signed_in.0 {
        signed_in.logout();
    }
    let mut res = see_other("/cookie?logged_out=1");
    labs::remove_naive_cookie(&mut res);
    res
}

/// `GET /cookie/me`: the protected page.
#[derive(Template, WebTemplate)]
#[template(path = "cookie/me.html")]
pub struct MePage {
    ctx: PageCtx,
    panels: Panels,
    row: Option<User>,
    username: String,
    error: Option<String>,
    saved: bool,
    host: String,
}

/// `?saved=1` after a username change.
#[derive(Debug, Deserialize)]
pub struct MeQuery {
    saved: Option<String>,
}

async fn me_page(
    req: &HttpRequest,
    db: &Db,
    state: &AppState,
    signed_in: &SignedIn,
    error: Option<String>,
    saved: bool,
) -> Result<MePage, AppError> {
    let id = signed_in.user.id;
    let row = db.run(move |c| users::find(c, id)).await??;
    Ok(MePage {
        ctx: PageCtx::of(req),
        panels: panels(req, state, Some(signed_in)),
        username: signed_in.user.username.clone(),
        row,
        error,
        saved,
        host: req.connection_info().host().to_owned(),
    })
}

async fn me(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn,
    query: web::Query<MeQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(see_other("/cookie?next=/cookie/me"));
    };
    let page = me_page(&req, &db, &state, &signed_in, None, query.saved.is_some()).await?;
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The username form.
#[derive(Debug, Deserialize)]
pub struct UsernameForm {
    #[serde(default)]
    username: String,
}

async fn change_username(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn,
    CsrfForm(form): CsrfForm<UsernameForm>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(see_other("/cookie?next=/cookie/me"));
    };
    match identity::change_username(&signed_in, &db, &state, &form.username).await? {
        Ok(()) => Ok(see_other("/cookie/me?saved=1")),
        Err(refusal) => {
            let message = PageCtx::of(&req).t(refusal.key());
            let page = me_page(&req, &db, &state, &signed_in, Some(message), false).await?;
            render_refused(page, refusal)
        }
    }
}

async fn api_me(signed_in: CookieUser) -> HttpResponse {
    identity::me_json(&signed_in)
}

async fn inspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn,
) -> web::Json<Panels> {
    web::Json(panels(&req, &state, signed_in.0.as_ref()))
}

/// `8h`, `30m`, `1d`: a lifetime the way the flags write it.
pub fn humane(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
