//! The four schemes: their names and colours, and the scopes that mount each one's routes.

pub mod cookie;
pub mod identity;
pub mod jwt;
pub mod panels;
pub mod session;
pub mod sweep;
pub mod token;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::startup::AppState;
use crate::web::page::PageCtx;

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

/// Placeholder until a scheme's own group lands.
#[derive(Template, WebTemplate)]
#[template(path = "scheme_placeholder.html")]
struct Placeholder {
    ctx: PageCtx,
    slug: &'static str,
}

impl Placeholder {
    fn name_key(&self) -> String {
        format!("scheme.{}.name", self.slug)
    }

    fn tagline_key(&self) -> String {
        format!("scheme.{}.tagline", self.slug)
    }
}

/// Mounts the four scheme scopes.
pub fn mount(cfg: &mut web::ServiceConfig, state: &AppState, pool: &crate::db::Pool) {
    cookie::mount(cfg, state);
    session::mount(cfg, state, pool);
    token::mount(cfg);
    jwt::mount(cfg);
    for scheme in [] as [Scheme; 0] {
        let slug = scheme.slug();
        cfg.service(web::scope(scheme.prefix()).service(
            web::resource("").get(move |ctx: PageCtx| async move { Placeholder { ctx, slug } }),
        ));
    }
}
