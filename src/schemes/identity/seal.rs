//! The cookie room's seal: HMAC-SHA256 of the login under the cookie key, kept in the signed
//! state, so rotating the cookie key ends every cookie login at once.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::*;

/// HMAC-SHA256(cookie key, "user id:login time"), not yet finalized.
fn seal_mac(key: &actix_web::cookie::Key, user_id: i64, issued_at: i64) -> Hmac<Sha256> {
    use std::io::Write as _;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.signing())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    // Two i64s and a colon fit in 41 bytes: formatted on the stack, not allocated per request.
    let mut buf = [0u8; 41];
    let written = {
        let mut rest = &mut buf[..];
        let _ = write!(rest, "{user_id}:{issued_at}");
        41 - rest.len()
    };
    mac.update(&buf[..written]);
    mac
}

/// The seal a login carries: the first [`SEAL_BYTES`] of the HMAC, hex.
pub(super) fn seal(key: &actix_web::cookie::Key, user_id: i64, issued_at: i64) -> String {
    let tag = seal_mac(key, user_id, issued_at).finalize().into_bytes();
    crate::web::hex(&tag[..SEAL_BYTES])
}

/// Whether `stored` is the seal of this login under `key` (whole length, compared in constant time).
pub(super) fn seal_matches(
    key: &actix_web::cookie::Key,
    user_id: i64,
    issued_at: i64,
    stored: &str,
) -> bool {
    crate::web::unhex(stored)
        .filter(|tag| tag.len() == SEAL_BYTES)
        .is_some_and(|tag| {
            seal_mac(key, user_id, issued_at)
                .verify_truncated_left(&tag)
                .is_ok()
        })
}
