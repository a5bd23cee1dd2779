//! The session scheme: the browser holds only an opaque key; the login lives in the `sessions` table.
//!
//! The same actix-identity handlers as the cookie scheme (`schemes::identity`), over our own
//! `SessionStore` on SQLite (`store.rs`). Idle and absolute expiry are enforced by the store on
//! the app clock; revoking a row ends that login everywhere at once.

mod labs;
pub mod load;
pub mod store;
mod vulnerable;

use actix_identity::IdentityMiddleware;
use actix_session::SessionExt;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Serialize;

use crate::challenges::{self, Challenge};
use crate::db::{Db, Pool};
use crate::schemes::identity::{
    self, LandingView, LoginForm, MaybeSignedIn, MeView, Room, RoomPages, SignedIn, see_other,
};
use crate::schemes::panels::{self, BrowserCookie, Wire};
use crate::schemes::scheme::Scheme;
use crate::state::AppState;
use crate::users::{self, User};
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::AppError;
use crate::web::page::{PageCtx, render};
use store::{SessionRow, SqliteSessionStore, Totals};

/// The session room: an opaque key in the `sessionid` cookie, as Django names it.
pub static ROOM: Room = Room {
    scheme: Scheme::Session,
    cookie_name: "sessionid",
    auth_desc: "session lookup",
    lifetime: |settings| settings.session_max.get(),
    sealed: false,
    ends_with_password_change: true,
};

/// Session-state key of the session key this browser had before logging in (the fixation lab).
const KEY_BEFORE_LOGIN: &str = "authlab.key_before_login";
/// Session-state key of the browser that logged in (its CSRF-seed code): the hijack challenge
/// notices the key used from another one.
const LOGIN_BROWSER: &str = "authlab.login_browser";

/// The signed-in user of the session scheme.
pub type SessionUser = identity::RoomUser<SessionPages>;

/// The session room's pages.
pub struct SessionPages;

/// Mounts the `/session` scope with its SQLite session middleware.
pub fn mount(cfg: &mut web::ServiceConfig, state: &AppState, pool: &Pool) {
    let sessions = identity::session_middleware(&ROOM, store_for(state, pool), state);
    cfg.service(
        web::scope("/session")
            .configure(identity::routes::<SessionPages>)
            .service(web::resource("/api/inspect").get(inspect))
            .service(web::resource("/panel").get(server_panel))
            .service(web::resource("/devices").get(devices))
            .service(web::resource("/devices/others/revoke").post(revoke_others))
            .service(web::resource("/devices/{id}/revoke").post(revoke))
            .configure(labs::mount)
            .wrap(IdentityMiddleware::default())
            .wrap(sessions),
    );
    // The CSRF challenge's target reads the same sessionid through the same middleware.
    let sessions = identity::session_middleware(&ROOM, store_for(state, pool), state);
    cfg.service(
        web::scope(vulnerable::CSRF_PATH)
            .configure(vulnerable::mount_csrf)
            .wrap(IdentityMiddleware::default())
            .wrap(sessions),
    );
    vulnerable::mount_fixation(cfg);
}

/// The session store over `pool`, with the settings' lifetimes.
fn store_for(state: &AppState, pool: &Pool) -> SqliteSessionStore {
    let settings = &state.settings;
    SqliteSessionStore::new(
        pool.clone(),
        state.clock.clone(),
        settings.session_idle.get(),
        settings.session_max.get(),
    )
}

/// The session key inside this request's (signed) `sessionid` cookie, if its signature holds.
pub fn current_key(req: &HttpRequest, state: &AppState) -> Option<String> {
    identity::signed_value(req, &ROOM, state)
}

/// Browser and wire panels: what the request itself carries (no query).
#[derive(Debug, Serialize)]
pub struct ClientPanels {
    /// `sessionid` as the browser holds it.
    pub browser: BrowserCookie,
    /// The `Cookie:` header of this request.
    pub wire: Wire,
}

fn client_panels(req: &HttpRequest, state: &AppState) -> ClientPanels {
    ClientPanels {
        browser: panels::browser_cookie(
            req,
            ROOM.cookie_name,
            true,
            identity::CookiePolicy::of(&ROOM, state).attributes(),
        ),
        wire: panels::cookie_wire(req, ROOM.cookie_name),
    }
}

/// The server panel: what the server keeps for this browser, and for everyone.
#[derive(Debug, Serialize)]
pub struct ServerPanel {
    /// This request's row, as stored (key and state included).
    pub current: Option<SessionRow>,
    /// That row's state as the structure it is (actix-session's JSON texts unwrapped).
    pub current_structure: Option<String>,
    /// The signed-in user's other live sessions (no keys).
    pub others: Vec<SessionRow>,
    /// The whole table.
    pub totals: Totals,
    /// The key this browser had before login, and whether it still resolves.
    pub fixation: Option<Fixation>,
    /// The signed-in user's row (created_at / updated_at).
    pub user_row: Option<User>,
    /// What the last sweep of expired rows removed, and what it took.
    pub last_sweep: Option<crate::state::SweepReport>,
}

