//! The cross-scheme labs: the replay matrix (which credentials survive which event) and two
//! devices per scheme (the second server is in `second_server`). Each run uses throwaway users,
//! so the demo accounts stay as they are, and every cell is what a server really answered.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::Db;
use crate::pages::labs::agent::{Agent, Column, Credentials};
use crate::state::AppState;
use crate::users::auth::hash_password;
use crate::users::{self, Email, NewUser};
use crate::web::error::AppError;

/// The events of the matrix, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Each scheme's own logout.
    Logout,
    /// The lab clock moves 10 minutes.
    Clock10m,
    /// The lab clock moves a day.
    Clock1d,
    /// The password changes through `/account/password`.
    PasswordChange,
    /// The cookie key and JWT secret are replaced.
    KeyRotation,
}

impl Event {
    /// The name the JSON and the page use.
    pub fn slug(self) -> &'static str {
        match self {
            Event::Logout => "logout",
            Event::Clock10m => "clock10m",
            Event::Clock1d => "clock1d",
            Event::PasswordChange => "password_change",
            Event::KeyRotation => "key_rotation",
        }
    }

    /// All five, in the order the table shows them.
    pub const ALL: [Event; 5] = [
        Event::Logout,
        Event::Clock10m,
        Event::Clock1d,
        Event::PasswordChange,
        Event::KeyRotation,
    ];
}

/// What the server answered to one replay.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The credential replayed.
    pub column: Column,
    /// Whether it was accepted (2xx).
    pub accepted: bool,
    /// The status.
    pub status: u16,
    /// The body's `detail`, or a short body.
    pub answer: String,
    /// The refusal's `code`, when the body names one (pages say what it means).
    pub code: Option<String>,
}

/// One event's row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The event.
    pub event: Event,
    /// Whether it ran (key rotation can be left out).
    pub ran: bool,
    /// The five cells.
    pub cells: Vec<Cell>,
}

/// Options of a matrix run.
#[derive(Debug, Default, Deserialize)]
pub struct MatrixRequest {
    /// Run the key-rotation row too (it logs every cookie and JWT user out).
    #[serde(default)]
    pub rotate_keys: bool,
}

/// A throwaway user and its password.
pub(crate) struct Throwaway {
    /// Its `users.id`.
    pub id: i64,
    /// Its address (`…@authlab.invalid`).
    pub email: String,
    /// Its password.
    pub password: String,
}

pub(crate) async fn throwaway(
    db: &Db,
    state: &AppState,
    label: &str,
) -> Result<Throwaway, AppError> {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    let tag = crate::web::hex(&bytes);
    let email = format!("{label}-{tag}@authlab.invalid");
    let password = format!("pw-{tag}-{tag}");
    let hash = hash_password(password.clone()).await?;
    let new = NewUser {
        email: Email::parse(&email).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?,
        username: label.to_owned(),
        password_hash: hash,
        is_active: true,
    };
    let now = state.clock.now();
    let user = db
        .run(move |c| users::insert(c, &new, now))
        .await?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(Throwaway {
        id: user.id,
        email,
        password,
    })
}

pub(crate) async fn forget(db: &Db, user: &Throwaway) -> Result<(), AppError> {
    let id = user.id;
    db.run(move |c| users::delete(c, id)).await??;
    Ok(())
}

/// What the server answered to one replayed credential, as a cell of the page.
pub(crate) fn cell(column: Column, answer: &crate::web::replay::Replayed) -> Cell {
    let json = answer.json();
    let text = json
        .get("detail")
        .and_then(|d| d.as_str())
        .map(str::to_owned)
        .or_else(|| {
            json.get("email")
                .and_then(|e| e.as_str())
                .map(str::to_owned)
        })
        .or_else(|| {
            json.get("access")
                .map(|_| "{\"access\", \"refresh\"}".to_owned())
        })
        .unwrap_or_else(|| answer.body.chars().take(80).collect());
    Cell {
        column,
        accepted: answer.accepted(),
        status: answer.status,
        answer: text,
        code: json.get("code").and_then(|c| c.as_str()).map(str::to_owned),
    }
}

async fn replay_all(agent: &Agent<'_>, creds: &Credentials) -> Result<Vec<Cell>, AppError> {
    let mut cells = Vec::new();
    for column in Column::ALL {
        let answer = agent
            .replay(column, creds)
            .await
            .map_err(AppError::Internal)?;
        cells.push(cell(column, &answer));
    }
    Ok(cells)
}

