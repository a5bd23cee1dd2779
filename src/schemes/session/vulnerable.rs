//! The session room's deliberately vulnerable lab routes, under `/lab/vulnerable/`: a username
//! form without a CSRF token (the CSRF challenge; the real form is `/session/me`), and a login
//! that keeps the key the browser had before it (the session-fixation challenge; the real login
//! renews the key). DELIBERATELY INSECURE, and only with lab controls on.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

use crate::challenges::{self, Challenge};
use crate::db::Db;
use crate::schemes::identity::{MaybeSignedIn, NoFields, UsernameForm, change_username, see_other};
use crate::schemes::session::SessionPages;
use crate::state::AppState;
use crate::users::auth::{LoginError, authenticate};
use crate::web::csrf::{CsrfForm, browser_code, check_origin};
use crate::web::error::AppError;
use crate::web::lab_only;
use crate::web::page::{PageCtx, render};

/// The CSRF challenge's page and its unprotected form.
pub const CSRF_PATH: &str = "/lab/vulnerable/csrf";
/// The fixation challenge's page, key and login.
pub const FIXATION_PATH: &str = "/lab/vulnerable/fixation";
/// The fixation lab's own session cookie: not HttpOnly, so the learner can read and plant it.
pub const FIXATION_COOKIE: &str = "authlab_fixation";
/// The most keys the fixation lab keeps per lab (the oldest go first).
const FIXATION_KEYS: i64 = 500;

/// Mounts the CSRF target inside a scope that has the real session middleware (the same
/// `sessionid`): the route differs from `/session/me` only in the CSRF check it lacks.
pub(super) fn mount_csrf(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").guard(lab_only()).get(csrf_page))
        .service(
            web::resource(crate::web::UNPROTECTED_FORM.trim_start_matches(CSRF_PATH))
                .guard(lab_only())
                .post(forged_username),
        );
}

/// Mounts the fixation lab (its own cookie and table; no session middleware).
pub(super) fn mount_fixation(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(FIXATION_PATH)
            .guard(lab_only())
            .get(fixation_page),
    )
    .service(
        web::resource(format!("{FIXATION_PATH}/key"))
            .guard(lab_only())
            .post(fixation_key),
    )
    .service(
        web::resource(format!("{FIXATION_PATH}/login"))
            .guard(lab_only())
            .post(fixation_login),
    )
    .service(
        web::resource(format!("{FIXATION_PATH}/logout"))
            .guard(lab_only())
            .post(fixation_logout),
    );
}

/// `GET /lab/vulnerable/csrf`: who the session cookie says you are, the other site's address,
/// and what the last forged request changed.
#[derive(Template)]
#[template(path = "lab/csrf.html")]
struct CsrfPage {
    ctx: PageCtx,
    username: Option<String>,
    another_site: Option<String>,
    changed: Option<String>,
    from: Option<String>,
    solved: bool,
}

/// `?changed=<name>&from=<origin>` after the unprotected form changed a username.
#[derive(Debug, Deserialize)]
struct CsrfQuery {
    changed: Option<String>,
    from: Option<String>,
}

async fn csrf_page(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<SessionPages>,
    query: web::Query<CsrfQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let host = req.connection_info().host().to_owned();
    // The banner reads the lab's progress, not the query string (which anyone can write).
    let solved = query.from.is_some()
        && db
            .read(|c| challenges::store::find(c, Challenge::Csrf))
            .await??
            .solved;
    render(CsrfPage {
        ctx: PageCtx::of(&req),
        username: signed_in.0.map(|s| s.user.username),
        another_site: state
            .another_site
            .map(|port| crate::web::same_host_on(&host, port)),
        solved,
        changed: query.changed,
        from: query.from,
    })
}

/// The site a state-changing request came from, when it is not this one: the origin check of
/// the real forms ([`check_origin`]) would refuse it; named by its `Origin` (or `Sec-Fetch-Site`).
fn foreign_origin(req: &HttpRequest) -> Option<String> {
    check_origin(req).err()?;
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    Some(origin.unwrap_or("(another site)").to_owned())
}

