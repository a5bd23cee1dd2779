//! `AppError`, the one error type: DRF-shaped JSON on API routes, an `error.html` page elsewhere.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde_json::{Value, json};

use crate::users::hashing::HashingError;
use crate::web::is_api_path;
use crate::web::page::PageCtx;

/// Everything a request can go wrong with. Each variant's doc names its status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed; the text says how.
    #[error("{0}")]
    BadRequest(String),
    /// 400: DRF validation errors, given as the exact JSON body (field map or `non_field_errors`).
    #[error("invalid input: {0}")]
    Invalid(Value),
    /// 401: the exact DRF/simplejwt body, and the `WWW-Authenticate` challenge to send with it.
    #[error("not authenticated: {body}")]
    Unauthorized {
        /// The JSON body, e.g. `{"detail": "Invalid token."}`.
        body: Value,
        /// The `WWW-Authenticate` value, e.g. `Token` or `Bearer realm="api"`.
        challenge: &'static str,
    },
    /// 403: refused, e.g. a missing or wrong CSRF token.
    #[error("{0}")]
    Forbidden(String),
    /// 404: nothing here.
    #[error("Not found.")]
    NotFound,
    /// 405: the route exists but not with this method.
    #[error("Method \"{method}\" not allowed.")]
    MethodNotAllowed {
        /// The method sent.
        method: String,
        /// The methods the route takes, for the `Allow` header (empty: no header; `HEAD` is added
        /// beside `GET`).
        allow: &'static str,
    },
    /// 408: the request body did not arrive in full within the body timeout; the connection is
    /// closed after this answer.
    #[error("The request body did not arrive in time.")]
    RequestTimeout,
    /// 413: the body is larger than this route accepts.
    #[error("Request body is too large.")]
    PayloadTooLarge,
    /// 415: the body's `Content-Type` is not one this route reads.
    #[error("Unsupported media type \"{0}\" in request.")]
    UnsupportedMediaType(String),
    /// 429: too many failed logins; try again after the given number of seconds.
    #[error("Request was throttled. Expected available in {0} seconds.")]
    Throttled(u64),
    /// 503: every password-hashing place is taken; try again after the given number of seconds.
    #[error("The server is busy checking other passwords. Try again in {0} seconds.")]
    Busy(u64),
    /// 503: `--max-labs` private labs are open, so a new browser gets none.
    #[error(
        "The classroom is full: {0} labs are open. A lab closes after it has been idle for a while; try again later."
    )]
    LabsFull(usize),
    /// 409: the request comes too early for the state it asks about (e.g. a solution before the hints).
    #[error("{0}")]
    Conflict(String),
    /// 409: the browser's private lab was closed (it was idle too long); a page reload opens a new one.
    #[error("Your lab was closed after it had been idle. Reload the page to get a new one.")]
    LabGone,
    /// 500: a bug or an unavailable resource. Logged; the client sees no detail.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    /// A 401 with a `{"detail": ...}` body.
    pub fn unauthorized(detail: &str, challenge: &'static str) -> Self {
        AppError::Unauthorized {
            body: json!({ "detail": detail }),
            challenge,
        }
    }

    /// The JSON body this error answers with on API routes.
    pub fn body(&self) -> Value {
        match self {
            AppError::Invalid(body) | AppError::Unauthorized { body, .. } => body.clone(),
            AppError::Internal(_) => json!({ "detail": "A server error occurred." }),
            other => json!({ "detail": other.to_string() }),
        }
    }

    /// The English detail line shown on an error page (the catalogs give the explanation).
    pub fn detail(&self) -> String {
        match self.body().get("detail").and_then(Value::as_str) {
            Some(detail) => detail.to_owned(),
            None => self.body().to_string(),
        }
    }
}

/// Turns a JSON body problem into the DRF-shaped answer: 415, 413 or 400.
pub fn json_error(err: actix_web::error::JsonPayloadError, req: &HttpRequest) -> AppError {
    match err {
        actix_web::error::JsonPayloadError::ContentType => AppError::UnsupportedMediaType(
            req.headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
        ),
        actix_web::error::JsonPayloadError::Overflow { .. }
        | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge
        }
        actix_web::error::JsonPayloadError::Deserialize(e) if e.is_data() => {
            AppError::BadRequest(format!("Invalid input - {e}"))
        }
        actix_web::error::JsonPayloadError::Deserialize(e) => {
            AppError::BadRequest(format!("JSON parse error - {e}"))
        }
        actix_web::error::JsonPayloadError::Payload(e) if crate::web::deadline::is_timeout(&e) => {
            AppError::RequestTimeout
        }
        other => AppError::BadRequest(format!("JSON parse error - {other}")),
    }
}

