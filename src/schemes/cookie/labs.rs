//! The cookie labs: the deliberately insecure naive cookie, editing the signed cookie, the size
//! limit, and replaying a copied cookie. Mounted only when lab controls are on.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::challenges::{self, Challenge};
use crate::db::Db;
use crate::schemes::cookie::ROOM;
use crate::schemes::identity::{check_cookie_value, see_other};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::error::speaks_json;
use crate::web::lab_only;
use crate::web::page::PageCtx;
use actix_web::middleware::from_fn;

/// The unsigned, script-readable cookie the naive route trusts blindly. DELIBERATELY INSECURE.
pub const NAIVE_COOKIE: &str = "authlab_naive";
/// The naive route, under the deliberately vulnerable prefix; its cookie is scoped to it alone.
pub const NAIVE_PATH: &str = "/lab/vulnerable/naive-cookie";
/// Prefix of the size-lab cookies.
pub const SIZE_PREFIX: &str = "authlab_size_";
/// The sizes the size lab sets by default (name + value, in bytes).
pub const DEFAULT_SIZES: [usize; 4] = [4000, 4096, 4097, 6000];

pub(super) fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/lab/tamper").guard(lab_only()).post(tamper))
        .service(
            web::resource("/lab/size")
                .guard(lab_only())
                .wrap(from_fn(speaks_json))
                .post(set_sizes),
        )
        .service(
            web::resource("/lab/size/clear")
                .guard(lab_only())
                .wrap(from_fn(speaks_json))
                .post(clear_sizes),
        );
}

/// Sets the naive cookie after a login: `email|role`, plain text, not signed, not HttpOnly. It
/// lives as long as the signed login beside it (`Max-Age`), so a browser restart keeps both.
pub(super) fn set_naive_cookie(
    res: &mut HttpResponse,
    email: &str,
    lifetime: chrono::Duration,
) -> Result<(), AppError> {
    let value = format!("{}|user", email.trim().to_lowercase());
    let cookie = Cookie::build(NAIVE_COOKIE, value)
        .path(NAIVE_PATH)
        .max_age(actix_web::cookie::time::Duration::seconds(
            lifetime.num_seconds(),
        ))
        .same_site(SameSite::Lax)
        .http_only(false)
        .finish();
    res.add_cookie(&cookie)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("naive cookie: {e}")))
}

/// Removes the naive cookie at logout.
pub(super) fn remove_naive_cookie(res: &mut HttpResponse) {
    let mut cookie = Cookie::build(NAIVE_COOKIE, "").path(NAIVE_PATH).finish();
    cookie.make_removal();
    let _ = res.add_cookie(&cookie);
}

/// Mounts the naive route, outside the `/cookie` scope: it trusts no signature and needs no store.
pub(super) fn mount_vulnerable(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(NAIVE_PATH).guard(lab_only()).get(naive));
}

/// `GET /lab/vulnerable/naive-cookie`: believes whatever `authlab_naive` says. DELIBERATELY INSECURE.
#[derive(Template, WebTemplate)]
#[template(path = "cookie/naive.html")]
pub struct NaivePage {
    ctx: PageCtx,
    raw: Option<String>,
    email: String,
    role: String,
    /// Whether this request solved the naive-cookie challenge (bob, admin).
    solved: bool,
}

async fn naive(req: HttpRequest, db: Db) -> NaivePage {
    let raw = req.cookie(NAIVE_COOKIE).map(|c| c.value().to_owned());
    let (email, role) = raw
        .as_deref()
        .map(|v| {
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned();
            match v.split_once('|') {
                Some((email, role)) => (email.to_owned(), role.to_owned()),
                None => (v, String::new()),
            }
        })
        .unwrap_or_default();
    // The challenge: the learner's own edit made the route take them for bob, an admin.
    let solved = email.trim().eq_ignore_ascii_case(BOB) && role == "admin";
    if solved {
        let how = format!("GET {NAIVE_PATH} with Cookie: {NAIVE_COOKIE}={email}|{role}");
        challenges::record(&db, Challenge::NaiveCookie, "bob_admin", how).await;
    }
    NaivePage {
        ctx: PageCtx::of(&req),
        raw,
        email,
        role,
        solved,
    }
}

/// Whom the naive-cookie challenge asks the learner to become.
const BOB: &str = "bob@example.com";

/// The edited signed cookie to put back into the browser.
#[derive(Debug, Deserialize)]
pub struct TamperForm {
    #[serde(default)]
    value: String,
}

/// `POST /cookie/lab/tamper`: puts an edited `authlab_cookie` into the browser (what devtools
/// would do; page script cannot, the cookie being HttpOnly), then shows what the server makes of it.
async fn tamper(
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<TamperForm>,
) -> Result<HttpResponse, AppError> {
    let value = check_cookie_value(&form.value)?;
    let cookie = Cookie::build(ROOM.cookie_name, value.to_owned())
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies())
        .same_site(SameSite::Lax)
        .finish();
    let mut res = see_other("/cookie?tampered=1");
    res.add_cookie(&cookie)
        .map_err(|e| AppError::BadRequest(format!("That value cannot be a cookie: {e}")))?;
    Ok(res)
}

/// Optional sizes for the size lab.
#[derive(Debug, Default, Deserialize)]
pub struct SizeRequest {
    #[serde(default)]
    sizes: Vec<usize>,
}

/// One cookie the size lab set.
#[derive(Debug, Serialize)]
struct SizedCookie {
    name: String,
    bytes: usize,
}

/// `POST /cookie/lab/size`: sets one cookie per size (name + value = that many bytes).
async fn set_sizes(body: web::Json<SizeRequest>) -> Result<HttpResponse, AppError> {
    let mut sizes = body.into_inner().sizes;
    if sizes.is_empty() {
        sizes = DEFAULT_SIZES.to_vec();
    }
    if sizes.len() > 6 || sizes.iter().any(|n| !(64..=8192).contains(n)) {
        return Err(AppError::Invalid(json!({
            "sizes": ["Send at most 6 sizes, each between 64 and 8192 bytes."]
        })));
    }
    let mut res = HttpResponse::Ok();
    let mut set = Vec::new();
    for bytes in sizes {
        let name = format!("{SIZE_PREFIX}{bytes}");
        let value = "x".repeat(bytes - name.len());
        let cookie = Cookie::build(name.clone(), value)
            .path("/cookie")
            .same_site(SameSite::Lax)
            .max_age(time::Duration::minutes(10))
            .finish();
        res.cookie(cookie);
        set.push(SizedCookie { name, bytes });
    }
    Ok(res.json(json!({ "set": set })))
}

/// `POST /cookie/lab/size/clear`: removes every size-lab cookie the browser still holds.
async fn clear_sizes(req: HttpRequest, _json_only: web::Json<serde_json::Value>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    let mut removed = Vec::new();
    if let Ok(cookies) = req.cookies() {
        for cookie in cookies.iter().filter(|c| c.name().starts_with(SIZE_PREFIX)) {
            let mut removal = Cookie::build(cookie.name().to_owned(), "")
                .path("/cookie")
                .finish();
            removal.make_removal();
            removed.push(cookie.name().to_owned());
            res.cookie(removal);
        }
    }
    res.json(json!({ "removed": removed }))
}
