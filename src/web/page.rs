//! `PageCtx`: what every page template needs — the language, the current path, the CSRF token, lab state.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;

use crate::clock::Clock;
use crate::config::Settings;
use crate::i18n::Lang;
use crate::web::csrf;
use crate::web::error::AppError;

/// Renders a page template into a 200 HTML response.
pub fn render(page: impl Template) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The page context every template gets as `ctx`; `{{ ctx.t("key") }}` reads the catalogs.
#[derive(Clone, Debug)]
pub struct PageCtx {
    /// The reader's language.
    pub lang: Lang,
    /// The current path, for `next=` links and the navigation highlight.
    pub path: String,
    /// The page the language switch reloads: one that answers GET (see [`page_to_switch`]).
    pub switch_path: String,
    /// The CSRF token for forms on this page.
    pub csrf: String,
    /// Whether lab controls are on.
    pub lab: bool,
    /// The lab clock's current time, formatted for people.
    pub lab_now: String,
    /// The cookies the browser holds once this page has loaded (those it sent, exactly as sent,
    /// and the CSRF seed this answer sets), as a JSON object by name: what the request inspector
    /// shows the browser adding to its requests (script cannot read HttpOnly cookies; the server
    /// can, and the panels show them the same way).
    pub cookies: String,
    /// The private lab this page is in (empty: the shared lab).
    pub lab_id: String,
}

/// The request's `Cookie` header as a JSON object of raw (not decoded) values by name, with the
/// cookies this answer sets itself: the language a `?lang=` chose, a new browser's lab and the
/// CSRF seed when the browser had none.
fn cookies_as_sent(req: &HttpRequest) -> String {
    let mut map = serde_json::Map::new();
    for header in req.headers().get_all(actix_web::http::header::COOKIE) {
        for pair in header.to_str().unwrap_or_default().split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                map.insert(name.to_owned(), serde_json::Value::String(value.to_owned()));
            }
        }
    }
    if let Some(lang) = crate::i18n::query_lang(req.query_string()) {
        map.insert(crate::i18n::LANG_COOKIE.to_owned(), lang.code().into());
    }
    if let Some(lab) = req
        .extensions()
        .get::<crate::web::LabId>()
        .filter(|l| l.fresh)
    {
        map.insert(lab.cookie.to_owned(), lab.id.clone().into());
    }
    if let Some(seed) = csrf::fresh_seed(req) {
        map.insert(
            csrf::CSRF_COOKIE.to_owned(),
            serde_json::Value::String(seed),
        );
    }
    serde_json::Value::Object(map).to_string()
}

/// The page the language switch reloads: this one when it answers GET; for a page shown in answer
/// to a form (a refused login, say, whose URL takes only POST), the page the form was on — the
/// same-site `Referer`'s path — or else the path one level up.
fn page_to_switch(req: &HttpRequest) -> String {
    let path = req.path();
    if req.method() == actix_web::http::Method::GET || req.method() == actix_web::http::Method::HEAD
    {
        return path.to_owned();
    }
    let host = req.connection_info().host().to_owned();
    let from_referer = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| {
            let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
            (authority == host).then(|| {
                let path = tail.split(['?', '#']).next().unwrap_or("");
                format!("/{path}")
            })
        });
    from_referer.unwrap_or_else(|| match path.rsplit_once('/') {
        Some(("", _)) | None => "/".to_owned(),
        Some((parent, _)) => parent.to_owned(),
    })
}

impl PageCtx {
    /// The context for this request.
    pub fn of(req: &HttpRequest) -> Self {
        let settings = req.app_data::<web::Data<Settings>>();
        let clock = req.app_data::<web::Data<Clock>>();
        PageCtx {
            lang: Lang::of(req),
            path: req.path().to_owned(),
            switch_path: page_to_switch(req),
            csrf: csrf::token_for(req),
            lab: settings.is_some_and(|s| s.lab_enabled()),
            lab_now: clock.map(|c| c.now_for_people()).unwrap_or_default(),
            cookies: cookies_as_sent(req),
            lab_id: req
                .extensions()
                .get::<crate::web::LabId>()
                .map(|lab| lab.id.clone())
                .unwrap_or_default(),
        }
    }

    /// Catalog text in the reader's language.
    pub fn t(&self, key: impl AsRef<str>) -> String {
        self.lang.t(key.as_ref())
    }

    /// Catalog text of `<group>.<id>.<field>` (e.g. a challenge's title by its id).
    pub fn t_of(&self, group: &str, id: &str, field: &str) -> String {
        self.lang.t(&format!("{group}.{id}.{field}"))
    }

    /// Catalog text with `%{name}` placeholders filled in.
    pub fn t_with<'a>(
        &self,
        key: impl AsRef<str>,
        args: impl AsRef<[(&'a str, &'a str)]>,
    ) -> String {
        self.lang.t_with(key.as_ref(), args.as_ref())
    }

    /// A duration in the reader's language (`5 seconds`, `5초`).
    pub fn duration(&self, seconds: i64) -> String {
        self.lang.duration(seconds)
    }

    /// A Unix time (lab clock) as every page writes a time, the clock bar included:
    /// `2026-12-01 14:05:03 UTC` (the scripts' `lab.when` writes the same).
    pub fn datetime(&self, unix: &i64) -> String {
        chrono::DateTime::from_timestamp(*unix, 0)
            .map(|t| self.time(&t))
            .unwrap_or_default()
    }

    /// The date of a time [`PageCtx::time`] wrote (`2026-12-01`), kept on one line in tables.
    pub fn day_of<'a>(&self, stamp: &'a str) -> &'a str {
        stamp.split_once(' ').map_or(stamp, |(day, _)| day)
    }

    /// The clock part of a time [`PageCtx::time`] wrote (`14:05:03 UTC`).
    pub fn clock_of<'a>(&self, stamp: &'a str) -> &'a str {
        stamp.split_once(' ').map_or("", |(_, clock)| clock)
    }

    /// The first `chars` characters of `value` (never splitting a character).
    pub fn prefix(&self, value: &str, chars: usize) -> String {
        value.chars().take(chars).collect()
    }

    /// A stored time as [`PageCtx::datetime`] writes it.
    pub fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }

    /// This build's version (the HAR export's `creator`).
    pub fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// The catalog strings page script needs, as JSON (for `data-i18n`).
    pub fn js_strings(&self) -> String {
        crate::i18n::js_strings(self.lang)
    }

    /// The link that shows this page in `lang`.
    pub fn switch_href(&self, lang: &Lang) -> String {
        format!("{}?lang={}", self.switch_path, lang.code())
    }

    /// Both languages, for the switch.
    pub fn langs(&self) -> [Lang; 2] {
        Lang::ALL
    }

    /// Whether `section` (e.g. `/cookie`) is the page being shown, for the navigation highlight.
    pub fn is_current(&self, section: &str) -> bool {
        if section == "/" {
            self.path == "/"
        } else {
            self.path == section || self.path.starts_with(&format!("{section}/"))
        }
    }
}

impl FromRequest for PageCtx {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(PageCtx::of(req)))
    }
}
