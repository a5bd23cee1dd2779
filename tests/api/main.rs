//! The integration suite in one test binary (one link instead of twelve): every module starts
//! the real server (`common`) on port 0 with a fresh SQLite file. Two suites keep their own
//! process: `browser.rs` (Chromium) and `load.rs`, which fills the process-wide password-hashing
//! pool on purpose and would turn every other test's logins away while it holds it.

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod challenges;
mod classroom;
mod compare;
mod config;
mod cookie;
mod i18n;
#[expect(
    clippy::type_complexity,
    reason = "the contract tables read best as one tuple per recorded case"
)]
mod jwt;
mod learner;
mod openapi;
mod pages;
mod reliability;
mod session;
#[expect(
    clippy::type_complexity,
    reason = "the contract tables read best as one tuple per recorded case"
)]
mod token;
mod wire;
