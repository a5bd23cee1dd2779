//! The cookie scheme: the whole login lives in a signed cookie; the server keeps nothing.
//!
//! actix-identity over actix-session's `CookieSessionStore` with *signed* content security: the
//! state is readable (base64 HMAC tag, then the JSON) but any edit breaks the tag. The expiry is
//! inside the signed state, checked against the app clock. The handlers are the shared ones in
//! `schemes::identity`; this module only adds the store, its pages and its labs.

mod labs;

use actix_identity::IdentityMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Serialize;

use crate::db::Db;
use crate::schemes::identity::{
    self, LandingView, LoginForm, MaybeSignedIn, MeView, Room, RoomPages, SignedIn,
};
use crate::schemes::panels::{self, BrowserCookie, Wire};
use crate::schemes::scheme::Scheme;
use crate::state::AppState;
use crate::users::{self, User};
use crate::web::csrf;
use crate::web::error::AppError;
use crate::web::page::{PageCtx, render};

/// The cookie room: state in a signed cookie named `authlab_cookie`.
pub static ROOM: Room = Room {
    scheme: Scheme::Cookie,
    cookie_name: "authlab_cookie",
    auth_desc: "signed cookie verify",
    lifetime: |settings| settings.cookie_max_age.get(),
    sealed: true,
    ends_with_password_change: false,
};

/// The signed-in user of the cookie scheme.
pub type CookieUser = identity::RoomUser<CookiePages>;

/// The cookie room's pages.
pub struct CookiePages;

/// Mounts the `/cookie` scope with its signed-cookie session middleware.
pub fn mount(cfg: &mut web::ServiceConfig, state: &AppState) {
    let sessions = identity::session_middleware(&ROOM, CookieSessionStore::default(), state);
    cfg.service(
        web::scope("/cookie")
            .configure(identity::routes::<CookiePages>)
            .service(web::resource("/api/inspect").get(inspect))
            .configure(labs::mount)
            .wrap(IdentityMiddleware::default())
            .wrap(sessions),
    );
    labs::mount_vulnerable(cfg);
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
    Panels {
        scheme: "cookie",
        user: signed_in.map(|s| s.user.clone()),
        expires_at: signed_in.map(|s| s.expires_at),
        browser: panels::browser_cookie(
            req,
            ROOM.cookie_name,
            true,
            identity::CookiePolicy::of(&ROOM, state).attributes(),
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
    /// The lifetime as the clock API reads it (`data-advance`), e.g. `8h`.
    max_age: String,
    /// The lifetime as people read it, in the page's language.
    max_age_text: String,
    host: String,
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

impl RoomPages for CookiePages {
    const ROOM: &'static Room = &ROOM;

    async fn landing(
        req: &HttpRequest,
        _db: &Db,
        state: &AppState,
        view: LandingView,
    ) -> Result<HttpResponse, AppError> {
        let ctx = PageCtx::of(req);
        render(Landing {
            max_age_text: ctx.duration(state.settings.cookie_max_age.get().num_seconds()),
            ctx,
            panels: panels(req, state, view.signed_in.as_ref()),
            next: view.query.next,
            email: view.email,
            error: view.error,
            tampered: view.query.tampered.is_some(),
            logged_out: view.query.logged_out.is_some(),
            max_age: state.settings.cookie_max_age.to_string(),
            host: req.connection_info().host().to_owned(),
        })
    }

    async fn me(
        req: &HttpRequest,
        db: &Db,
        state: &AppState,
        signed_in: &SignedIn,
        view: MeView,
    ) -> Result<HttpResponse, AppError> {
        let id = signed_in.user.id;
        let row = db.run(move |c| users::find(c, id)).await??;
        render(MePage {
            ctx: PageCtx::of(req),
            panels: panels(req, state, Some(signed_in)),
            username: signed_in.user.username.clone(),
            row,
            error: view.error,
            saved: view.saved,
            host: req.connection_info().host().to_owned(),
        })
    }

    fn after_login(
        _req: &HttpRequest,
        state: &AppState,
        res: &mut HttpResponse,
        form: &LoginForm,
    ) -> Result<(), AppError> {
        if state.settings.lab_enabled() {
            labs::set_naive_cookie(res, &form.email, state.settings.cookie_max_age.get())?;
        }
        Ok(())
    }

    fn after_logout(res: &mut HttpResponse) {
        labs::remove_naive_cookie(res);
    }
}

/// What `/cookie/api/inspect` answers: the panels, and why the cookie sent was refused.
#[derive(Serialize)]
struct Inspect {
    #[serde(flatten)]
    panels: Panels,
    /// The 401 `code` of the `authlab_cookie` this request sent, when it was refused.
    refused: Option<&'static str>,
}

async fn inspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<CookiePages>,
) -> web::Json<Inspect> {
    web::Json(Inspect {
        panels: panels(&req, &state, signed_in.0.as_ref()),
        refused: signed_in.refused(),
    })
}
