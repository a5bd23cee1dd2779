//! `/users`: the `users` table as the server holds it — timestamps, flags and the hash parameters.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::db::Db;
use crate::users::{self, User};
use crate::web::error::AppError;
use crate::web::page::PageCtx;

/// `?new=<id>` highlights the row just created.
#[derive(Debug, Deserialize)]
pub struct Highlight {
    new: Option<i64>,
}

/// `GET /users`.
#[derive(Template, WebTemplate)]
#[template(path = "users/list.html")]
pub struct UsersPage {
    ctx: PageCtx,
    users: Vec<User>,
    highlight: i64,
}

/// `GET /users`: every row of the `users` table.
pub async fn list(
    ctx: PageCtx,
    db: Db,
    query: Option<web::Query<Highlight>>,
) -> Result<UsersPage, AppError> {
    let users = db.run(users::all).await??;
    Ok(UsersPage {
        ctx,
        users,
        highlight: query.and_then(|q| q.new).unwrap_or(0),
    })
}
