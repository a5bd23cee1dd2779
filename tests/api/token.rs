//! The token group against the recorded DRF contract (`shared/CONTRACT.md`, token_obtain and
//! token_me), case for case, plus the token's own lessons: one key for all devices, no expiry.

use crate::common;

use common::{Body, TestApp, TestUser, assert_answer, spawn_app, spawn_app_with};
use serde_json::{Value, json};

const SEEDED_KEY: &str = "0123456789abcdef0123456789abcdef01234567";
const CAROL_KEY: &str = "fedcba9876543210fedcba9876543210fedcba98";
/// alice's login body, as the username login reads it.
static ALICE_BODY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| common::login_body("username", &common::TestUser::ALICE));

fn alice_json() -> Value {
    json!({"id": 1, "email": "alice@example.com", "username": "alice"})
}

async fn contract_app() -> TestApp {
    let app = spawn_app_with(|s| s.login_throttle = authlab::config::Throttle::Off).await;
    app.execute(&format!(
        "INSERT INTO authtoken_token (key, user_id, created) VALUES ('{SEEDED_KEY}', 1, 0), ('{CAROL_KEY}', 3, 0)"
    ));
    app
}

#[actix_web::test]
async fn ping_matches_the_contract_and_ignores_authorization() {
    let app = spawn_app().await;
    let pong = json!({"ping": "pong"});
    for (case, path, authorization) in [
        ("ok", "/api/ping/", None),
        ("ok without the slash", "/api/ping", None),
        (
            "ignores_bad_authorization",
            "/api/ping/",
            Some(&b"Token nope"[..]),
        ),
        (
            "ignores a bad bearer",
            "/api/ping/",
            Some(&b"Bearer x.y.z"[..]),
        ),
    ] {
        let got = app.api("GET", path, authorization, Body::None).await;
        assert_answer(case, &got, 200, None, &pong);
    }
}

#[actix_web::test]
async fn drf_authenticates_before_it_reads_the_method_or_the_body() {
    let app = contract_app().await;
    let bearer = Some("Bearer realm=\"api\"");
    let invalid = json!({"detail": "Invalid token."});
    let bad = Some(&b"Token nope"[..]);
    let broken = Body::Json("{not json");
    let plain = Body::Other("text/plain", "hello");
    // The login keeps DRF's default authentication classes (JWT first): a bad header is 401
    // whatever the method or the body, and only then come 405, 400 and 415.
    for (case, method, body) in [
        ("GET", "GET", Body::None),
        ("malformed JSON", "POST", broken),
        ("unsupported media type", "POST", plain),
    ] {
        let got = app.api(method, "/token/api/login/", bad, body).await;
        assert_answer(case, &got, 401, bearer, &invalid);
    }
    let got = app.api("GET", "/token/api/login/", None, Body::None).await;
    assert_answer(
        "GET",
        &got,
        405,
        None,
        &json!({"detail": "Method \"GET\" not allowed."}),
    );
    assert_eq!(
        got.allow.as_deref(),
        Some("POST, OPTIONS"),
        "Allow on the login's 405"
    );
    let got = app.api("POST", "/token/api/login/", None, broken).await;
    assert_eq!(
        got.status, 400,
        "a malformed body without credentials: {}",
        got.text
    );

    // A protected view: the key first, then the body.
    let got = app.api("PATCH", "/token/api/me/", bad, broken).await;
    assert_answer(
        "PATCH, bad key, malformed JSON",
        &got,
        401,
        Some("Token"),
        &invalid,
    );
    let seeded = format!("Token {SEEDED_KEY}");
    let got = app
        .api("PATCH", "/token/api/me/", Some(seeded.as_bytes()), broken)
        .await;
    assert_eq!(
        got.status, 400,
        "a good key, a malformed body: {}",
        got.text
    );
    let got = app
        .api(
            "DELETE",
            "/token/api/me/",
            Some(seeded.as_bytes()),
            Body::None,
        )
        .await;
    assert_answer(
        "DELETE",
        &got,
        405,
        None,
        &json!({"detail": "Method \"DELETE\" not allowed."}),
    );
    assert_eq!(
        got.allow.as_deref(),
        Some("GET, HEAD, PATCH, OPTIONS"),
        "Allow on /me's 405"
    );
}

