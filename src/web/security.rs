//! Security headers on every response, `Cache-Control: no-store` on everything but the static
//! files that were found, and the `Host` check that keeps the server from DNS rebinding.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::config::Settings;
use crate::web::error::AppError;

/// The Content-Security-Policy: our own origin only, no inline script, no framing.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Middleware: adds the security headers DESIGN.md requires.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let is_static = req.path().starts_with("/static/");
    let vulnerable = crate::web::is_vulnerable(req.path());
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A deliberately vulnerable page may relax its own policy (the XSS challenge); no other may.
    if !(vulnerable && h.contains_key(header::CONTENT_SECURITY_POLICY)) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // Only a static file that was found, and that sets no cookie, may sit in a shared cache: an
    // error page under /static/ carries this browser's CSRF seed.
    let cacheable =
        is_static && res.status().is_success() && !res.headers().contains_key(header::SET_COOKIE);
    let h = res.headers_mut();
    if cacheable {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
    } else {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The host part of a `Host` header value: without the port, IPv6 brackets kept off.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether the server answers to `host`: `localhost` (and `*.localhost`), any IP address — a DNS
/// rebinding attack needs a name, never an address — or the host of `--public-url`.
pub fn answers_to(host: &str, public_url: Option<&str>) -> bool {
    let name = host_name(host.trim());
    let bytes = name.as_bytes();
    let localhost = name.eq_ignore_ascii_case("localhost")
        || (bytes.len() > 10 && bytes[bytes.len() - 10..].eq_ignore_ascii_case(b".localhost"));
    let public = public_url
        .and_then(|url| url.split_once("://"))
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .is_some_and(|authority| host_name(authority).eq_ignore_ascii_case(name));
    localhost || public || name.parse::<std::net::IpAddr>().is_ok()
}

/// Whether the request authenticates with a `Token` or `Bearer` credential of its own.
fn carries_api_credentials(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_ascii_whitespace().next())
        .is_some_and(|keyword| keyword.eq_ignore_ascii_case("token") || keyword == "Bearer")
}

/// Middleware, just outside the router: admits a request whose `Host` this server answers to and,
/// when it changes state, whose `Origin` is this site (or that brings its own API credentials),
/// and serves `HEAD` as `GET`.
///
/// - **Host.** Bound to a loopback address, or told its name with `--public-url`, authlab refuses
///   (400, as Django's `ALLOWED_HOSTS` does) a `Host` naming another machine. Without this, a page
///   on another site could rebind its own name to 127.0.0.1 and drive this server — lab reset
///   included — as if it were same-origin. Bound to another address with no public URL, it
///   cannot know its names, so it answers to any.
/// - **HEAD**, wherever `GET` is answered, as Django does (RFC 9110 §9.3.2): the route runs as
///   `GET`, and actix-http, which saw `HEAD` on the wire, sends the headers without the body.
pub async fn admit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(settings) = req.app_data::<web::Data<Settings>>()
        && (settings.bind.ip().is_loopback() || settings.public_url.is_some())
        && let Some(host) = req.headers().get(header::HOST)
        && !host
            .to_str()
            .is_ok_and(|host| answers_to(host, settings.public_url.as_deref()))
    {
        let refused = AppError::BadRequest(format!(
            "Invalid Host header: {:?}. authlab answers only to localhost, an IP address \
             and the --public-url host.",
            String::from_utf8_lossy(host.as_bytes())
        ));
        return Ok(req.error_response(refused).map_into_right_body());
    }
    // No state changes from another site, whatever the body: forms carry CSRF tokens as well, and
    // a JSON lab action from a foreign page is refused here just the same. A request that brings
    // its own `Token` or `Bearer` credentials is judged by them alone: no page of another site
    // can add such a header (that takes a CORS preflight authlab never grants), so it cannot be
    // forged — the lesson of the token and JWT groups. (A `Basic` header a browser attaches by
    // itself earns no such pass.)
    // The CSRF challenge's one target is spared the Origin check on purpose — for another origin
    // of this site (the other port), never for another site.
    let spared = req.path() == crate::web::UNPROTECTED_FORM
        && !crate::web::csrf::is_cross_site(req.request());
    if !req.method().is_safe()
        && !carries_api_credentials(&req)
        && !spared
        && let Err(refused) = crate::web::csrf::check_origin(req.request())
    {
        return Ok(req.error_response(refused).map_into_right_body());
    }
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::answers_to;

    #[test]
    fn the_server_answers_to_this_machine_addresses_and_its_public_url_only() {
        for host in [
            "localhost",
            "localhost:8080",
            "LOCALHOST:8080",
            "app.localhost:8080",
            "127.0.0.1:8080",
            "127.0.0.2",
            "[::1]:8080",
            "10.0.0.1:8080",
        ] {
            assert!(answers_to(host, None), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "xlocalhost",
            "",
        ] {
            assert!(!answers_to(host, None), "{host}");
        }
        let public = Some("https://authlab.example");
        assert!(answers_to("authlab.example", public));
        assert!(answers_to("Authlab.Example:443", public));
        assert!(!answers_to("evil.example", public));
        assert!(answers_to(
            "authlab.example:8443",
            Some("https://authlab.example:8443/app")
        ));
    }
}
