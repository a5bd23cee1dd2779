//! The `Scheme` enum: the four rooms' names, paths and colours. A leaf the rooms and pages import.

/// One of the four ways a server recognises a returning user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// A signed cookie: all state in the browser.
    Cookie,
    /// A server-side session: an opaque key in a cookie, state in the `sessions` table.
    Session,
    /// A DRF-style static token in the `Authorization` header, looked up on every request.
    Token,
    /// A JWT access/refresh pair: signed claims, checked without a lookup.
    Jwt,
}

impl Scheme {
    /// All four, in the order the pages show them.
    pub const ALL: [Scheme; 4] = [Scheme::Cookie, Scheme::Session, Scheme::Token, Scheme::Jwt];

    /// The slug used in paths, CSS classes and catalog keys.
    pub fn slug(self) -> &'static str {
        match self {
            Scheme::Cookie => "cookie",
            Scheme::Session => "session",
            Scheme::Token => "token",
            Scheme::Jwt => "jwt",
        }
    }

    /// The route prefix, e.g. `/cookie`.
    pub fn prefix(self) -> &'static str {
        match self {
            Scheme::Cookie => "/cookie",
            Scheme::Session => "/session",
            Scheme::Token => "/token",
            Scheme::Jwt => "/jwt",
        }
    }

    /// The scheme's colour on every page.
    pub fn colour(self) -> &'static str {
        match self {
            Scheme::Cookie => "#b45309",
            Scheme::Session => "#047857",
            Scheme::Token => "#1d4ed8",
            Scheme::Jwt => "#7e22ce",
        }
    }
}
