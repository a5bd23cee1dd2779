//! The one cookie policy of both rooms' identity cookies, read by the session middleware that
//! sets the cookie and by the "In your browser" panel that explains it — so the panel can never
//! describe a cookie other than the one the browser was given.

use actix_session::storage::SessionStore;
use actix_session::{SessionMiddleware, config::CookieContentSecurity, config::PersistentSession};
use actix_web::cookie::{SameSite, time};

use super::Room;
use crate::keys::Keys;
use crate::state::AppState;

/// How a room's identity cookie is set: signed (never encrypted, so the panel can show what it
/// says), HttpOnly, `SameSite=Lax`, `Path=/`, `Secure` over https, and `Max-Age` the room's
/// lifetime.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// `Secure`: only over https.
    pub secure: bool,
    /// `Max-Age` in seconds: the room's lifetime.
    pub max_age_secs: i64,
}

impl CookiePolicy {
    /// The policy of `room` under the server's settings.
    pub fn of(room: &Room, state: &AppState) -> Self {
        CookiePolicy {
            secure: state.settings.secure_cookies(),
            max_age_secs: (room.lifetime)(&state.settings).num_seconds(),
        }
    }

    /// The attributes as the browser panel lists them.
    pub fn attributes(&self) -> Vec<String> {
        let mut attributes = vec![
            "HttpOnly".to_owned(),
            "SameSite=Lax".to_owned(),
            "Path=/".to_owned(),
        ];
        if self.secure {
            attributes.push("Secure".into());
        }
        attributes.push(format!("Max-Age={}", self.max_age_secs));
        attributes
    }
}

/// The session middleware of `room` over `store`: the one builder both rooms mount (the store is
/// the only thing that differs), wrapped inside actix-identity's middleware by the room.
pub fn session_middleware<S: SessionStore>(
    room: &Room,
    store: S,
    state: &AppState,
) -> SessionMiddleware<S> {
    let policy = CookiePolicy::of(room, state);
    SessionMiddleware::builder(
        store,
        Keys::derive(&state.keys().cookie_signing, room.cookie_name),
    )
    .cookie_name(room.cookie_name.to_owned())
    .cookie_content_security(CookieContentSecurity::Signed)
    .cookie_secure(policy.secure)
    .cookie_http_only(true)
    .cookie_same_site(SameSite::Lax)
    .cookie_path("/".to_owned())
    .session_lifecycle(
        PersistentSession::default().session_ttl(time::Duration::seconds(policy.max_age_secs)),
    )
    .build()
}
