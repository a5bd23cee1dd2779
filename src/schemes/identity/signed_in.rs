//! [`SignedIn`]: a request whose room cookie carries a live login; [`Absent`]: why one does not.

use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::time::Instant;

use actix_identity::{Identity, IdentityExt};
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::*;
use crate::meter::Meter;
use crate::state::AppState;
use crate::web::error::AppError;

/// A request whose identity cookie (and, for sessions, its row) is valid and unexpired.
pub struct SignedIn {
    /// Who it is.
    pub user: UserCard,
    /// Login time, lab clock, Unix seconds.
    pub issued_at: i64,
    /// When this identity ends (lab clock, Unix seconds).
    pub expires_at: i64,
    era: u64,
    seal: Option<String>,
    identity: Identity,
    pub(super) session: Session,
}

/// [`SignedIn`] for pages of room `R` open to guests, and why there is none when a cookie was
/// sent. The room is part of the type: a handler of one room cannot read the other's login.
pub struct MaybeSignedIn<R>(pub Option<SignedIn>, Option<Absent>, PhantomData<fn() -> R>);

/// The signed-in user of room `R` (401 when there is none); the room is known at compile time.
pub struct RoomUser<R>(SignedIn, PhantomData<fn() -> R>);

impl<R> RoomUser<R> {
    /// The login this request carries, checked live and unexpired.
    pub fn signed_in(&self) -> &SignedIn {
        &self.0
    }
}

impl<R> MaybeSignedIn<R> {
    /// The `code` of the refusal when this room's cookie was sent but holds no usable login
    /// (`None` when someone is signed in, or when no cookie was sent).
    pub fn refused(&self) -> Option<&'static str> {
        self.1.and_then(Absent::code)
    }
}

/// Why a request carries no usable login: said in the 401 body (`detail`, and a `code` the
/// pages translate), so a learner whose copy was refused reads what happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// No cookie of this room was sent.
    NotProvided,
    /// The cookie was sent, but its signature was refused: it was edited, or signed with a key
    /// this server does not hold, so actix-session dropped it.
    SignatureRefused,
    /// The cookie was sent, but its session id is not on the server: logged out, revoked,
    /// swept or expired (the session room).
    UnknownSession,
    /// The cookie was sent and read, but it holds no login (a guest's session).
    NoLogin,
    /// The login was sealed with a cookie key that has since been rotated.
    KeyRotated,
    /// The login's lifetime has run out on the lab clock.
    Expired,
}

impl Absent {
    /// The `code` of the 401 body (`None`: the plain DRF answer, nothing was sent).
    pub fn code(self) -> Option<&'static str> {
        match self {
            Absent::NotProvided => None,
            Absent::SignatureRefused => Some("signature_refused"),
            Absent::UnknownSession => Some("unknown_session"),
            Absent::NoLogin => Some("no_login"),
            Absent::KeyRotated => Some("key_rotated"),
            Absent::Expired => Some("login_expired"),
        }
    }

    /// The `detail` of the 401 body, in English (pages translate the `code`).
    pub fn detail(self) -> &'static str {
        match self {
            Absent::NotProvided => "Authentication credentials were not provided.",
            Absent::SignatureRefused => {
                "The cookie's signature was refused: it was changed, or signed with another key."
            }
            Absent::UnknownSession => {
                "This session id is not on the server: it was logged out, revoked or has expired, or its account was deactivated."
            }
            Absent::NoLogin => "The cookie was read, but nobody is logged in with it.",
            Absent::KeyRotated => {
                "This login was sealed with a cookie key that has since been rotated."
            }
            Absent::Expired => "This login has expired.",
        }
    }

    /// The 401 this room answers with.
    fn into_error(self, challenge: &'static str) -> AppError {
        match self.code() {
            None => AppError::unauthorized(self.detail(), challenge),
            Some(code) => AppError::Unauthorized {
                body: serde_json::json!({ "detail": self.detail(), "code": code }),
                challenge,
            },
        }
    }
}

