//! What every route shares: errors, CSRF, security headers, `Server-Timing`, the page context.

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

/// The lab actions under a scheme that take and answer JSON; the scheme's other lab routes are
/// pages and forms.
const SCHEME_JSON_LABS: [&str; 7] = [
    "/cookie/lab/size",
    "/cookie/lab/size/clear",
    "/cookie/lab/replay",
    "/session/lab/load",
    "/session/lab/load/clear",
    "/session/lab/load/measure",
    "/session/lab/replay",
];

/// Whether a path answers JSON rather than HTML: the `/…/api/` routes, the lab actions and `/healthz`.
pub fn is_api_path(path: &str) -> bool {
    path.contains("/api/")
        || path.ends_with("/api")
        || path.starts_with("/lab/")
        || path == "/lab"
        || path == "/healthz"
        || SCHEME_JSON_LABS.contains(&path)
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
