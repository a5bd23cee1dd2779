//! The user as every group's `/api/me` shows it, and the username change the token and JWT
//! groups share (`PATCH …/api/me`).

use actix_web::HttpResponse;
use serde_json::json;

use crate::db::Db;
use crate::startup::AppState;
use crate::users::{self, Account};
use crate::web::drf::{DrfData, Trim};
use crate::web::error::AppError;

/// `{"id", "email", "username"}`: the contract's shape, the same in all four groups.
pub fn me_response(id: i64, email: &str, username: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json!({ "id": id, "email": email, "username": username }).to_string())
}

/// [`me_response`] for an authenticated account.
pub fn user_json(user: &Account) -> HttpResponse {
    me_response(user.id, &user.email, &user.username)
}

/// `PATCH …/api/me` `{"username": …}`: validates, saves (moving `updated_at`), answers the user.
pub async fn patch_username(
    account: Account,
    db: &Db,
    state: &AppState,
    data: &DrfData,
) -> Result<HttpResponse, AppError> {
    let [raw] = data.char_fields([("username", Trim::Yes)])?;
    let username = users::validate_username(&raw)
        .map_err(|e| AppError::Invalid(json!({ "username": [e.to_string()] })))?;
    let now = state.clock.now();
    let name = username.clone();
    let id = account.id;
    if !db.run(move |c| users::rename(c, id, &name, now)).await?? {
        return Err(AppError::NotFound);
    }
    Ok(me_response(account.id, &account.email, &username))
}
