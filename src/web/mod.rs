//! What every route shares: errors, CSRF, security headers, `Server-Timing`, the page context.

pub mod csrf;
pub mod drf;
pub mod error;
pub mod page;
pub mod replay;
pub mod security;
pub mod timing;

/// Whether a path answers JSON rather than HTML: the `/…/api/` routes, the lab actions and `/healthz`.
pub fn is_api_path(path: &str) -> bool {
    path.contains("/api/")
        || path.ends_with("/api")
        || path.starts_with("/lab/")
        || path == "/lab"
        || path == "/healthz"
}

/// Bytes as lowercase hex (keys, jti, seals).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
