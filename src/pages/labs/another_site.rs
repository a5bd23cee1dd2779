//! "Another site": a second listener on another port of this machine, for the CSRF challenge.
//! It is not authlab — no cookies of its own, no CSRF tokens, no CSP — only a page where the
//! learner writes an attack page and publishes it, and the published pages themselves. Another
//! port is another *origin* (so the real routes' origin check and CSRF tokens refuse its forms)
//! but the same *site* (so the browser's SameSite=Lax cookies go along with them).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::i18n::Lang;

/// The most pages it keeps for one lab, and in all (the oldest go first), and the largest one.
const PAGES_PER_LAB: usize = 10;
const MAX_PAGES: usize = 2000;
const MAX_PAGE_BYTES: usize = 16 * 1024;

/// The pages learners published, by id, each with the lab that published it: the browser sends
/// its `authlab_lab` cookie here too (cookies name a host, not a port), and a page is shown only
/// to the lab that wrote it, so no learner's page runs in another learner's browser.
#[derive(Debug, Default)]
pub struct Published {
    pages: Mutex<Pages>,
}

#[derive(Debug, Default)]
struct Pages {
    by_id: HashMap<String, (String, String)>,
    order: VecDeque<String>,
}

impl Published {
    fn put(&self, lab: &str, html: String) -> String {
        let id = crate::web::random_hex(8);
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        let Pages { by_id, order } = &mut *pages;
        by_id.insert(id.clone(), (lab.to_owned(), html));
        order.push_back(id.clone());
        let mine: Vec<String> = order
            .iter()
            .filter(|page| by_id.get(*page).is_some_and(|(owner, _)| owner == lab))
            .cloned()
            .collect();
        let excess = mine.len().saturating_sub(PAGES_PER_LAB);
        for old in mine.into_iter().take(excess) {
            by_id.remove(&old);
            order.retain(|page| *page != old);
        }
        while order.len() > MAX_PAGES {
            if let Some(old) = order.pop_front() {
                by_id.remove(&old);
            }
        }
        id
    }

    fn get(&self, lab: &str, id: &str) -> Option<String> {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages
            .by_id
            .get(id)
            .filter(|(owner, _)| owner == lab)
            .map(|(_, html)| html.clone())
    }
}

/// The lab of the browser asking: its `authlab_lab` cookie ("" without one: the shared lab).
fn lab_of(req: &HttpRequest) -> String {
    req.cookie(crate::state::LAB_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default()
}

/// The port authlab itself listens on, so the page can say where the real site is.
#[derive(Debug, Clone, Copy)]
pub struct AuthlabPort(pub u16);

/// Mounts the other site's three routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Percent-encoding can triple HTML: the form's limit leaves room for a page of MAX_PAGE_BYTES.
    cfg.app_data(web::FormConfig::default().limit(3 * MAX_PAGE_BYTES + 1024))
        .service(web::resource("/").get(editor))
        .service(web::resource("/style.css").get(style))
        .service(web::resource("/pages").post(publish))
        .service(web::resource("/pages/{id}").get(published));
}

#[derive(Template)]
#[template(path = "another_site.html")]
struct Editor {
    lang: Lang,
    authlab: String,
    html: String,
    error: Option<String>,
}

impl Editor {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    fn page(self) -> HttpResponse {
        match self.render() {
            Ok(body) => HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(body),
            Err(e) => HttpResponse::InternalServerError().body(format!("template: {e}")),
        }
    }
}

/// authlab's own address, as a browser that reached this site at `req`'s host reaches it.
fn authlab_origin(req: &HttpRequest) -> String {
    let port = req
        .app_data::<web::Data<AuthlabPort>>()
        .map_or(8080, |p| p.0);
    crate::web::same_host_on(req.connection_info().host(), port)
}

/// The attack page the editor starts from: a form whose address and field the learner fills in.
fn starter(authlab: &str, lang: Lang) -> String {
    format!(
        "<!doctype html>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<h1>{title}</h1>\n<form method=\"post\" action=\"{authlab}/…\">\n  <input name=\"…\" value=\"…\">\n  <button>{button}</button>\n</form>\n",
        title = lang.t("another_site.starter_title"),
        button = lang.t("another_site.starter_button"),
    )
}

/// The other site's own look, so nobody mistakes it for authlab.
const STYLE: &str = r#"body { font: 16px/1.5 Georgia, serif; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; background: #fff8e7; color: #2b2111; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
.banner { background: #7a3b00; color: #fff; padding: .5rem .8rem; border-radius: 4px; }
textarea { width: 100%; font: 14px/1.4 monospace; box-sizing: border-box; }
code { background: #f1e4c3; padding: 0 .2rem; overflow-wrap: anywhere; }
.error { color: #a00; font-weight: bold; }
nav { text-align: right; margin-bottom: .4rem; }
"#;

/// `GET /style.css`.
async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(STYLE)
}

/// `GET /`: the editor.
async fn editor(req: HttpRequest) -> HttpResponse {
    let lang = Lang::of(&req);
    let authlab = authlab_origin(&req);
    Editor {
        html: starter(&authlab, lang),
        lang,
        authlab,
        error: None,
    }
    .page()
}

#[derive(Debug, Deserialize)]
struct PublishForm {
    #[serde(default)]
    html: String,
}

/// `POST /pages`: keeps the page and sends the browser to it.
async fn publish(
    req: HttpRequest,
    pages: web::Data<Published>,
    form: web::Form<PublishForm>,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let html = form.into_inner().html;
    if html.trim().is_empty() || html.len() > MAX_PAGE_BYTES {
        let mut res = Editor {
            error: Some(lang.t("another_site.too_big")),
            authlab: authlab_origin(&req),
            html,
            lang,
        }
        .page();
        *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
        return res;
    }
    let id = pages.put(&lab_of(&req), html);
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/pages/{id}")))
        .finish()
}

/// `GET /pages/{id}`: the page as written, with no policy of any kind: it is the attacker's.
async fn published(
    req: HttpRequest,
    pages: web::Data<Published>,
    id: web::Path<String>,
) -> HttpResponse {
    match pages.get(&lab_of(&req), &id) {
        Some(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(html),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("No page here for your lab: a page is shown only to the lab that published it, and kept while the server runs (the newest 10 of each lab)."),
    }
}