/// `POST /lab/vulnerable/csrf/username`: the real username change with NO CSRF token and no
/// origin check. DELIBERATELY INSECURE: any page the browser visits can post it.
async fn forged_username(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    signed_in: MaybeSignedIn<SessionPages>,
    form: web::Form<UsernameForm>,
) -> Result<HttpResponse, AppError> {
    let Some(signed_in) = signed_in.0 else {
        return Err(AppError::Forbidden(
            "This request carried no live sessionid: log in on /session first, in the browser that opens the other site's page.".into(),
        ));
    };
    let wanted = form.into_inner();
    if let Err(refusal) = change_username(&signed_in, &db, &state, wanted.value()).await? {
        return Err(AppError::BadRequest(format!(
            "The username was refused: {}",
            crate::i18n::Lang::of(&req).t(refusal.key())
        )));
    }
    let username = wanted.value().trim().to_owned();
    let mut location = format!(
        "{CSRF_PATH}?changed={}",
        percent_encoding::utf8_percent_encode(&username, percent_encoding::NON_ALPHANUMERIC)
    );
    if let Some(from) = foreign_origin(&req) {
        let how = format!(
            "POST {CSRF_PATH}/username from {from}, carrying only the browser's sessionid (user {})",
            signed_in.user.email
        );
        challenges::record(&db, Challenge::Csrf, "forged", how).await;
        location.push_str("&from=");
        location.push_str(
            &percent_encoding::utf8_percent_encode(&from, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
    }
    Ok(see_other(&location))
}

/// One key of the fixation lab.
#[derive(Debug, Clone)]
struct FixationKey {
    key: String,
    issued_browser: String,
    user: Option<String>,
    login_browser: Option<String>,
}

fn find_key(c: &rusqlite::Connection, key: &str) -> rusqlite::Result<Option<FixationKey>> {
    c.query_row(
        "SELECT f.key, f.issued_browser, u.email, f.login_browser
         FROM lab_fixation_sessions f LEFT JOIN users u ON u.id = f.user_id WHERE f.key = ?1",
        params![key],
        |r| {
            Ok(FixationKey {
                key: r.get(0)?,
                issued_browser: r.get(1)?,
                user: r.get(2)?,
                login_browser: r.get(3)?,
            })
        },
    )
    .optional()
}

/// `GET /lab/vulnerable/fixation`: the key this browser holds, and whom it belongs to now.
#[derive(Template)]
#[template(path = "lab/fixation.html")]
struct FixationPage {
    ctx: PageCtx,
    browser: String,
    key: Option<FixationKey>,
    unknown_key: bool,
    solved: bool,
}

async fn fixation_page(req: HttpRequest, db: Db) -> Result<HttpResponse, AppError> {
    let browser = browser_code(&req);
    let presented = req.cookie(FIXATION_COOKIE).map(|c| c.value().to_owned());
    let key = match presented.clone() {
        Some(k) => db.read(move |c| find_key(c, &k)).await??,
        None => None,
    };
    // Solved: the browser that was handed the key before anyone logged in with it is now logged
    // in as someone who typed their password in another browser.
    let solved = key.as_ref().is_some_and(|k| {
        k.user.is_some()
            && k.issued_browser == browser
            && k.login_browser.as_deref().is_some_and(|b| b != browser)
    });
    if let (true, Some(k)) = (solved, key.as_ref()) {
        let how = format!(
            "GET {FIXATION_PATH} from browser {browser} with {FIXATION_COOKIE}={}…, the key it was given before {} logged in from browser {}",
            k.key.get(..8).unwrap_or_default(),
            k.user.as_deref().unwrap_or_default(),
            k.login_browser.as_deref().unwrap_or_default()
        );
        challenges::record(&db, Challenge::SessionFixation, "fixated", how).await;
    }
    render(FixationPage {
        ctx: PageCtx::of(&req),
        unknown_key: presented.is_some() && key.is_none(),
        browser,
        key,
        solved,
    })
}

fn fixation_cookie(key: &str) -> Cookie<'static> {
    Cookie::build(FIXATION_COOKIE, key.to_owned())
        .path(FIXATION_PATH)
        .same_site(SameSite::Lax)
        .http_only(false)
        .finish()
}

/// `POST /lab/vulnerable/fixation/key`: a fresh anonymous key, for this browser.
async fn fixation_key(
    req: HttpRequest,
    db: Db,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let key = crate::web::random_hex(16);
    let (k, browser, now) = (key.clone(), browser_code(&req), challenges::now());
    db.run(move |c| {
        c.execute(
            "INSERT INTO lab_fixation_sessions (key, issued_browser, created_at) VALUES (?1, ?2, ?3)",
            params![k, browser, now],
        )?;
        c.execute(
            "DELETE FROM lab_fixation_sessions WHERE key NOT IN
             (SELECT key FROM lab_fixation_sessions ORDER BY created_at DESC LIMIT ?1)",
            params![FIXATION_KEYS],
        )
    })
    .await??;
    let mut res = see_other(FIXATION_PATH);
    res.add_cookie(&fixation_cookie(&key))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("fixation cookie: {e}")))?;
    Ok(res)
}

