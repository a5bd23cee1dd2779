//! Test harness: the real server on port 0 with a fresh SQLite file, and a browser-like client.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the shared helpers"
)]

use std::path::{Path, PathBuf};

use actix_web::web;
use authlab::config::Settings;
use authlab::startup::Application;
use authlab::state::AppState;
use reqwest::header::HeaderMap;
use reqwest::{Client, Response, StatusCode, redirect};
use serde_json::Value;
use tempfile::TempDir;

/// One of the demo users, with the password that logs in.
#[derive(Clone, Copy, Debug)]
pub struct TestUser {
    pub id: i64,
    pub email: &'static str,
    pub username: &'static str,
    pub password: &'static str,
}

impl TestUser {
    /// alice: active. The demo users' addresses and passwords come from the one list the
    /// server seeds them from (`authlab::users::demo::DEMO_USERS`).
    pub const ALICE: TestUser = TestUser::demo(0, 1);
    /// bob: active.
    pub const BOB: TestUser = TestUser::demo(1, 2);
    /// carol: inactive, so every login is refused.
    pub const CAROL: TestUser = TestUser::demo(2, 3);

    const fn demo(index: usize, id: i64) -> TestUser {
        let (email, username, password, _active) = authlab::users::demo::DEMO_USERS[index];
        TestUser {
            id,
            email,
            username,
            password,
        }
    }
}

/// A JSON login body for `user`: `{"<field>": email, "password": …}` (`field` is `username`
/// for the DRF login, `email` for simplejwt's).
pub fn login_body(field: &str, user: &TestUser) -> String {
    let mut body = serde_json::Map::new();
    body.insert(field.to_owned(), user.email.into());
    body.insert("password".to_owned(), user.password.into());
    serde_json::Value::Object(body).to_string()
}

/// A running authlab and a client with its own cookie jar (one browser).
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub state: web::Data<AppState>,
    pub classroom: web::Data<authlab::classroom::Classroom>,
    pub client: Client,
    pub db_path: PathBuf,
    handle: actix_web::dev::ServerHandle,
    _dir: Option<TempDir>,
}

/// Starts authlab with default settings on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts authlab on a fresh database after `adjust` has changed the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db_path = dir.path().join("authlab.sqlite3");
    let mut app = spawn_app_on(&db_path, adjust).await;
    app._dir = Some(dir);
    app
}

/// Starts authlab on an existing database file (a "restart").
pub async fn spawn_app_on(db_path: &Path, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::for_tests(db_path);
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    let port = app.port();
    let state = app.state();
    let classroom = app.classroom();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        state,
        classroom,
        client: browser(),
        db_path: db_path.to_owned(),
        handle,
        _dir: None,
    }
}

/// A client that keeps cookies like a browser and does not follow redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("a client")
}

impl TestApp {
    /// Another browser (its own cookie jar) on the same running server.
    pub fn same_server(app: &TestApp, client: Client) -> TestApp {
        TestApp {
            address: app.address.clone(),
            port: app.port,
            state: app.state.clone(),
            classroom: app.classroom.clone(),
            client,
            db_path: app.db_path.clone(),
            handle: app.handle.clone(),
            _dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stops the server (its database file stays).
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// GETs a page and returns its status and HTML.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.expect("a body"))
    }

    /// The CSRF token the form on `path` carries, for this client's browser.
    pub async fn csrf_token(&self, path: &str) -> String {
        let (_, html) = self.page(path).await;
        csrf_from_html(&html).expect("the page has a csrf_token field")
    }

    /// Submits a form on `form_page`'s behalf: fetches its CSRF token, then posts `fields` to `action`.
    pub async fn submit_form(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let token = self.csrf_token(form_page).await;
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        self.client
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .expect("request sent")
    }

    /// Posts a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Moves the lab clock forward, e.g. `"10m"`.
    pub async fn advance_clock(&self, by: &str) {
        let res = self
            .post_json("/lab/clock", &serde_json::json!({ "advance": by }))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "the lab clock moved");
    }

    /// The number of rows in the `users` table.
    pub fn user_count(&self) -> i64 {
        let conn = rusqlite::Connection::open(&self.db_path).expect("db opens");
        conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .expect("count")
    }
}

