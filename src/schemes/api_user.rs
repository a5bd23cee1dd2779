//! The `/api/me` resource the rooms share: the user as every group's `/api/me` shows it, and
//! the username change the token and JWT groups share (`PATCH …/api/me`).

use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::json;

use crate::db::Db;
use crate::state::AppState;
use crate::users::{self, Account};
use crate::web::drf::{DrfData, Trim, json_ok};
use crate::web::error::AppError;

/// `{"id", "email", "username"}`: the contract's shape, the same in all four groups.
pub fn me_response(id: i64, email: &str, username: &str) -> HttpResponse {
    /// Serialized in this field order, which is the contract's.
    #[derive(Serialize)]
    struct Me<'a> {
        id: i64,
        email: &'a str,
        username: &'a str,
    }
    json_ok(Me {
        id,
        email,
        username,
    })
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