impl SignedIn {
    /// Reads and checks the identity of `room`; an expired one is logged out (its cookie
    /// removed). When there is no usable login, says why.
    fn read(req: &HttpRequest, room: &'static Room) -> Result<SignedIn, Absent> {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Err(Absent::NotProvided);
        };
        let started = Instant::now();
        let signed_in = Self::check(req, room, state);
        Meter::current().add_auth(started.elapsed(), room.auth_desc);
        signed_in
    }

    fn check(req: &HttpRequest, room: &Room, state: &AppState) -> Result<SignedIn, Absent> {
        if req.cookie(room.cookie_name).is_none() {
            return Err(Absent::NotProvided);
        }
        let session = req.get_session();
        let Some(login) = session.get::<Login>(LOGIN).ok().flatten() else {
            // actix-session hands over an empty state for a cookie it could not use: either its
            // signature failed, or (sessions) its key names no live row.
            return Err(if !session.entries().is_empty() {
                Absent::NoLogin
            } else if signed_value(req, room, state).is_none() {
                Absent::SignatureRefused
            } else if room.sealed {
                Absent::NoLogin
            } else {
                Absent::UnknownSession
            });
        };
        let identity = req.get_identity().map_err(|_| Absent::NoLogin)?;
        Self::holds(room, state, &identity, &login)?;
        let expires_at = login.issued_at + (room.lifetime)(&state.settings).num_seconds();
        // Expired now, or at some moment the lab clock already reached before it was put back.
        let passed = state.clock.passed_since(login.era).unwrap_or(i64::MIN);
        if state.clock.unix().max(passed) >= expires_at {
            identity.logout();
            return Err(Absent::Expired);
        }
        Ok(SignedIn {
            user: login.user,
            issued_at: login.issued_at,
            era: login.era,
            expires_at,
            seal: login.seal,
            identity,
            session,
        })
    }

    /// Whether `login` belongs to `identity` ([`Absent::NoLogin`] if not) and, in a sealed room,
    /// carries the seal of the cookie key in force ([`Absent::KeyRotated`] if not).
    fn holds(
        room: &Room,
        state: &AppState,
        identity: &Identity,
        login: &Login,
    ) -> Result<(), Absent> {
        let id_matches =
            identity.id().ok().and_then(|id| id.parse::<i64>().ok()) == Some(login.user.id);
        if !id_matches {
            return Err(Absent::NoLogin);
        }
        let sealed = !room.sealed
            || login.seal.as_deref().is_some_and(|stored| {
                super::seal::seal_matches(
                    &state.keys().login_seal,
                    login.user.id,
                    login.issued_at,
                    stored,
                )
            });
        if sealed {
            Ok(())
        } else {
            Err(Absent::KeyRotated)
        }
    }

    /// The login as the state keeps it, with `user` in place of the card.
    pub(super) fn login_with(&self, user: UserCard) -> Login {
        Login {
            user,
            issued_at: self.issued_at,
            era: self.era,
            seal: self.seal.clone(),
        }
    }

    /// The session this identity lives in.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Ends the identity: the session is purged and the cookie removed (`Max-Age=0`).
    pub fn logout(self) {
        self.identity.logout();
    }
}

impl<R: RoomPages> FromRequest for RoomUser<R> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            SignedIn::read(req, R::ROOM)
                .map(|signed_in| RoomUser(signed_in, PhantomData))
                .map_err(|why| why.into_error(R::ROOM.challenge())),
        )
    }
}

impl<R: RoomPages> FromRequest for MaybeSignedIn<R> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(match SignedIn::read(req, R::ROOM) {
            Ok(signed_in) => MaybeSignedIn(Some(signed_in), None, PhantomData),
            Err(why) => MaybeSignedIn(None, Some(why), PhantomData),
        }))
    }
}

/// The value inside the room cookie this request sent, when its signature holds (the key is
/// derived for the cookie's name from the never-rotated signing key); `None` otherwise.
pub fn signed_value(req: &HttpRequest, room: &Room, state: &AppState) -> Option<String> {
    let cookie = req.cookie(room.cookie_name)?;
    let mut jar = actix_web::cookie::CookieJar::new();
    jar.add_original(cookie);
    jar.signed(&crate::keys::Keys::derive(
        &state.keys().cookie_signing,
        room.cookie_name,
    ))
    .get(room.cookie_name)
    .map(|c| c.value().to_owned())
}