/// Reads the value of the first `csrf_token` hidden field in a page.
pub fn csrf_from_html(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The number of queries a response's `Server-Timing` header reports.
pub fn queries(headers: &HeaderMap) -> u32 {
    let timing = headers
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .expect("a Server-Timing header");
    let db = timing
        .split(',')
        .map(str::trim)
        .find(|part| part.starts_with("db;"))
        .expect("a db entry");
    let desc = db.split("desc=\"").nth(1).expect("a desc");
    desc.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// The `Set-Cookie` header for cookie `name`, if the response set it.
pub fn set_cookie(res: &Response, name: &str) -> Option<String> {
    set_cookies(res)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

/// The value a `Set-Cookie` header gives its cookie.
pub fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    pair.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// A client with no cookie jar: every request carries exactly the headers a test gives it.
pub fn bare_client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("a client")
}

impl TestApp {
    /// Logs this client's browser in through the cookie scheme's form.
    pub async fn cookie_login(&self, user: &TestUser) -> Response {
        self.submit_form(
            "/cookie",
            "/cookie/login",
            &[("email", user.email), ("password", user.password)],
        )
        .await
    }

    /// GETs `path` with only the given `Cookie:` header (a copied cookie, replayed by someone else).
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> Response {
        bare_client()
            .get(self.url(path))
            .header("Cookie", cookie)
            .send()
            .await
            .expect("request sent")
    }

    /// Runs one SQL query against the app's database file.
    pub fn query_one<T: rusqlite::types::FromSql>(&self, sql: &str) -> T {
        let conn = rusqlite::Connection::open(&self.db_path).expect("db opens");
        conn.query_row(sql, [], |r| r.get(0)).expect("a row")
    }
}

impl TestApp {
    /// Logs this client's browser in through the session scheme's form.
    pub async fn session_login(&self, user: &TestUser) -> Response {
        self.submit_form(
            "/session",
            "/session/login",
            &[("email", user.email), ("password", user.password)],
        )
        .await
    }
}

/// The session key inside a signed `sessionid` cookie value (after the 44-character signature).
pub fn session_key_of(cookie_value: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(cookie_value)
        .decode_utf8_lossy()
        .into_owned();
    decoded.get(44..).unwrap_or_default().to_owned()
}

/// A request body for the DRF-style APIs.
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    /// No body.
    None,
    /// `application/json` with this exact text.
    Json(&'a str),
    /// `application/x-www-form-urlencoded` with these fields.
    Form(&'a [(&'a str, &'a str)]),
    /// Another media type and its text.
    Other(&'a str, &'a str),
}

/// What an API answered: status, `Content-Type`, `WWW-Authenticate` and the body as JSON (or text).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub server_timing: String,
    pub allow: Option<String>,
    pub json: serde_json::Value,
    pub text: String,
}

/// Asserts one recorded contract case: status, `Content-Type: application/json`, the
/// `WWW-Authenticate` challenge (or none), the exact JSON body, byte for byte as DRF's compact
/// renderer writes it (the same keys in the same order, no spaces), and `Allow` on a 405.
pub fn assert_answer(case: &str, got: &Answer, status: u16, www: Option<&str>, body: &Value) {
    assert_eq!(got.status, status, "{case}: status ({})", got.text);
    assert_eq!(got.content_type, "application/json", "{case}: content type");
    assert_eq!(
        got.www_authenticate.as_deref(),
        www,
        "{case}: WWW-Authenticate"
    );
    assert_eq!(&got.json, body, "{case}: body");
    assert_eq!(
        got.text,
        body.to_string(),
        "{case}: body bytes and key order"
    );
    if status == 405 {
        assert!(
            got.allow.as_deref().is_some_and(|allow| !allow.is_empty()),
            "{case}: a 405 names the methods the route takes (Allow)"
        );
    }
}

impl TestApp {
    /// Asserts that a form POST to `path` is refused with 403 both without a CSRF token and, with
    /// the token `form_page` carries, from another site's `Origin`.
    pub async fn assert_csrf_refused(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) {
        let res = self
            .client
            .post(self.url(path))
            .form(&fields)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} without a token"
        );
        let token = self.csrf_token(form_page).await;
        let mut with_token = vec![("csrf_token", token.as_str())];
        with_token.extend_from_slice(fields);
        let res = self
            .client
            .post(self.url(path))
            .header("Origin", "https://evil.example")
            .form(&with_token)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} from another site"
        );
    }

    /// `POST /jwt/api/token` as `user`, from a client without cookies.
    pub async fn jwt_login(&self, user: &TestUser) -> Answer {
        let body = serde_json::json!({"email": user.email, "password": user.password}).to_string();
        self.api("POST", "/jwt/api/token", None, Body::Json(&body))
            .await
    }

    /// `POST /jwt/api/token/refresh` with `refresh`, from a client without cookies.
    pub async fn jwt_refresh(&self, refresh: &str) -> Answer {
        let body = serde_json::json!({ "refresh": refresh }).to_string();
        self.api("POST", "/jwt/api/token/refresh", None, Body::Json(&body))
            .await
    }

    /// Sends one API request with an optional raw `Authorization` header, from a client without cookies.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&[u8]>,
        body: Body<'_>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = bare_client().request(method, self.url(path));
        if let Some(raw) = authorization {
            let value = reqwest::header::HeaderValue::from_bytes(raw).expect("a header value");
            request = request.header("Authorization", value);
        }
        request = match body {
            Body::None => request,
            Body::Json(text) => request
                .header("Content-Type", "application/json")
                .body(text.to_owned()),
            Body::Form(fields) => request.form(fields),
            Body::Other(media, text) => request.header("Content-Type", media).body(text.to_owned()),
        };
        answer_of(request.send().await.expect("request sent")).await
    }

    /// Sends one request exactly as given — every header as a separate line (so a header may
    /// repeat), the body as raw bytes — from a client without cookies.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = bare_client().request(method, self.url(path));
        for (name, value) in headers {
            let value = reqwest::header::HeaderValue::from_bytes(value).expect("a header value");
            request = request.header(*name, value);
        }
        answer_of(
            request
                .body(body.to_vec())
                .send()
                .await
                .expect("request sent"),
        )
        .await
    }

    /// Runs one SQL statement against the app's database file.
    pub fn execute(&self, sql: &str) {
        rusqlite::Connection::open(&self.db_path)
            .and_then(|c| c.execute_batch(sql))
            .expect("the statement runs");
    }
}