/// The fixation lab's login form.
#[derive(Debug, Deserialize)]
struct FixationLogin {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /lab/vulnerable/fixation/login`: checks the password like the real login, then KEEPS
/// the key the browser sent and logs it in. DELIBERATELY INSECURE: whoever planted that key is
/// now logged in too. (The real login, `/session/login`, gives the browser a new key.)
async fn fixation_login(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<FixationLogin>,
) -> Result<HttpResponse, AppError> {
    let client = req.peer_addr().map(|a| a.ip());
    let user = match authenticate(
        &db,
        &state.throttle,
        &state.clock,
        &form.email,
        &form.password,
        client,
    )
    .await
    {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => {
            return Err(AppError::BadRequest(
                "Unable to log in with provided credentials.".into(),
            ));
        }
        Err(LoginError::Throttled(secs)) => {
            return Err(AppError::BadRequest(format!(
                "Too many failed logins: try again in {secs} seconds."
            )));
        }
        Err(LoginError::Server(e)) => return Err(e.into()),
    };
    let browser = browser_code(&req);
    let kept = req.cookie(FIXATION_COOKIE).map(|c| c.value().to_owned());
    let fresh = crate::web::random_hex(16);
    let now = challenges::now();
    let key = db
        .run(move |c| -> rusqlite::Result<String> {
            // The flaw: a key the browser already had is logged in as it is, never replaced.
            if let Some(kept) = kept {
                let n = c.execute(
                    "UPDATE lab_fixation_sessions SET user_id = ?1, login_browser = ?2 WHERE key = ?3",
                    params![user.id, browser, kept],
                )?;
                if n == 1 {
                    return Ok(kept);
                }
            }
            c.execute(
                "INSERT INTO lab_fixation_sessions (key, issued_browser, user_id, login_browser, created_at)
                 VALUES (?1, ?2, ?3, ?2, ?4)",
                params![fresh, browser, user.id, now],
            )?;
            Ok(fresh)
        })
        .await??;
    let mut res = see_other(FIXATION_PATH);
    res.add_cookie(&fixation_cookie(&key))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("fixation cookie: {e}")))?;
    Ok(res)
}

/// `POST /lab/vulnerable/fixation/logout`: logs the key out (every holder of it with it).
async fn fixation_logout(
    req: HttpRequest,
    db: Db,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(key) = req.cookie(FIXATION_COOKIE).map(|c| c.value().to_owned()) {
        db.run(move |c| {
            c.execute(
                "UPDATE lab_fixation_sessions SET user_id = NULL, login_browser = NULL WHERE key = ?1",
                params![key],
            )
        })
        .await??;
    }
    Ok(see_other(FIXATION_PATH))
}
