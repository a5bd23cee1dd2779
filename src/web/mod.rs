//! What every route shares, knowing no scheme and no `AppState`: errors, CSRF, security headers,
//! `Server-Timing`, the page context, DRF's wire helpers, the one lab gate ([`lab_only`]) and the
//! [`Db`](crate::db::Db) extractor.

pub mod csrf;
pub mod deadline;
pub mod drf;
pub mod error;
pub mod multipart;
pub mod page;
pub mod replay;
pub mod request_span;
pub mod security;
pub mod timing;

/// Whether a path answers JSON rather than HTML: the `/…/api/` routes, the lab actions and
/// `/healthz`. A route elsewhere that speaks JSON says so with [`error::speaks_json`].
pub fn is_api_path(path: &str) -> bool {
    path.contains("/api/")
        || path.ends_with("/api")
        || (path.starts_with("/lab/") && !is_vulnerable(path))
        || path == "/lab"
        || path == "/healthz"
}

/// The one prefix of the deliberately vulnerable routes the challenges attack (pages by default;
/// the JSON ones say so with [`error::speaks_json`]). They are lab routes ([`lab_only`]), off
/// with `--no-lab`, and only they may relax the strict CSP.
pub const VULNERABLE: &str = "/lab/vulnerable";

/// The one form spared the Origin check (the CSRF challenge's target); still refused from
/// another site, and checked for nothing else but its session.
pub const UNPROTECTED_FORM: &str = "/lab/vulnerable/csrf/username";

/// Whether `path` is one of the deliberately vulnerable routes.
pub fn is_vulnerable(path: &str) -> bool {
    path.strip_prefix(VULNERABLE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Any handler takes a [`Db`](crate::db::Db) handle on the registered pool.
impl actix_web::FromRequest for crate::db::Db {
    type Error = error::AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(pool) = req.app_data::<actix_web::web::Data<crate::db::Pool>>() else {
            return std::future::ready(Err(error::AppError::Internal(anyhow::anyhow!(
                "the database pool is not registered"
            ))));
        };
        std::future::ready(Ok(crate::db::Db::new(pool.get_ref().clone())))
    }
}

/// The one lab gate: a guard that lets a lab route match only when lab controls are on
/// (otherwise the path answers 404, as if it did not exist).
pub fn lab_only() -> impl actix_web::guard::Guard {
    actix_web::guard::fn_guard(|ctx| {
        ctx.app_data::<actix_web::web::Data<crate::config::Settings>>()
            .is_some_and(|s| s.lab_enabled())
    })
}

/// The private lab a request is in, as the classroom put it in the request's extensions: pages
/// name it (`data-lab`), so scripts and copied commands reach the same lab.
#[derive(Debug, Clone)]
pub struct LabId {
    /// The cookie that carries it.
    pub cookie: &'static str,
    /// The lab's id.
    pub id: String,
    /// Whether this answer sets the cookie (the browser's first page).
    pub fresh: bool,
}

/// The header a lab's own button (and every loopback replay) marks its requests with: the
/// challenges count only requests the learner made, never one a button made for them.
pub const BUTTON_HEADER: &str = "x-authlab-lab-button";

/// Whether a lab button (or a loopback replay), not the learner, made this request.
pub fn by_a_lab_button(req: &actix_web::HttpRequest) -> bool {
    req.headers().contains_key(BUTTON_HEADER)
}

/// The header a client without the lab cookie (a script that sends no cookies, curl) names its
/// lab with.
pub const LAB_HEADER: &str = "x-authlab-lab";

/// `bytes` random bytes from the OS's CSPRNG, as lowercase hex (ids, keys, secrets).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut buf);
    hex(&buf)
}

/// `http://` and the host name of a `Host` value (`127.0.0.1:8080`, `[::1]:8080`, `lab.local`)
/// with `port` instead of its own: the same machine, as the browser names it, on another port.
pub fn same_host_on(host: &str, port: u16) -> String {
    let name = match host.rsplit_once(':') {
        Some((name, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    format!("http://{name}:{port}")
}

/// Bytes as lowercase hex (keys, jti, seals).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The bytes of a lowercase or uppercase hex string; `None` when it is not one.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{hex, unhex};

    #[test]
    fn the_same_host_on_another_port_keeps_the_name_the_browser_used() {
        use super::same_host_on;
        assert_eq!(
            same_host_on("127.0.0.1:8080", 8081),
            "http://127.0.0.1:8081"
        );
        assert_eq!(same_host_on("lab.local", 8081), "http://lab.local:8081");
        assert_eq!(same_host_on("[::1]:8080", 8081), "http://[::1]:8081");
        assert_eq!(same_host_on("[::1]", 8081), "http://[::1]:8081");
        assert_eq!(super::random_hex(16).len(), 32);
    }

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(hex(&bytes), "000fa5ff");
        assert_eq!(unhex("000fa5ff").as_deref(), Some(&bytes[..]));
        assert_eq!(unhex("000FA5FF").as_deref(), Some(&bytes[..]));
        assert_eq!(unhex("abc"), None, "odd length");
        assert_eq!(unhex("zz"), None, "not a digit");
        assert_eq!(unhex("+1"), None, "a sign is not a digit");
    }
}
