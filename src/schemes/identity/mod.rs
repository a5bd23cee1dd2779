//! The login flow the cookie and session rooms share: the same actix-identity handler code over
//! two session stores. The cookie room keeps the state in the signed cookie itself; the session
//! room keeps it in SQLite and the cookie carries only a key. What differs is the store and the
//! few facts [`Room`] names (cookie name, lifetime, whether key rotation or a password change
//! ends a login); the flow is one — that is the lesson.
//!
//! - `cookie_policy`: the one way both identity cookies are set, and the one middleware builder;
//! - `seal`: the cookie room's seal, which key rotation breaks;
//! - `signed_in`: the signed-in extractor and why a login is absent;
//! - `login`: the login, the username change and the redirects;
//! - `pages`: the pages each room renders, and the routes both mount;
//! - `replay`: the stolen-cookie replay lab.

mod cookie_policy;
mod login;
mod pages;
mod replay;
mod seal;
mod signed_in;

pub use cookie_policy::{CookiePolicy, session_middleware};
pub use login::{LoginForm, Refusal, change_username, login, me_json, safe_next, see_other};
pub use pages::{
    LandingQuery, LandingView, MeQuery, MeView, NoFields, RoomPages, UsernameForm, routes,
};
pub use replay::{ReplayRequest, check_cookie_value};
pub use signed_in::{Absent, MaybeSignedIn, RoomUser, SignedIn, signed_value};

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::schemes::scheme::Scheme;

/// Session-state key of the login: who, since when, and (sealed rooms) the seal. One entry, so a
/// request decodes one value besides actix-identity's user id.
const LOGIN: &str = "authlab.login";
/// The session-state key of the password version a login verified (rooms whose logins a password
/// change ends). A store writes the login only while the user's password is still at it.
pub const PASSWORD_VERSION: &str = "authlab.password_version";
/// Bytes of HMAC-SHA256 a seal keeps (128 bits, hex in the state).
const SEAL_BYTES: usize = 16;

/// What differs between the two rooms besides the store: names and lifetimes.
#[derive(Debug)]
pub struct Room {
    /// Which scheme this is.
    pub scheme: Scheme,
    /// The cookie carrying the state (cookie scheme) or the key (session scheme).
    pub cookie_name: &'static str,
    /// How the credential check reads in `Server-Timing`.
    pub auth_desc: &'static str,
    /// How long after login the identity ends, however busy it is.
    pub lifetime: fn(&Settings) -> Duration,
    /// Whether the login is sealed with the current cookie key, so that rotating that key
    /// ends every login of this room at once (the cookie room; sessions survive rotation).
    pub sealed: bool,
    /// Whether a password change ends this room's logins (the session room, whose logins the
    /// server holds). Its logins then carry the password version they verified, under
    /// [`PASSWORD_VERSION`], so that the store writes a login only while it is still current.
    pub ends_with_password_change: bool,
}

impl Room {
    /// The path of the room's protected page (`/cookie/me`, `/session/me`).
    pub fn me_path(&self) -> String {
        format!("{}/me", self.scheme.prefix())
    }

    /// The challenge sent with a 401 from this room's API.
    pub fn challenge(&self) -> &'static str {
        match self.scheme {
            Scheme::Session => "Session cookie=\"sessionid\"",
            _ => "Cookie cookie=\"authlab_cookie\"",
        }
    }
}

/// The user as the session state carries it: enough to answer `/api/me` without another query.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserCard {
    /// `users.id`.
    pub id: i64,
    /// `users.email`.
    pub email: String,
    /// `users.username` at login (or at the last change made through this room).
    pub username: String,
}

/// The login as the session state keeps it under [`LOGIN`].
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Login {
    /// Who.
    user: UserCard,
    /// Login time, lab clock, Unix seconds.
    issued_at: i64,
    /// The lab clock's era at login ([`crate::clock::Clock::era`]): a login that expired in an
    /// era since ended stays expired when the clock is put back.
    #[serde(default)]
    era: u64,
    /// Sealed rooms only: see [`seal`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seal: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::seal::{seal, seal_matches};
    use super::{SEAL_BYTES, safe_next};
    use actix_web::cookie::Key;

    #[test]
    fn a_seal_holds_only_for_its_login_under_its_key_and_whole() {
        let key = Key::from(&[7u8; 64]);
        let sealed = seal(&key, 1, 1_795_753_601);
        assert_eq!(sealed.len(), SEAL_BYTES * 2, "hex of {SEAL_BYTES} bytes");
        assert!(seal_matches(&key, 1, 1_795_753_601, &sealed));
        assert!(seal_matches(&key, 1, 1_795_753_601, &sealed.to_uppercase()));
        assert!(
            !seal_matches(&key, 2, 1_795_753_601, &sealed),
            "another user"
        );
        assert!(
            !seal_matches(&key, 1, 1_795_753_602, &sealed),
            "another login time"
        );
        assert!(
            !seal_matches(&Key::from(&[8u8; 64]), 1, 1_795_753_601, &sealed),
            "another key"
        );
        for cut in [0, 2, SEAL_BYTES] {
            assert!(
                !seal_matches(&key, 1, 1_795_753_601, &sealed[..cut]),
                "a prefix of {cut} digits"
            );
        }
        assert!(
            !seal_matches(&key, 1, 1_795_753_601, &format!("{sealed}00")),
            "too long"
        );
        assert!(!seal_matches(&key, 1, 1_795_753_601, "not hex"));
    }

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next("/cookie/me"), "/cookie/me");
        assert_eq!(safe_next("/users?new=1"), "/users?new=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "evil",
            "/a\\b",
            "/\tx",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
