//! What the server keeps per logged-in user, scheme by scheme (claim 10, on the compare page): a
//! throwaway user logs in N times (N chosen by the learner) as N devices would, with real HTTP
//! logins, and after each login the rows and bytes each scheme keeps are counted.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::Db;
use crate::pages::labs::agent::Agent;
use crate::pages::labs::matrix::{forget, throwaway};
use crate::schemes::{jwt, session, token};
use crate::state::AppState;
use crate::web::error::AppError;

/// The most logins one run makes (each is four real logins, each hashing a password).
pub const MAX_LOGINS: u32 = 10;

/// `{"logins": 5}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptRequest {
    logins: u32,
}

/// Rows and bytes one scheme keeps on the server.
#[derive(Debug, Serialize)]
struct Kept {
    rows: i64,
    bytes: i64,
}

/// After `logins` logins: what each scheme keeps on the server, and what the browser holds.
#[derive(Debug, Serialize)]
struct Step {
    logins: u32,
    cookie: Kept,
    session: Kept,
    token: Kept,
    jwt: Kept,
    /// Bytes of the signed cookie the browser holds instead.
    cookie_in_browser: usize,
}

/// `POST /lab/kept` `{"logins": N}`: N logins of one throwaway user to all four schemes, counted
/// after each; the user and everything it held are deleted afterwards.
pub async fn kept(
    db: Db,
    state: web::Data<AppState>,
    body: web::Json<KeptRequest>,
) -> Result<HttpResponse, AppError> {
    let logins = body.logins;
    if !(1..=MAX_LOGINS).contains(&logins) {
        return Err(AppError::Invalid(json!({
            "logins": [format!("Ask for 1 to {MAX_LOGINS} logins.")]
        })));
    }
    // A second press in the same lab waits for the first; other labs run beside it (the
    // password-hashing pool bounds the work, and queues what it cannot take at once).
    let _running = state.one_run.lock().await;
    let user = throwaway(&db, &state, "kept").await?;
    let agent = Agent::new(&state);
    let steps = async {
        let mut steps = Vec::new();
        for n in 1..=logins {
            let credentials = agent.login_everywhere(&user.email, &user.password).await?;
            let id = user.id;
            let (session, token, jwt) = db
                .read(move |c| -> rusqlite::Result<_> {
                    Ok((
                        session::store::kept_for_user(c, id)?,
                        token::store::kept_for_user(c, id)?,
                        jwt::store::kept_for_user(c, id)?,
                    ))
                })
                .await??;
            let kept = |(rows, bytes): (i64, i64)| Kept { rows, bytes };
            steps.push(Step {
                logins: n,
                cookie: Kept { rows: 0, bytes: 0 },
                session: kept(session),
                token: kept(token),
                jwt: kept(jwt),
                cookie_in_browser: credentials.cookie.len(),
            });
        }
        Ok::<_, AppError>(steps)
    }
    .await;
    forget(&db, &user).await?;
    Ok(HttpResponse::Ok().json(json!({ "steps": steps? })))
}