/// Session fixation made visible: the pre-login key is gone after login.
#[derive(Debug, Serialize)]
pub struct Fixation {
    /// The key before login.
    pub before: String,
    /// Whether a row still answers to it (it must not).
    pub before_resolves: bool,
    /// The key now.
    pub now: Option<String>,
}

/// What `/session/api/inspect` answers: all four panels' data.
#[derive(Debug, Serialize)]
pub struct Inspect {
    /// `"session"`.
    pub scheme: &'static str,
    /// Who the session says you are.
    pub user: Option<identity::UserCard>,
    /// Browser and wire.
    #[serde(flatten)]
    pub client: ClientPanels,
    /// Server rows and totals.
    pub server: ServerPanel,
    /// Why the `sessionid` this request sent was refused (a 401 `code`), if it was.
    pub refused: Option<&'static str>,
}

async fn server_data(
    req: &HttpRequest,
    db: &Db,
    state: &AppState,
    signed_in: Option<&SignedIn>,
) -> Result<ServerPanel, AppError> {
    let key = current_key(req, state);
    let before: Option<String> =
        signed_in.and_then(|s| s.session().get(KEY_BEFORE_LOGIN).ok().flatten());
    let user_id = signed_in.map(|s| s.user.id);
    let now = state.clock.unix();
    let last_sweep = state.last_sweep.get();
    db.run(move |c| -> rusqlite::Result<ServerPanel> {
        let current = match &key {
            Some(k) => store::by_key(c, k)?.filter(|r| r.expires_at > now),
            None => None,
        };
        let others = match user_id {
            Some(id) => store::live_for_user(c, id, now, key.as_deref())?
                .into_iter()
                .filter(|r| !r.current)
                .collect(),
            None => Vec::new(),
        };
        let fixation = match before {
            Some(before) => Some(Fixation {
                before_resolves: store::by_key(c, &before)?.is_some(),
                before,
                now: key.clone(),
            }),
            None => None,
        };
        let user_row = match user_id {
            Some(id) => users::find(c, id)?,
            None => None,
        };
        Ok(ServerPanel {
            current_structure: current
                .as_ref()
                .and_then(|row| row.state.as_deref())
                .and_then(crate::schemes::panels::structure_of),
            current,
            others,
            totals: store::totals(c, now)?,
            fixation,
            user_row,
            last_sweep,
        })
    })
    .await?
    .map_err(AppError::from)
}

async fn inspect(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<SessionPages>,
) -> Result<web::Json<Inspect>, AppError> {
    let server = server_data(&req, &db, &state, signed_in.0.as_ref()).await?;
    Ok(web::Json(Inspect {
        scheme: "session",
        user: signed_in.0.as_ref().map(|s| s.user.clone()),
        client: client_panels(&req, &state),
        server,
        refused: signed_in.refused(),
    }))
}

/// `GET /session/panel`: the server panel as an HTML fragment, fetched by the pages' script so
/// that the pages themselves cost only the session read.
#[derive(Template)]
#[template(path = "session/server_panel.html")]
struct ServerPanelFragment {
    ctx: PageCtx,
    panel: ServerPanel,
}

async fn server_panel(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<SessionPages>,
) -> Result<HttpResponse, AppError> {
    let panel = server_data(&req, &db, &state, signed_in.0.as_ref()).await?;
    render(ServerPanelFragment {
        ctx: PageCtx::of(&req),
        panel,
    })
}

/// `GET /session`.
#[derive(Template)]
#[template(path = "session/index.html")]
struct Landing {
    ctx: PageCtx,
    user: Option<identity::UserCard>,
    client: ClientPanels,
    next: String,
    email: String,
    error: Option<String>,
    logged_out: bool,
    idle: String,
    max: String,
}

/// `GET /session/me`: costs the session read only (the server panel is fetched separately).
#[derive(Template)]
#[template(path = "session/me.html")]
struct MePage {
    ctx: PageCtx,
    user: identity::UserCard,
    client: ClientPanels,
    username: String,
    error: Option<String>,
    saved: bool,
    host: String,
    expires_at: String,
}

impl RoomPages for SessionPages {
    const ROOM: &'static Room = &ROOM;