/// Reads a response into an [`Answer`].
async fn answer_of(res: Response) -> Answer {
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, content_type, www_authenticate, server_timing, allow) = (
        res.status().as_u16(),
        header("content-type").unwrap_or_default(),
        header("www-authenticate"),
        header("server-timing").unwrap_or_default(),
        header("allow"),
    );
    let text = res.text().await.unwrap_or_default();
    Answer {
        status,
        content_type,
        www_authenticate,
        server_timing,
        allow,
        json: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    }
}

/// The number of queries in a `Server-Timing` value.
pub fn queries_in(timing: &str) -> u32 {
    timing
        .split("desc=\"")
        .filter_map(|rest| rest.split(' ').next())
        .filter_map(|n| n.parse().ok())
        .last()
        .expect("a query count")
}

/// A client of one scheme, as crates.io's test harness has one per kind of user: it logs in
/// the way that scheme's clients do and sends its credential the way they do, over the same
/// request helpers ([`TestApp::api`], [`TestApp::get_with_cookie`]).
pub trait SchemeClient: Sized {
    /// The scheme's slug, for messages.
    const SCHEME: &'static str;
    /// Logs `user` in.
    async fn login(app: &TestApp, user: &TestUser) -> Self;
    /// `GET <scheme>/api/me` with the credential.
    async fn me(&self, app: &TestApp) -> Answer;
}

/// The signed-cookie scheme: the `authlab_cookie` its login set.
pub struct CookieClient {
    /// `authlab_cookie=…`, as a browser sends it.
    pub cookie: String,
}

/// The server-side session scheme: the `sessionid` its login set.
pub struct SessionClient {
    /// `sessionid=…`, as a browser sends it.
    pub cookie: String,
}

/// The DRF token scheme: the key its login answered.
pub struct TokenClient {
    /// The 40-hex key.
    pub key: String,
}

/// The JWT scheme: the pair its login answered.
pub struct JwtClient {
    /// The access token.
    pub access: String,
    /// The refresh token.
    pub refresh: String,
}

/// `name=value` of the cookie `res` set.
fn cookie_pair(res: &Response, name: &str) -> String {
    format!(
        "{name}={}",
        cookie_value(&set_cookie(res, name).unwrap_or_default())
    )
}

impl SchemeClient for CookieClient {
    const SCHEME: &'static str = "cookie";
    async fn login(app: &TestApp, user: &TestUser) -> Self {
        CookieClient {
            cookie: cookie_pair(&app.cookie_login(user).await, "authlab_cookie"),
        }
    }
    async fn me(&self, app: &TestApp) -> Answer {
        answer_of(app.get_with_cookie("/cookie/api/me", &self.cookie).await).await
    }
}

impl SchemeClient for SessionClient {
    const SCHEME: &'static str = "session";
    async fn login(app: &TestApp, user: &TestUser) -> Self {
        SessionClient {
            cookie: cookie_pair(&app.session_login(user).await, "sessionid"),
        }
    }
    async fn me(&self, app: &TestApp) -> Answer {
        answer_of(app.get_with_cookie("/session/api/me", &self.cookie).await).await
    }
}

impl SchemeClient for TokenClient {
    const SCHEME: &'static str = "token";
    async fn login(app: &TestApp, user: &TestUser) -> Self {
        let body =
            serde_json::json!({"username": user.email, "password": user.password}).to_string();
        let answer = app
            .api("POST", "/token/api/login", None, Body::Json(&body))
            .await;
        TokenClient {
            key: answer.json["token"].as_str().unwrap_or_default().to_owned(),
        }
    }
    async fn me(&self, app: &TestApp) -> Answer {
        let header = format!("Token {}", self.key);
        app.api("GET", "/token/api/me", Some(header.as_bytes()), Body::None)
            .await
    }
}

impl SchemeClient for JwtClient {
    const SCHEME: &'static str = "jwt";
    async fn login(app: &TestApp, user: &TestUser) -> Self {
        let answer = app.jwt_login(user).await;
        let text = |field: &str| answer.json[field].as_str().unwrap_or_default().to_owned();
        JwtClient {
            access: text("access"),
            refresh: text("refresh"),
        }
    }
    async fn me(&self, app: &TestApp) -> Answer {
        let header = format!("Bearer {}", self.access);
        app.api("GET", "/jwt/api/me", Some(header.as_bytes()), Body::None)
            .await
    }
}
