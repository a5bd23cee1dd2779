//! The token room's deliberately vulnerable lab page, under `/lab/vulnerable/`: a search page
//! that writes the query into the page unescaped, under a CSP relaxed to allow inline script on
//! that page alone — so injected script runs with this origin's rights and can read the DRF key
//! the token page keeps in localStorage (never the HttpOnly cookies). DELIBERATELY INSECURE, but
//! only to the learner's own search: it is a POST form with a CSRF token, so no other page can
//! send a browser to it with a script in the query (a link to it with `?q=` reflects nothing).

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use crate::challenges::{self, Challenge};
use crate::db::Db;
use crate::web::csrf::CsrfForm;
use crate::web::error::{AppError, speaks_json};
use crate::web::lab_only;
use crate::web::page::PageCtx;

/// The XSS challenge's page.
pub const XSS_PATH: &str = "/lab/vulnerable/xss";
/// The relaxed policy of that page alone: inline script allowed (the flaw), requests to this
/// origin only (the collector is here; a real attacker's would be anywhere).
const RELAXED_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The longest query the page reflects.
const MAX_QUERY: usize = 2048;

pub(super) fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(XSS_PATH)
            .guard(lab_only())
            .get(form)
            .post(search),
    )
    .service(
        web::resource(format!("{XSS_PATH}/collect"))
            .guard(lab_only())
            .wrap(from_fn(speaks_json))
            .post(collect),
    );
}

/// The search box's field.
#[derive(Debug, Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "lab/xss.html")]
struct XssPage {
    ctx: PageCtx,
    /// The query, written into the page AS IS. DELIBERATELY INSECURE.
    q: String,
}

/// `GET /lab/vulnerable/xss`: the search box, nothing reflected.
async fn form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    page(&req, String::new())
}

/// `POST /lab/vulnerable/xss` `q=…` (with the form's CSRF token): "You searched for …",
/// unescaped, inline script allowed.
async fn search(
    req: HttpRequest,
    CsrfForm(search): CsrfForm<Search>,
) -> Result<HttpResponse, AppError> {
    page(&req, search.q)
}

fn page(req: &HttpRequest, q: String) -> Result<HttpResponse, AppError> {
    if q.len() > MAX_QUERY {
        return Err(AppError::BadRequest(format!(
            "Search for at most {MAX_QUERY} bytes."
        )));
    }
    let body = XssPage {
        ctx: PageCtx::of(req),
        q,
    }
    .render()
    .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, RELAXED_CSP))
        .body(body))
}

/// The first run of exactly 40 lowercase hex characters in `text`: what a DRF key looks like.
fn drf_key_in(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let hex = |b: &u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
    let mut start = 0;
    while start < bytes.len() {
        let run = bytes[start..].iter().take_while(|b| hex(b)).count();
        if run == 40 {
            return text.get(start..start + 40);
        }
        start += run.max(1);
    }
    None
}

/// `POST /lab/vulnerable/xss/collect`: the attacker's collector (here, so the page's policy lets
/// the script reach it). Solved when script on the XSS page sends it a live DRF key of this lab.
async fn collect(req: HttpRequest, db: Db, body: web::Bytes) -> Result<HttpResponse, AppError> {
    let text = String::from_utf8_lossy(&body).into_owned();
    let from_the_page = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .is_some_and(|path| path.starts_with(XSS_PATH));
    let key = drf_key_in(&text).map(str::to_owned);
    let account = match key.clone() {
        Some(k) => {
            db.read(move |c| super::store::account_for_key(c, &k))
                .await??
        }
        None => None,
    };
    let http_only_seen = ["sessionid=", "authlab_cookie="]
        .iter()
        .any(|name| text.contains(name));
    let solved = from_the_page && account.is_some();
    if let (true, Some(account)) = (solved, account.as_ref()) {
        let how = format!(
            "POST {XSS_PATH}/collect from script injected into {XSS_PATH}?q=…, carrying {}'s DRF key from localStorage",
            account.email
        );
        challenges::record(&db, Challenge::XssToken, "stolen", how).await;
    }
    Ok(HttpResponse::Ok().json(json!({
        "received_bytes": body.len(),
        "drf_key": key.is_some(),
        "key_of": account.map(|a| a.email),
        "from_the_xss_page": from_the_page,
        "http_only_cookie_seen": http_only_seen,
        "solved": solved,
    })))
}

#[cfg(test)]
mod tests {
    use super::drf_key_in;

    #[test]
    fn a_drf_key_is_found_where_it_stands_alone_or_among_other_text() {
        let key = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(drf_key_in(key), Some(key));
        assert_eq!(drf_key_in(&format!("token={key}; csrf=x")), Some(key));
        assert_eq!(drf_key_in(&format!("{key}0")), None, "41 characters");
        assert_eq!(drf_key_in("no key"), None);
    }
}