    async fn landing(
        req: &HttpRequest,
        _db: &Db,
        state: &AppState,
        view: LandingView,
    ) -> Result<HttpResponse, AppError> {
        let ctx = PageCtx::of(req);
        render(Landing {
            idle: ctx.duration(state.settings.session_idle.get().num_seconds()),
            max: ctx.duration(state.settings.session_max.get().num_seconds()),
            ctx,
            user: view.signed_in.as_ref().map(|s| s.user.clone()),
            client: client_panels(req, state),
            next: view.query.next,
            email: view.email,
            error: view.error,
            logged_out: view.query.logged_out.is_some(),
        })
    }

    async fn me(
        req: &HttpRequest,
        _db: &Db,
        state: &AppState,
        signed_in: &SignedIn,
        view: MeView,
    ) -> Result<HttpResponse, AppError> {
        render(MePage {
            ctx: PageCtx::of(req),
            user: signed_in.user.clone(),
            client: client_panels(req, state),
            username: signed_in.user.username.clone(),
            error: view.error,
            saved: view.saved,
            host: req.connection_info().host().to_owned(),
            expires_at: PageCtx::of(req).datetime(&signed_in.expires_at),
        })
    }

    fn after_login(
        req: &HttpRequest,
        state: &AppState,
        _res: &mut HttpResponse,
        _form: &LoginForm,
    ) -> Result<(), AppError> {
        let session = req.get_session();
        let agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(200).collect::<String>())
            .unwrap_or_default();
        let mut stored = session.insert(store::USER_AGENT, agent);
        if state.settings.lab_enabled() {
            stored = stored.and_then(|()| session.insert(LOGIN_BROWSER, csrf::browser_code(req)));
        }
        if let Some(before) = current_key(req, state) {
            stored = stored.and_then(|()| session.insert(KEY_BEFORE_LOGIN, before));
        }
        stored.map_err(|e| AppError::Internal(anyhow::anyhow!("session state: {e}")))
    }

    /// The hijack challenge: a live key read from another browser than the one that logged in.
    async fn seen(req: &HttpRequest, db: &Db, state: &AppState, signed_in: &SignedIn) {
        if !state.settings.lab_enabled() || crate::web::by_a_lab_button(req) {
            return;
        }
        let Ok(Some(login_browser)) = signed_in.session().get::<String>(LOGIN_BROWSER) else {
            return;
        };
        let here = csrf::browser_code(req);
        if here != login_browser {
            let how = format!(
                "{} {} from browser {here} with the sessionid of {}, who logged in from browser {login_browser}",
                req.method(),
                req.path(),
                signed_in.user.email
            );
            challenges::record(db, Challenge::SessionHijack, "hijacked", how).await;
        }
    }
}

/// `GET /session/devices`: every live session of this user, the current one marked.
#[derive(Template)]
#[template(path = "session/devices.html")]
struct DevicesPage {
    ctx: PageCtx,
    user: identity::UserCard,
    rows: Vec<SessionRow>,
    revoked: bool,
}

/// `?revoked=1` after a revocation.
#[derive(Debug, serde::Deserialize)]
struct DevicesQuery {
    revoked: Option<String>,
}

async fn devices(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<SessionPages>,
    query: web::Query<DevicesQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(see_other("/session?next=/session/devices"));
    };
    let key = current_key(&req, &state);
    let (id, now) = (signed_in.user.id, state.clock.unix());
    let rows = db
        .run(move |c| store::live_for_user(c, id, now, key.as_deref()))
        .await??;
    render(DevicesPage {
        ctx: PageCtx::of(&req),
        user: signed_in.user.clone(),
        rows,
        revoked: query.revoked.is_some(),
    })
}

async fn revoke(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<SessionPages>,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<identity::NoFields>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(see_other("/session?next=/session/devices"));
    };
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::BadRequest("A device id is a number.".into()))?;
    let user_id = signed_in.user.id;
    let current = current_key(&req, &state);
    let was_current = {
        let current = current.clone();
        db.run(move |c| -> rusqlite::Result<bool> {
            Ok(match current {
                Some(k) => store::by_key(c, &k)?.is_some_and(|r| r.id == id),
                None => false,
            })
        })
        .await??
    };
    if !db.run(move |c| store::revoke(c, user_id, id)).await?? {
        return Err(AppError::NotFound);
    }
    if was_current {
        signed_in.logout();
        // The hijack lab goes on here: the copy kept on /session/me is replayed from this page.
        return Ok(see_other("/session?logged_out=1#lab-hijack-replay"));
    }
    Ok(see_other("/session/devices?revoked=1"))
}

async fn revoke_others(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<SessionPages>,
    CsrfForm(_): CsrfForm<identity::NoFields>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Ok(see_other("/session?next=/session/devices"));
    };
    let Some(key) = current_key(&req, &state) else {
        return Ok(see_other("/session?next=/session/devices"));
    };
    let user_id = signed_in.user.id;
    db.run(move |c| store::revoke_others(c, user_id, &key))
        .await??;
    Ok(see_other("/session/devices?revoked=1"))
}
