//! CSRF defence for cookie- and session-authenticated forms.
//!
//! Each browser gets a random seed in the HttpOnly `authlab_csrf` cookie; the form token is
//! HMAC-SHA256(CSRF key, seed). A form POST passes only when its `csrf_token` field matches the
//! HMAC of the seed its own browser sent, and its `Origin` (when sent) is this site. Another site
//! can make the browser send the cookie, but cannot read the page to learn the token.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::config::Settings;
use crate::keys::KeyRing;
use crate::web::error::{AppError, unreadable_body};

/// The cookie holding this browser's CSRF seed.
pub const CSRF_COOKIE: &str = "authlab_csrf";
/// The form field carrying the token.
pub const CSRF_FIELD: &str = "csrf_token";
/// Largest form body accepted (forms here are a few short fields).
const FORM_LIMIT: usize = 16 * 1024;

/// This request's CSRF seed: the browser's own (put in the extensions by [`ensure_seed`]), or one
/// made the first time a page asks for it ([`seed_of`]), which [`ensure_seed`] then sets.
#[derive(Clone, Debug)]
struct Seed {
    value: String,
    fresh: bool,
}

/// The seed of this request, made now when the browser has none: only a page that shows a form
/// or a per-browser code pays for the random bytes, not every API call.
fn seed_of(req: &HttpRequest) -> String {
    if let Some(seed) = req.extensions().get::<Seed>() {
        return seed.value.clone();
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let value = URL_SAFE_NO_PAD.encode(bytes);
    req.extensions_mut().insert(Seed {
        value: value.clone(),
        fresh: true,
    });
    value
}

/// The seed this response sets because the browser had none (after [`token_for`] made it).
pub fn fresh_seed(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<Seed>()
        .filter(|s| s.fresh)
        .map(|s| s.value.clone())
}

/// The token a form on this page must send back.
pub fn token_for(req: &HttpRequest) -> String {
    let seed = seed_of(req);
    match req.app_data::<web::Data<KeyRing>>() {
        Some(ring) => sign(&ring.current().csrf, &seed),
        None => String::new(),
    }
}

/// A short code unique to this browser's cookie jar (the per-browser lab): a hash of its CSRF seed.
pub fn browser_code(req: &HttpRequest) -> String {
    use sha2::Digest;
    let seed = seed_of(req);
    let digest = Sha256::digest(seed.as_bytes());
    let hex = crate::web::hex(&digest[..4]).to_uppercase();
    format!("{}-{}", &hex[..4], &hex[4..])
}

/// A fresh seed and the token that goes with it, for a client the server drives itself (the labs).
pub fn new_pair(key: &[u8]) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let seed = URL_SAFE_NO_PAD.encode(bytes);
    let token = sign(key, &seed);
    (seed, token)
}

fn sign(key: &[u8], seed: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(key, seed).finalize().into_bytes())
}

fn mac(key: &[u8], seed: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(seed.as_bytes());
    mac
}

fn valid_seed(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Middleware: makes sure every browser has a CSRF seed cookie before it sees a form.
pub async fn ensure_seed(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| valid_seed(v));
    let secure = req
        .app_data::<web::Data<Settings>>()
        .is_some_and(|s| s.secure_cookies());
    if let Some(value) = existing {
        req.extensions_mut().insert(Seed {
            value,
            fresh: false,
        });
    }
    let mut res = next.call(req).await?;
    let made = res
        .request()
        .extensions()
        .get::<Seed>()
        .filter(|s| s.fresh)
        .map(|s| s.value.clone());
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let Some(seed) = made.filter(|_| is_page) {
        let cookie = Cookie::build(CSRF_COOKIE, seed)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

/// Checks a submitted token and the request's origin; `Forbidden` when either is wrong.
pub fn verify(req: &HttpRequest, submitted: &str) -> Result<(), AppError> {
    check_origin(req)?;
    let ring = req
        .app_data::<web::Data<KeyRing>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the key ring is not registered")))?;
    let seed = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| valid_seed(v))
        .ok_or_else(|| AppError::Forbidden("CSRF Failed: CSRF cookie not set.".into()))?;
    let submitted = URL_SAFE_NO_PAD
        .decode(submitted.trim())
        .map_err(|_| AppError::Forbidden("CSRF Failed: CSRF token incorrect.".into()))?;
    mac(&ring.current().csrf, &seed)
        .verify_slice(&submitted)
        .map_err(|_| AppError::Forbidden("CSRF Failed: CSRF token incorrect.".into()))
}

/// Refuses a request whose `Origin` (or `Sec-Fetch-Site`) says it came from another site.
pub fn check_origin(req: &HttpRequest) -> Result<(), AppError> {
    if is_cross_site(req) {
        return Err(AppError::Forbidden(
            "CSRF Failed: the request came from another site.".into(),
        ));
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let expected = own_origin(req);
    if origin.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "CSRF Failed: Origin checking failed - {origin} does not match any trusted origins."
        )))
    }
}

/// Whether the browser says the request comes from another *site* (`Sec-Fetch-Site: cross-site`).
pub fn is_cross_site(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
}

fn own_origin(req: &HttpRequest) -> String {
    let public = req
        .app_data::<web::Data<Settings>>()
        .and_then(|s| s.public_url.clone());
    public.unwrap_or_else(|| {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    })
}

/// Refuses a form whose fields are not UTF-8 once decoded: serde_urlencoded would quietly put
/// U+FFFD in their place, and the page would store what nobody typed.
fn utf8_form(body: &[u8]) -> Result<(), AppError> {
    let text = body.split(|b| *b == b'&').all(|pair| {
        let decoded: Vec<u8> = percent_encoding::percent_decode(pair).collect();
        std::str::from_utf8(&decoded).is_ok()
    });
    if text {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "The form is not valid UTF-8: a field holds bytes that are not text.".into(),
        ))
    }
}

/// A urlencoded form whose `csrf_token` field was checked before the handler runs.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let content_type = req.content_type().to_owned();
            if !content_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                return Err(AppError::UnsupportedMediaType(content_type));
            }
            if req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
                .is_some_and(|len| len > FORM_LIMIT)
            {
                return Err(AppError::PayloadTooLarge);
            }
            let body = body.await.map_err(|e| unreadable_body(&e))?;
            if body.len() > FORM_LIMIT {
                return Err(AppError::PayloadTooLarge);
            }
            utf8_form(&body)?;
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))?;
            let token = fields
                .iter()
                .find(|(name, _)| name == CSRF_FIELD)
                .map(|(_, value)| value.as_str())
                .unwrap_or_default();
            verify(&req, token)?;
            serde_urlencoded::from_bytes(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))
        })
    }
}