async fn run_event(
    agent: &Agent<'_>,
    db: &Db,
    state: &AppState,
    event: Event,
) -> Result<Row, AppError> {
    let user = throwaway(db, state, "matrix").await?;
    let creds = match agent.login_everywhere(&user.email, &user.password).await {
        Ok(creds) => creds,
        Err(refused) => {
            forget(db, &user).await?;
            return Err(refused);
        }
    };
    // The clock rows move the shared lab clock and undo exactly their own move afterwards.
    let moved = match event {
        Event::Clock10m => Duration::minutes(10),
        Event::Clock1d => Duration::days(1),
        _ => Duration::zero(),
    };
    let advanced = state.clock.advance(moved);
    let outcome = async {
        advanced.map_err(|e| AppError::BadRequest(e.to_string()))?;
        match event {
            Event::Logout => agent
                .logout_everywhere(&creds)
                .await
                .map_err(AppError::Internal)?,
            Event::Clock10m | Event::Clock1d => {}
            Event::PasswordChange => {
                let new_password = format!("{}-new", user.password);
                agent
                    .form(
                        "/account/password",
                        "",
                        &[
                            ("email", &user.email),
                            ("current_password", &user.password),
                            ("new_password", &new_password),
                        ],
                    )
                    .await
                    .map_err(AppError::Internal)?;
            }
            Event::KeyRotation => {
                agent
                    .json("POST", "/lab/rotate-keys", None, &json!({}))
                    .await
                    .map_err(AppError::Internal)?;
            }
        }
        replay_all(agent, &creds).await
    }
    .await;
    if advanced.is_ok() {
        state.clock.rewind(moved);
    }
    forget(db, &user).await?;
    Ok(Row {
        event,
        ran: true,
        cells: outcome?,
    })
}

/// `POST /lab/matrix`: for each event, fresh credentials from every scheme, the event, then a
/// replay of each — what survives and what does not.
pub async fn matrix(
    db: Db,
    state: web::Data<AppState>,
    body: web::Json<MatrixRequest>,
) -> Result<HttpResponse, AppError> {
    // One run at a time per lab: each moves the lab's clock and puts it back.
    let _one_at_a_time = state.one_run.lock().await;
    let rotate = body.rotate_keys;
    let agent = Agent::new(&state);
    let mut rows = Vec::new();
    for event in Event::ALL {
        if event == Event::KeyRotation && !rotate {
            rows.push(Row {
                event,
                ran: false,
                cells: Vec::new(),
            });
            continue;
        }
        rows.push(run_event(&agent, &db, &state, event).await?);
    }
    Ok(HttpResponse::Ok().json(json!({ "columns": Column::ALL, "rows": rows })))
}

/// `POST /lab/two-devices`: logs a throwaway user in twice per scheme, shows what the server
/// keeps, logs the first device out and asks with the second.
pub async fn two_devices(
    db: Db,
    state: web::Data<AppState>,
    _json_only: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let user = throwaway(&db, &state, "devices").await?;
    let agent = Agent::new(&state);
    let result = async {
        let first = agent.login_everywhere(&user.email, &user.password).await?;
        let second = agent.login_everywhere(&user.email, &user.password).await?;
        let id = user.id;
        let (sessions, tokens, families): (i64, i64, i64) = db
            .run(move |c| {
                Ok::<_, rusqlite::Error>((
                    crate::schemes::session::store::kept_for_user(c, id)?.0,
                    crate::schemes::token::store::kept_for_user(c, id)?.0,
                    crate::schemes::jwt::store::families_of_user(c, id)?,
                ))
            })
            .await??;
        agent
            .logout_everywhere(&first)
            .await
            .map_err(AppError::Internal)?;
        let (mut first_after, mut after) = (Vec::new(), Vec::new());
        for column in Column::ALL {
            for (creds, cells) in [(&first, &mut first_after), (&second, &mut after)] {
                let answer = agent
                    .replay(column, creds)
                    .await
                    .map_err(AppError::Internal)?;
                cells.push(cell(column, &answer));
            }
        }
        Ok::<_, AppError>(json!({
            "server": {
                "cookie_rows": 0,
                "session_rows": sessions,
                "token_rows": tokens,
                "same_token": first.token == second.token,
                "jwt_families": families,
            },
            "first_device_replayed_after_logout": first_after,
            "second_device_after_first_logs_out": after,
        }))
    }
    .await;
    forget(&db, &user).await?;
    Ok(HttpResponse::Ok().json(result?))
}
