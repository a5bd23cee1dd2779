//! authlab: a cookie, a server-side session, a DRF-style token and a JWT pair, side by side,
//! each with pages that show what the browser holds, what crosses the wire and what the server keeps.

rust_i18n::i18n!("locales", fallback = "en");

pub mod challenges;
pub mod classroom;
pub mod clock;
pub mod config;
pub mod db;
pub mod i18n;
pub mod keys;
pub mod meter;
pub mod pages;
pub mod schemes;
pub mod startup;
pub mod state;
pub mod users;
pub mod web;