#[actix_web::test]
async fn an_address_an_older_sign_up_accepted_still_logs_in() {
    let app = contract_app().await;
    // Sign-up now refuses this local part; a login only looks the address up.
    app.execute(
        "INSERT INTO users (email, username, password, is_active, created_at, updated_at)
         SELECT 'josé@example.com', 'jose', password, 1, created_at, updated_at FROM users WHERE id = 1",
    );
    let got = app
        .api(
            "POST",
            "/token/api/login/",
            None,
            Body::Json(r#"{"username": " josé@example.com ", "password": "alice-pass-123"}"#),
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
}

#[actix_web::test]
async fn token_obtain_matches_the_contract_case_for_case() {
    let app = contract_app().await;
    let ok = json!({"token": SEEDED_KEY});
    let bad_credentials =
        json!({"non_field_errors": ["Unable to log in with provided credentials."]});
    let cases: Vec<(&str, &str, Option<&[u8]>, Body, u16, Option<&str>, Value)> = vec![
        (
            "json_ok",
            "POST",
            None,
            Body::Json(&ALICE_BODY),
            200,
            None,
            ok.clone(),
        ),
        (
            "form_ok",
            "POST",
            None,
            Body::Form(&[
                ("username", "alice@example.com"),
                ("password", TestUser::ALICE.password),
            ]),
            200,
            None,
            ok.clone(),
        ),
        (
            "seeded_key_returned",
            "POST",
            None,
            Body::Json(&ALICE_BODY),
            200,
            None,
            ok.clone(),
        ),
        (
            "wrong_password",
            "POST",
            None,
            Body::Json(r#"{"username": "alice@example.com", "password": "wrong-password"}"#),
            400,
            None,
            bad_credentials.clone(),
        ),
        // Not recorded, but AuthTokenSerializer's password is trim_whitespace=False: the spaces
        // are part of the password, so a padded one is wrong (the username is trimmed).
        (
            "padded_password",
            "POST",
            None,
            Body::Json(r#"{"username": " alice@example.com ", "password": " alice-pass-123 "}"#),
            400,
            None,
            bad_credentials.clone(),
        ),
        (
            "unknown_user",
            "POST",
            None,
            Body::Json(r#"{"username": "nobody@example.com", "password": "whatever-123"}"#),
            400,
            None,
            bad_credentials.clone(),
        ),
        (
            "inactive_user",
            "POST",
            None,
            Body::Json(r#"{"username": "carol@example.com", "password": "carol-pass-123"}"#),
            400,
            None,
            bad_credentials.clone(),
        ),
        // Deliberate difference: e-mails are case-insensitive in authlab (the reference answers 400).
        (
            "uppercase_email",
            "POST",
            None,
            Body::Json(r#"{"username": "ALICE@EXAMPLE.COM", "password": "alice-pass-123"}"#),
            200,
            None,
            ok.clone(),
        ),
        (
            "missing_fields",
            "POST",
            None,
            Body::Json("{}"),
            400,
            None,
            json!({"username": ["This field is required."], "password": ["This field is required."]}),
        ),
        (
            "missing_password",
            "POST",
            None,
            Body::Json(r#"{"username": "alice@example.com"}"#),
            400,
            None,
            json!({"password": ["This field is required."]}),
        ),
        (
            "email_key_instead_of_username",
            "POST",
            None,
            Body::Json(r#"{"email": "alice@example.com", "password": "alice-pass-123"}"#),
            400,
            None,
            json!({"username": ["This field is required."]}),
        ),
        (
            "blank_fields",
            "POST",
            None,
            Body::Json(r#"{"username": "", "password": ""}"#),
            400,
            None,
            json!({"username": ["This field may not be blank."], "password": ["This field may not be blank."]}),
        ),
        (
            "null_fields",
            "POST",
            None,
            Body::Json(r#"{"username": null, "password": null}"#),
            400,
            None,
            json!({"username": ["This field may not be null."], "password": ["This field may not be null."]}),
        ),
        (
            "form_missing_fields",
            "POST",
            None,
            Body::Form(&[]),
            400,
            None,
            json!({"username": ["This field is required."], "password": ["This field is required."]}),
        ),
        (
            "json_array_body",
            "POST",
            None,
            Body::Json("[]"),
            400,
            None,
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ),
        (
            "text_plain_body",
            "POST",
            None,
            Body::Other("text/plain", "username=x"),
            415,
            None,
            json!({"detail": "Unsupported media type \"text/plain\" in request."}),
        ),
        (
            "get_method",
            "GET",
            None,
            Body::None,
            405,
            None,
            json!({"detail": "Method \"GET\" not allowed."}),
        ),
        (
            "bad_authorization_header",
            "POST",
            Some(b"Token not-a-real-key"),
            Body::Json(&ALICE_BODY),
            401,
            Some("Bearer realm=\"api\""),
            json!({"detail": "Invalid token."}),
        ),
    ];
    for (case, method, auth, body, status, www, expected) in cases {
        let got = app.api(method, "/token/api/login/", auth, body).await;
        assert_answer(case, &got, status, www, &expected);
    }

    let malformed = app
        .api(
            "POST",
            "/token/api/login/",
            None,
            Body::Json(r#"{"username": "#),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("JSON parse error - "),
        "{}",
        malformed.text
    );
}

#[actix_web::test]
async fn token_me_matches_the_contract_case_for_case() {
    let app = contract_app().await;
    let token = |key: &str| format!("Token {key}").into_bytes();
    let not_provided = json!({"detail": "Authentication credentials were not provided."});
    let www = Some("Token");
    let cases: Vec<(&str, &str, Option<Vec<u8>>, u16, Option<&str>, Value)> = vec![
        (
            "valid",
            "GET",
            Some(token(SEEDED_KEY)),
            200,
            None,
            alice_json(),
        ),
        (
            "missing_header",
            "GET",
            None,
            401,
            www,
            not_provided.clone(),
        ),
        (
            "empty_header",
            "GET",
            Some(b"".to_vec()),
            401,
            www,
            not_provided.clone(),
        ),
        (
            "keyword_only",
            "GET",
            Some(b"Token".to_vec()),
            401,
            www,
            json!({"detail": "Invalid token header. No credentials provided."}),
        ),
        (
            "keyword_trailing_space",
            "GET",
            Some(b"Token ".to_vec()),
            401,
            www,
            json!({"detail": "Invalid token header. No credentials provided."}),
        ),
        (
            "key_with_spaces",
            "GET",
            Some(format!("Token {SEEDED_KEY} extra").into_bytes()),
            401,
            www,
            json!({"detail": "Invalid token header. Token string should not contain spaces."}),
        ),
        (
            "wrong_key",
            "GET",
            Some(token("0000000000000000000000000000000000000000")),
            401,
            www,
            json!({"detail": "Invalid token."}),
        ),
        (
            "short_key",
            "GET",
            Some(token("abc")),
            401,
            www,
            json!({"detail": "Invalid token."}),
        ),
        (
            "non_ascii_key",
            "GET",
            Some(b"Token caf\xe9".to_vec()),
            401,
            www,
            json!({"detail": "Invalid token header. Token string should not contain invalid characters."}),
        ),
        (
            "lowercase_keyword",
            "GET",
            Some(format!("token {SEEDED_KEY}").into_bytes()),
            200,
            None,
            alice_json(),
        ),
        (
            "uppercase_keyword",
            "GET",
            Some(format!("TOKEN {SEEDED_KEY}").into_bytes()),
            200,
            None,
            alice_json(),
        ),
        (
            "extra_inner_whitespace",
            "GET",
            Some(format!("Token    {SEEDED_KEY}").into_bytes()),
            200,
            None,
            alice_json(),
        ),
        (
            "bearer_keyword",
            "GET",
            Some(format!("Bearer {SEEDED_KEY}").into_bytes()),
            401,
            www,
            not_provided.clone(),
        ),
        (
            "inactive_user_key",
            "GET",
            Some(token(CAROL_KEY)),
            401,
            www,
            json!({"detail": "User inactive or deleted."}),
        ),
        (
            "post_method_authenticated",
            "POST",
            Some(token(SEEDED_KEY)),
            405,
            None,
            json!({"detail": "Method \"POST\" not allowed."}),
        ),
        (
            "post_method_unauthenticated",
            "POST",
            None,
            401,
            www,
            not_provided.clone(),
        ),
    ];
    for (case, method, auth, status, www, expected) in cases {
        let got = app
            .api(method, "/token/api/me/", auth.as_deref(), Body::None)
            .await;
        assert_answer(case, &got, status, www, &expected);
    }
}

#[actix_web::test]
async fn keys_are_40_lowercase_hex_one_per_user_and_the_same_on_every_login() {
    let app = spawn_app().await;
    let alice = app
        .api("POST", "/token/api/login", None, Body::Json(&ALICE_BODY))
        .await
        .json["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let bob = app
        .api(
            "POST",
            "/token/api/login",
            None,
            Body::Json(&common::login_body("username", &common::TestUser::BOB)),
        )
        .await
        .json["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for key in [&alice, &bob] {
        assert_eq!(key.len(), 40);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{key}"
        );
    }
    assert_ne!(alice, bob, "two users never share a key");
    let again = app
        .api("POST", "/token/api/login", None, Body::Json(&ALICE_BODY))
        .await;
    assert_eq!(
        again.json["token"],
        alice.as_str(),
        "a second device gets the very same key"
    );
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM authtoken_token"),
        2
    );
}

async fn alice_key(app: &TestApp) -> String {
    app.api("POST", "/token/api/login", None, Body::Json(&ALICE_BODY))
        .await
        .json["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn auth(key: &str) -> Vec<u8> {
    format!("Token {key}").into_bytes()
}

#[actix_web::test]
async fn a_lookup_costs_exactly_one_query() {
    let app = spawn_app().await;
    let key = alice_key(&app).await;
    let got = app
        .api("GET", "/token/api/me", Some(&auth(&key)), Body::None)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(
        common::queries_in(&got.server_timing),
        1,
        "{}",
        got.server_timing
    );
    assert!(got.server_timing.contains("token lookup"));
}

#[actix_web::test]
async fn regenerate_and_logout_invalidate_the_key_on_every_device() {
    let app = spawn_app().await;
    let old = alice_key(&app).await;
    let second_device = alice_key(&app).await;
    assert_eq!(old, second_device);

    let fresh = app
        .api(
            "POST",
            "/token/api/regenerate",
            Some(&auth(&old)),
            Body::None,
        )
        .await;
    assert_eq!(fresh.status, 200);
    let new = fresh.json["token"].as_str().unwrap_or_default().to_owned();
    assert_ne!(new, old);
    let refused = app
        .api("GET", "/token/api/me", Some(&auth(&old)), Body::None)
        .await;
    assert_answer(
        "old key after regenerate",
        &refused,
        401,
        Some("Token"),
        &json!({"detail": "Invalid token."}),
    );
    assert_eq!(
        app.api("GET", "/token/api/me", Some(&auth(&new)), Body::None)
            .await
            .status,
        200
    );

    let out = app
        .api("POST", "/token/api/logout", Some(&auth(&new)), Body::None)
        .await;
    assert_eq!(out.status, 200);
    let everywhere = app
        .api("GET", "/token/api/me", Some(&auth(&new)), Body::None)
        .await;
    assert_eq!(
        everywhere.status, 401,
        "every device used that one key: all are out"
    );
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM authtoken_token WHERE user_id = 1"),
        0
    );
}

#[actix_web::test]
async fn the_key_never_expires_even_a_year_later() {
    let app = spawn_app().await;
    let key = alice_key(&app).await;
    app.advance_clock("365d").await;
    let got = app
        .api("GET", "/token/api/me", Some(&auth(&key)), Body::None)
        .await;
    assert_eq!(got.status, 200, "no time stamp on the token");
    let inspect = app
        .api("GET", "/token/api/inspect", Some(&auth(&key)), Body::None)
        .await;
    assert!(inspect.json["age_seconds"].as_i64().unwrap_or(0) >= 365 * 86_400);
}

#[actix_web::test]
async fn patching_the_username_needs_the_header_not_a_csrf_token() {
    let app = spawn_app().await;
    let key = alice_key(&app).await;
    let created: String = app.query_one("SELECT created_at FROM users WHERE id = 1");
    let updated: String = app.query_one("SELECT updated_at FROM users WHERE id = 1");
    app.advance_clock("1h").await;

    let cross_site = common::bare_client()
        .patch(app.url("/token/api/me"))
        .header("Origin", "https://evil.example")
        .header("Authorization", format!("Token {key}"))
        .json(&json!({"username": "alice_via_token"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        cross_site.status().as_u16(),
        200,
        "a valid Token header is what authenticates; no cookie rides along"
    );
    assert_eq!(
        cross_site.json::<Value>().await.unwrap_or_default()["username"],
        "alice_via_token"
    );
    assert_eq!(
        app.query_one::<String>("SELECT created_at FROM users WHERE id = 1"),
        created
    );
    assert_ne!(
        app.query_one::<String>("SELECT updated_at FROM users WHERE id = 1"),
        updated
    );

    let forged = common::bare_client()
        .patch(app.url("/token/api/me"))
        .header("Origin", "https://evil.example")
        .json(&json!({"username": "mallory"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        forged.status().as_u16(),
        403,
        "without the header another site gets nothing: its Origin is refused outright"
    );

    let invalid = app
        .api(
            "PATCH",
            "/token/api/me",
            Some(&auth(&key)),
            Body::Json(r#"{"username": "has space"}"#),
        )
        .await;
    assert_eq!(invalid.status, 400);
    assert!(invalid.json["username"][0].as_str().is_some());
    assert_eq!(
        app.query_one::<String>("SELECT username FROM users WHERE id = 1"),
        "alice_via_token"
    );
}

#[actix_web::test]
async fn huge_or_garbage_headers_get_401_never_500() {
    let app = spawn_app().await;
    let huge = format!("Token {}", "a".repeat(10 * 1024)).into_bytes();
    for raw in [
        huge,
        b"Token \x80\x81\xff".to_vec(),
        b"Token %%%".to_vec(),
        b"Token\tabc\tdef".to_vec(),
    ] {
        let got = app
            .api("GET", "/token/api/me", Some(&raw), Body::None)
            .await;
        assert_eq!(
            got.status,
            401,
            "{:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(20)])
        );
    }
}

#[actix_web::test]
async fn login_is_throttled_with_drf_s_429() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let got = app
            .api(
                "POST",
                "/token/api/login",
                None,
                Body::Json(r#"{"username": "bob@example.com", "password": "nope-nope"}"#),
            )
            .await;
        assert_eq!(got.status, 400);
    }
    let got = app
        .api(
            "POST",
            "/token/api/login",
            None,
            Body::Json(&common::login_body("username", &common::TestUser::BOB)),
        )
        .await;
    assert_eq!(got.status, 429);
    assert!(
        got.json["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Request was throttled. Expected available in ")
    );
}

/// A log sink shared by the whole test binary (a global subscriber can be set only once).
fn captured_logs() -> &'static std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    use std::sync::{Arc, Mutex, OnceLock};
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
}

struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn the_key_and_the_password_never_appear_in_the_logs() {
    let logs = captured_logs();
    let app = spawn_app().await;
    let key = alice_key(&app).await;
    app.api("GET", "/token/api/me", Some(&auth(&key)), Body::None)
        .await;
    app.api(
        "POST",
        "/token/api/regenerate",
        Some(&auth(&key)),
        Body::None,
    )
    .await;
    app.api("GET", "/token/api/me", Some(&auth(&key)), Body::None)
        .await;
    app.api(
        "POST",
        "/token/api/login",
        None,
        Body::Json(r#"{"username": "alice@example.com", "password": "a-wrong-secret-pw"}"#),
    )
    .await;
    let text =
        String::from_utf8_lossy(&logs.lock().map(|l| l.clone()).unwrap_or_default()).into_owned();
    assert!(
        text.contains("/token/api/me"),
        "the requests were logged: {} bytes",
        text.len()
    );
    assert!(!text.contains(&key), "the key is not logged");
    assert!(
        !text.contains(TestUser::ALICE.password) && !text.contains("a-wrong-secret-pw"),
        "no password is logged"
    );
}