/// A request body that could not be read: 413 when it outgrew the route's limit (a chunked body
/// has no `Content-Length` to refuse it by earlier), else 400 saying why.
pub fn unreadable_body(e: &actix_web::Error) -> AppError {
    match e.as_error::<actix_web::error::PayloadError>() {
        Some(actix_web::error::PayloadError::Overflow) => AppError::PayloadTooLarge,
        Some(payload) if crate::web::deadline::is_timeout(payload) => AppError::RequestTimeout,
        _ => AppError::BadRequest(format!("The request body could not be read: {e}")),
    }
}

impl From<HashingError> for AppError {
    fn from(e: HashingError) -> Self {
        match e {
            HashingError::Busy => AppError::Busy(crate::users::hashing::BUSY_RETRY_AFTER_SECS),
            HashingError::Stopped => AppError::Internal(e.into()),
        }
    }
}

impl From<crate::users::auth::ServerError> for AppError {
    fn from(e: crate::users::auth::ServerError) -> Self {
        match e {
            crate::users::auth::ServerError::Hashing(e) => e.into(),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy(_) | AppError::LabsFull(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::LabGone | AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        // ERROR is for faults of the server; the client's own problems are DEBUG, and a full
        // hashing backlog (the server is busy, not broken) a WARN at most every ten seconds.
        match self {
            AppError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "request failed"),
            AppError::Busy(_) => busy_warning(),
            other => {
                tracing::debug!(status = self.status_code().as_u16(), detail = %other, "refused")
            }
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/json"));
        match self {
            AppError::Unauthorized { challenge, .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, *challenge));
            }
            AppError::Throttled(secs) | AppError::Busy(secs) => {
                res.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            AppError::MethodNotAllowed { allow, .. } if !allow.is_empty() => {
                res.insert_header((header::ALLOW, with_head(&HeaderValue::from_static(allow))));
            }
            _ => {}
        }
        res.body(self.body().to_string())
    }
}

/// Warns that logins are being turned away with 503, at most once every ten seconds, with how
/// many were turned away since the last warning.
fn busy_warning() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    static SINCE: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let turned_away = SINCE.fetch_add(1, Ordering::Relaxed) + 1;
    let last = LAST.load(Ordering::Relaxed);
    if now >= last + 10
        && LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        SINCE.store(0, Ordering::Relaxed);
        tracing::warn!(
            turned_away,
            "the password-hashing backlog is full: logins and sign-ups answer 503 with Retry-After"
        );
    }
}

/// The error page: the status explained in the reader's language, with the server's exact detail.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    detail: String,
    /// A problem with its own explanation (`error.<topic>.*`) rather than its status's.
    topic: Option<&'static str>,
}

/// Statuses the catalogs explain; any other uses `error.other.*`.
pub const EXPLAINED_STATUSES: [u16; 10] = [400, 401, 403, 404, 405, 413, 415, 429, 500, 503];

impl ErrorPage {
    fn key(&self, part: &str) -> String {
        if let Some(topic) = self.topic {
            format!("error.{topic}.{part}")
        } else if EXPLAINED_STATUSES.contains(&self.status) {
            format!("error.{}.{part}", self.status)
        } else {
            format!("error.other.{part}")
        }
    }

    fn title_key(&self) -> String {
        self.key("title")
    }

    fn body_key(&self) -> String {
        self.key("body")
    }
}

