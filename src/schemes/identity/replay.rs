//! The stolen-cookie lab: a copied cookie value, checked and replayed against the room's own
//! `/api/me` from the server itself.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::*;
use crate::state::AppState;
use crate::web::error::AppError;

/// A copied cookie value to replay (the stolen-credential labs).
#[derive(Debug, Deserialize)]
pub struct ReplayRequest {
    cookie: String,
}

/// Checks a copied cookie value: printable ASCII without the characters a cookie cannot hold.
pub fn check_cookie_value(value: &str) -> Result<&str, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::BadRequest("The cookie value is empty.".into()));
    }
    if value.len() > 8192 {
        return Err(AppError::BadRequest(
            "The cookie value is longer than 8192 bytes.".into(),
        ));
    }
    if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(AppError::BadRequest(
            "A cookie value can only hold printable ASCII: no accented letters, emoji or control characters."
                .into(),
        ));
    }
    let allowed = |b: u8| b != b' ' && !matches!(b, b'"' | b',' | b';' | b'\\');
    if !value.bytes().all(allowed) {
        return Err(AppError::BadRequest(
            "A cookie value cannot contain spaces, quotes, commas, semicolons or backslashes."
                .into(),
        ));
    }
    Ok(value)
}

/// `POST <room>/lab/replay`: sends `GET <room>/api/me` carrying only the copied cookie, from the
/// server itself (an HttpOnly cookie cannot be sent by page script), and reports the real answer.
pub(super) async fn replay<P: RoomPages>(
    state: web::Data<AppState>,
    body: web::Json<ReplayRequest>,
) -> Result<HttpResponse, AppError> {
    let value = check_cookie_value(&body.cookie)?;
    let cookie = format!("{}={value}", P::ROOM.cookie_name);
    let path = format!("{}/api/me", P::ROOM.scheme.prefix());
    let headers = state.in_this_lab(&[("Cookie", &cookie)]);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let answer = crate::web::replay::send(state.local_addr, "GET", &path, &headers, None)
        .await
        .map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok().json(answer))
}
