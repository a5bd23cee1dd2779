//! A browser the server drives itself, for the cross-scheme labs: it logs in to every scheme
//! through the real routes, keeps what each handed out, and replays it — so a lab's cells are
//! whatever the server actually answered, HttpOnly cookies included.

use serde_json::{Value, json};

use crate::state::AppState;
use crate::web::csrf::{self, CSRF_COOKIE};
use crate::web::error::AppError;
use crate::web::replay::{self, Replayed};

/// One scheme credential a lab replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// `authlab_cookie`.
    Cookie,
    /// `sessionid`.
    Session,
    /// The DRF key.
    Token,
    /// The JWT access token.
    JwtAccess,
    /// The JWT refresh token.
    JwtRefresh,
}

impl Column {
    /// The name the JSON and the page use.
    pub fn slug(self) -> &'static str {
        match self {
            Column::Cookie => "cookie",
            Column::Session => "session",
            Column::Token => "token",
            Column::JwtAccess => "jwt_access",
            Column::JwtRefresh => "jwt_refresh",
        }
    }

    /// The five, in the order the tables show them.
    pub const ALL: [Column; 5] = [
        Column::Cookie,
        Column::Session,
        Column::Token,
        Column::JwtAccess,
        Column::JwtRefresh,
    ];
}

/// Everything one login to each scheme handed out.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `authlab_cookie` value.
    pub cookie: String,
    /// `sessionid` value.
    pub session: String,
    /// DRF key.
    pub token: String,
    /// JWT access token.
    pub access: String,
    /// JWT refresh token.
    pub refresh: String,
}

/// A login the lab made: its answer when it succeeded (a 2xx, or the form's 303), else the refusal
/// passed on — 429 and 503 with their `Retry-After` — or a 500 for anything else.
fn logged_in(answer: anyhow::Result<Replayed>) -> Result<Replayed, AppError> {
    let answer = answer.map_err(AppError::Internal)?;
    let retry = |default: u64| answer.retry_after.unwrap_or(default);
    match answer.status {
        200..=299 | 303 => Ok(answer),
        429 => Err(AppError::Throttled(retry(60))),
        503 => Err(AppError::Busy(retry(
            crate::users::hashing::BUSY_RETRY_AFTER_SECS,
        ))),
        status => Err(AppError::Internal(anyhow::anyhow!(
            "the lab's own login answered {status}: {}",
            answer.body.chars().take(200).collect::<String>()
        ))),
    }
}

/// A server-driven client with its own CSRF seed.
pub struct Agent<'a> {
    state: &'a AppState,
    seed: String,
    token: String,
    target: std::net::SocketAddr,
}

impl<'a> Agent<'a> {
    /// A new client of this server.
    pub fn new(state: &'a AppState) -> Self {
        let (seed, token) = csrf::new_pair(&state.keys().csrf);
        Agent {
            state,
            seed,
            token,
            target: state.local_addr,
        }
    }

    /// The same client, sending to another server (the second-server lab; no forms there).
    pub fn toward(&self, target: std::net::SocketAddr) -> Agent<'a> {
        Agent {
            state: self.state,
            seed: self.seed.clone(),
            token: self.token.clone(),
            target,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> anyhow::Result<Replayed> {
        let headers = self.state.in_this_lab(headers);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        // A class running hashing-heavy labs at once fills the password-hashing places: the
        // lab's own login waits its turn (Retry-After) for up to a minute rather than failing.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let answer = replay::send(self.target, method, path, &headers, body).await?;
            if answer.status != 503 || std::time::Instant::now() >= deadline {
                return Ok(answer);
            }
            let wait = answer.retry_after.unwrap_or(1).clamp(1, 5);
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        }
    }

    /// Submits a CSRF-protected form, with these cookies besides the CSRF seed.
    pub async fn form(
        &self,
        path: &str,
        cookies: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<Replayed> {
        let mut all = vec![("csrf_token", self.token.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all)?;
        let cookie = if cookies.is_empty() {
            format!("{CSRF_COOKIE}={}", self.seed)
        } else {
            format!("{CSRF_COOKIE}={}; {cookies}", self.seed)
        };
        self.send(
            "POST",
            path,
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(&body),
        )
        .await
    }

    /// Sends JSON, with an optional `Authorization` header.
    pub async fn json(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<Replayed> {
        let text = body.to_string();
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(auth) = authorization {
            headers.push(("Authorization", auth));
        }
        self.send(method, path, &headers, Some(&text)).await
    }

    /// A GET with the given headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Replayed> {
        self.send("GET", path, headers, None).await
    }

    /// Logs in to all four schemes as `email`. A login the server refuses (throttled, or every
    /// hashing place taken) fails the whole lab with that refusal, rather than filling its cells
    /// with answers to credentials that were never handed out.
    pub async fn login_everywhere(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Credentials, AppError> {
        let form = [("email", email), ("password", password)];
        let cookie = logged_in(self.form("/cookie/login", "", &form).await)?;
        let session = logged_in(self.form("/session/login", "", &form).await)?;
        let token = logged_in(
            self.json(
                "POST",
                "/token/api/login",
                None,
                &json!({ "username": email, "password": password }),
            )
            .await,
        )?
        .json();
        let pair = logged_in(
            self.json(
                "POST",
                "/jwt/api/token",
                None,
                &json!({ "email": email, "password": password }),
            )
            .await,
        )?
        .json();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        Ok(Credentials {
            cookie: cookie
                .cookie("authlab_cookie")
                .unwrap_or_default()
                .to_owned(),
            session: session.cookie("sessionid").unwrap_or_default().to_owned(),
            token: text(&token["token"]),
            access: text(&pair["access"]),
            refresh: text(&pair["refresh"]),
        })
    }

    /// Replays one credential against its scheme's route (the refresh token against the refresh
    /// endpoint, where a replay is a real use).
    pub async fn replay(&self, column: Column, c: &Credentials) -> anyhow::Result<Replayed> {
        match column {
            Column::Cookie => {
                self.get(
                    "/cookie/api/me",
                    &[("Cookie", &format!("authlab_cookie={}", c.cookie))],
                )
                .await
            }
            Column::Session => {
                self.get(
                    "/session/api/me",
                    &[("Cookie", &format!("sessionid={}", c.session))],
                )
                .await
            }
            Column::Token => {
                self.get(
                    "/token/api/me",
                    &[("Authorization", &format!("Token {}", c.token))],
                )
                .await
            }
            Column::JwtAccess => {
                self.get(
                    "/jwt/api/me",
                    &[("Authorization", &format!("Bearer {}", c.access))],
                )
                .await
            }
            Column::JwtRefresh => {
                self.json(
                    "POST",
                    "/jwt/api/token/refresh",
                    None,
                    &json!({ "refresh": c.refresh }),
                )
                .await
            }
        }
    }

    /// Logs out of every scheme the way each one logs out.
    pub async fn logout_everywhere(&self, c: &Credentials) -> anyhow::Result<()> {
        self.form(
            "/cookie/logout",
            &format!("authlab_cookie={}", c.cookie),
            &[],
        )
        .await?;
        self.form("/session/logout", &format!("sessionid={}", c.session), &[])
            .await?;
        self.json(
            "POST",
            "/token/api/logout",
            Some(&format!("Token {}", c.token)),
            &json!({}),
        )
        .await?;
        self.json(
            "POST",
            "/jwt/api/token/blacklist",
            None,
            &json!({ "refresh": c.refresh }),
        )
        .await?;
        Ok(())
    }
}