/// Answers unknown routes (the app's default service).
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Middleware: turns error responses into an HTML page on page routes and fills the empty bodies
/// of actix's own 404/405 answers with DRF-shaped JSON on API routes.
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let method = req.method().clone();
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let error = match res.response().error() {
        Some(err) => match err.as_error::<AppError>() {
            Some(app) => Some(app.body()),
            None => Some(json!({ "detail": err.to_string() })),
        },
        None => None,
    };
    let empty_body = matches!(
        res.response().body().size(),
        actix_web::body::BodySize::None
    ) || matches!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(0)
    );
    if error.is_none() && !empty_body {
        return Ok(res);
    }
    let detail = error
        .as_ref()
        .and_then(|body| {
            body.get("detail")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .or_else(|| error.as_ref().map(Value::to_string))
        .unwrap_or_else(|| default_detail(status, &method));
    let (http_req, res) = res.into_parts();
    if is_api_path(http_req.path())
        || http_req.extensions().contains::<SpeaksJson>()
        || spoke_json(&http_req)
    {
        if error.is_some() {
            return Ok(ServiceResponse::new(http_req, res));
        }
        let mut replaced = HttpResponse::build(status);
        replaced.insert_header((header::CONTENT_TYPE, "application/json"));
        copy_headers(&res, &mut replaced);
        let replaced = replaced.body(json!({ "detail": detail }).to_string());
        return Ok(ServiceResponse::new(http_req, replaced));
    }
    let page = error_page(&http_req, status, detail);
    let mut replaced = HttpResponse::build(status);
    copy_headers(&res, &mut replaced);
    replaced.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    ));
    Ok(ServiceResponse::new(http_req, replaced.body(page)))
}

/// The error page of `error`, explained by the catalogs' `error.<topic>.*`: for answers made
/// before the error pages' own middleware runs (the classroom's, around everything else).
pub fn topic_page(req: &HttpRequest, error: &AppError, topic: &'static str) -> HttpResponse {
    let status = error.status_code();
    let page = render_page(req, status, Some(topic), error.detail());
    let mut res = HttpResponse::build(status);
    if let AppError::LabsFull(_) = error {
        res.insert_header((header::RETRY_AFTER, "60"));
    }
    res.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    ))
    .body(page)
}

/// Whether the request itself spoke JSON: it sent a JSON body, or asked for JSON and not for a
/// page. Its error is then answered in JSON even before routing chose a handler (a refused
/// `Origin`, a lab route with lab controls off), whatever its path.
fn spoke_json(req: &HttpRequest) -> bool {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let accept = header(header::ACCEPT);
    header(header::CONTENT_TYPE).starts_with("application/json")
        || (accept.contains("application/json") && !accept.contains("text/html"))
}

/// The mark [`speaks_json`] leaves on a request.
#[derive(Clone, Copy, Debug)]
struct SpeaksJson;

/// Middleware for a route that takes and answers JSON outside `/…/api/` (a scheme's JSON lab
/// actions): its errors are answered in JSON, not as an error page.
pub async fn speaks_json(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    req.extensions_mut().insert(SpeaksJson);
    next.call(req).await
}

fn copy_headers(from: &HttpResponse<BoxBody>, to: &mut actix_web::HttpResponseBuilder) {
    for (name, value) in from.headers() {
        if name == header::ALLOW {
            to.append_header((header::ALLOW, with_head(value)));
        } else if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            to.append_header((name.clone(), value.clone()));
        }
    }
}

/// An `Allow` value with `HEAD` after `GET` (actix's own and ours alike): HEAD is answered
/// wherever GET is.
fn with_head(allow: &HeaderValue) -> HeaderValue {
    let Ok(methods) = allow.to_str() else {
        return allow.clone();
    };
    let mut listed: Vec<&str> = methods.split(',').map(str::trim).collect();
    match listed.iter().position(|m| *m == "GET") {
        Some(get) if !listed.contains(&"HEAD") => listed.insert(get + 1, "HEAD"),
        _ => return allow.clone(),
    }
    HeaderValue::from_str(&listed.join(", ")).unwrap_or_else(|_| allow.clone())
}

fn default_detail(status: StatusCode, method: &Method) -> String {
    match status {
        StatusCode::NOT_FOUND => AppError::NotFound.to_string(),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed {
            method: method.to_string(),
            allow: "",
        }
        .to_string(),
        other => other.canonical_reason().unwrap_or("Error").to_owned(),
    }
}

fn error_page(req: &HttpRequest, status: StatusCode, detail: String) -> String {
    render_page(req, status, None, detail)
}

fn render_page(
    req: &HttpRequest,
    status: StatusCode,
    topic: Option<&'static str>,
    detail: String,
) -> String {
    let page = ErrorPage {
        ctx: PageCtx::of(req),
        status: status.as_u16(),
        detail,
        topic,
    };
    page.render()
        .unwrap_or_else(|_| format!("{} {}", status.as_u16(), page.detail))
}
