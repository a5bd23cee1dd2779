//! The JWT group against the recorded simplejwt contract (`shared/CONTRACT.md`, jwt_*), case for
//! case, plus the attack set. Test tokens are minted here with a hand-built HMAC, independently of
//! the code under test; authlab's own tokens are checked the same way.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Body, TestApp, TestUser, assert_answer, spawn_app_with};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// The published secret these tests start authlab with.
const SECRET: &str = "a-published-test-secret-of-at-least-32-bytes";
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
const HEADER_SEGMENT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
const BEARER: Option<&str> = Some("Bearer realm=\"api\"");

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// An HS256 token built by hand: base64url(header).base64url(payload).base64url(HMAC-SHA256).
fn mint_with(header: &str, payload: &Value, secret: &str) -> String {
    let message = format!("{}.{}", b64(header), b64(&payload.to_string()));
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("a key");
    mac.update(message.as_bytes());
    format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fn mint(payload: &Value) -> String {
    mint_with(HEADER, payload, SECRET)
}

fn hs512(payload: &Value) -> String {
    let header = r#"{"alg":"HS512","typ":"JWT"}"#;
    let message = format!("{}.{}", b64(header), b64(&payload.to_string()));
    let mut mac = <Hmac<sha2::Sha512> as Mac>::new_from_slice(SECRET.as_bytes()).expect("a key");
    mac.update(message.as_bytes());
    format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fn alg_none(payload: &Value, alg: &str) -> String {
    format!(
        "{}.{}.",
        b64(&format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)),
        b64(&payload.to_string())
    )
}

fn tamper(token: &str, payload: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64(&payload.to_string()), parts[2])
}

fn claims(kind: &str, user_id: Value, now: i64, ttl: i64) -> Value {
    json!({"token_type": kind, "exp": now + ttl, "iat": now, "jti": fresh_jti(), "user_id": user_id})
}

fn fresh_jti() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!("{:032x}", N.fetch_add(1, Ordering::Relaxed) + 0xabc0_0000)
}

fn without(mut value: Value, claim: &str) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.remove(claim);
    }
    value
}

/// Decodes a segment without any key: the payload is only encoded.
fn decode(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

/// Checks an issued token by hand: header, claim order, type, lifetime, user, jti, and its HMAC.
fn assert_issued(token: &str, kind: &str, lifetime: i64) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[0], HEADER_SEGMENT,
        "simplejwt's header, byte for byte"
    );
    let payload = decode(parts[1]);
    let keys: Vec<&str> = payload
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["token_type", "exp", "iat", "jti", "user_id"],
        "claims in simplejwt's order"
    );
    assert_eq!(payload["token_type"], kind);
    assert_eq!(payload["user_id"], "1", "user_id is a string");
    let (exp, iat) = (
        payload["exp"].as_i64().unwrap_or(0),
        payload["iat"].as_i64().unwrap_or(0),
    );
    assert_eq!(exp - iat, lifetime);
    let jti = payload["jti"].as_str().unwrap_or_default();
    assert!(
        jti.len() == 32
            && jti
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{jti}"
    );
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).expect("a key");
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert_eq!(
        parts[2],
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()),
        "HMAC-SHA256 with the published secret"
    );
}

/// Checks a successful obtain (`refresh` first) or rotation (`access` first): the keys in that
/// order and both tokens issued as simplejwt issues them.
fn assert_pair(case: &str, got: &common::Answer, keys: [&str; 2]) {
    assert_eq!(got.status, 200, "{case}: {}", got.text);
    assert_eq!(got.content_type, "application/json", "{case}");
    let order: Vec<&str> = got
        .json
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(order, keys, "{case}: keys in simplejwt's order");
    assert!(
        got.text.starts_with(&format!("{{\"{}\":", keys[0])),
        "{case}: {}",
        got.text
    );
    assert_issued(
        got.json["access"].as_str().unwrap_or_default(),
        "access",
        300,
    );
    assert_issued(
        got.json["refresh"].as_str().unwrap_or_default(),
        "refresh",
        86_400,
    );
}

fn not_valid(detail: &str) -> Value {
    json!({"detail": detail, "code": "token_not_valid"})
}

fn given_not_valid(message: &str) -> Value {
    json!({
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}],
    })
}

async fn jwt_app() -> TestApp {
    spawn_app_with(|s| {
        s.jwt_secret = Some(authlab::config::Secret::from_bytes(
            SECRET.as_bytes().to_vec(),
        ));
        s.login_throttle = authlab::config::Throttle::Off;
    })
    .await
}

/// alice's login body, as the email login reads it.
static ALICE_BODY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| common::login_body("email", &common::TestUser::ALICE));

async fn pair(app: &TestApp) -> (String, String) {
    let got = app
        .api("POST", "/jwt/api/token/", None, Body::Json(&ALICE_BODY))
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    (
        got.json["access"].as_str().unwrap_or_default().to_owned(),
        got.json["refresh"].as_str().unwrap_or_default().to_owned(),
    )
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

#[actix_web::test]
async fn jwt_obtain_matches_the_contract_case_for_case() {
    let app = jwt_app().await;
    for (case, body) in [
        ("json_ok", Body::Json(&ALICE_BODY)),
        (
            "form_ok",
            Body::Form(&[
                ("email", "alice@example.com"),
                ("password", TestUser::ALICE.password),
            ]),
        ),
        // Deliberate difference: e-mails are case-insensitive in authlab (the reference answers 401).
        (
            "uppercase_email",
            Body::Json(r#"{"email": "ALICE@EXAMPLE.COM", "password": "alice-pass-123"}"#),
        ),
    ] {
        let got = app.api("POST", "/jwt/api/token/", None, body).await;
        assert_pair(case, &got, ["refresh", "access"]);
    }
    let ignored = app
        .api(
            "POST",
            "/jwt/api/token/",
            Some(b"Bearer garbage"),
            Body::Json(&ALICE_BODY),
        )
        .await;
    // ignores_bad_authorization: simplejwt views have no authentication classes.
    assert_pair("ignores_bad_authorization", &ignored, ["refresh", "access"]);
    let padded = app
        .api(
            "POST",
            "/jwt/api/token/",
            None,
            Body::Json(r#"{"email": " alice@example.com ", "password": "  alice-pass-123  "}"#),
        )
        .await;
    assert_pair("padded fields are trimmed", &padded, ["refresh", "access"]);

    let no_account = json!({"detail": "No active account found with the given credentials"});
    let cases: Vec<(&str, &str, Body, u16, Option<&str>, Value)> = vec![
        (
            "wrong_password",
            "POST",
            Body::Json(r#"{"email": "alice@example.com", "password": "wrong-password"}"#),
            401,
            BEARER,
            no_account.clone(),
        ),
        (
            "unknown_user",
            "POST",
            Body::Json(r#"{"email": "nobody@example.com", "password": "whatever-123"}"#),
            401,
            BEARER,
            no_account.clone(),
        ),
        (
            "inactive_user",
            "POST",
            Body::Json(r#"{"email": "carol@example.com", "password": "carol-pass-123"}"#),
            401,
            BEARER,
            no_account.clone(),
        ),
        (
            "missing_fields",
            "POST",
            Body::Json("{}"),
            400,
            None,
            json!({"email": ["This field is required."], "password": ["This field is required."]}),
        ),
        (
            "missing_password",
            "POST",
            Body::Json(r#"{"email": "alice@example.com"}"#),
            400,
            None,
            json!({"password": ["This field is required."]}),
        ),
        (
            "username_key_instead_of_email",
            "POST",
            Body::Json(r#"{"username": "alice@example.com", "password": "alice-pass-123"}"#),
            400,
            None,
            json!({"email": ["This field is required."]}),
        ),
        (
            "blank_fields",
            "POST",
            Body::Json(r#"{"email": "", "password": ""}"#),
            400,
            None,
            json!({"email": ["This field may not be blank."], "password": ["This field may not be blank."]}),
        ),
        // Not recorded, but simplejwt's PasswordField trims as every CharField does (the
        // authtoken login does not): a password of spaces is blank.
        (
            "whitespace_password",
            "POST",
            Body::Json(r#"{"email": "alice@example.com", "password": "   "}"#),
            400,
            None,
            json!({"password": ["This field may not be blank."]}),
        ),
        (
            "null_fields",
            "POST",
            Body::Json(r#"{"email": null, "password": null}"#),
            400,
            None,
            json!({"email": ["This field may not be null."], "password": ["This field may not be null."]}),
        ),
        (
            "text_plain_body",
            "POST",
            Body::Other("text/plain", "email=x"),
            415,
            None,
            json!({"detail": "Unsupported media type \"text/plain\" in request."}),
        ),
        (
            "get_method",
            "GET",
            Body::None,
            405,
            None,
            json!({"detail": "Method \"GET\" not allowed."}),
        ),
    ];
    for (case, method, body, status, www, expected) in cases {
        let got = app.api(method, "/jwt/api/token/", None, body).await;
        assert_answer(case, &got, status, www, &expected);
    }
    let malformed = app
        .api("POST", "/jwt/api/token/", None, Body::Json(r#"{"email": "#))
        .await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("JSON parse error - ")
    );
}

#[actix_web::test]
async fn jwt_verify_matches_the_contract_case_for_case() {
    let app = jwt_app().await;
    let (access, refresh) = pair(&app).await;
    let now = app.state.clock.unix();
    let alice = claims("access", json!("1"), now, 300);
    let verify = |token: &str| format!(r#"{{"token": "{token}"}}"#);
    let ok: Vec<(&str, String)> = vec![
        ("access_ok", access.clone()),
        ("refresh_ok", refresh.clone()),
        ("no_type", mint(&without(alice.clone(), "token_type"))),
    ];
    for (case, token) in ok {
        let got = app
            .api(
                "POST",
                "/jwt/api/token/verify/",
                None,
                Body::Json(&verify(&token)),
            )
            .await;
        assert_answer(case, &got, 200, None, &json!({}));
    }
    let form = app
        .api(
            "POST",
            "/jwt/api/token/verify/",
            None,
            Body::Form(&[("token", &access)]),
        )
        .await;
    assert_answer("form_ok", &form, 200, None, &json!({}));

    let refused: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            mint(&claims("access", json!("1"), now - 600, 300)),
            "Token is expired",
        ),
        (
            "tampered",
            tamper(&access, &claims("access", json!("2"), now, 300)),
            "Token is invalid",
        ),
        ("alg_none", alg_none(&alice, "none"), "Token is invalid"),
        ("alg_hs512", hs512(&alice), "Token is invalid"),
        (
            "other_secret",
            mint_with(HEADER, &alice, "another-secret-another-secret-another"),
            "Token is invalid",
        ),
        ("malformed_string", "not-a-jwt".into(), "Token is invalid"),
        ("malformed_three_parts", "a.b.c".into(), "Token is invalid"),
        (
            "no_jti",
            mint(&without(alice.clone(), "jti")),
            "Token has no id",
        ),
        (
            "no_exp",
            mint(&without(alice.clone(), "exp")),
            "Token has no 'exp' claim",
        ),
    ];
    for (case, token, detail) in refused {
        let got = app
            .api(
                "POST",
                "/jwt/api/token/verify/",
                None,
                Body::Json(&verify(&token)),
            )
            .await;
        assert_answer(case, &got, 401, BEARER, &not_valid(detail));
    }
    let missing = app
        .api("POST", "/jwt/api/token/verify/", None, Body::Json("{}"))
        .await;
    assert_answer(
        "missing_field",
        &missing,
        400,
        None,
        &json!({"token": ["This field is required."]}),
    );
    let blank = app
        .api(
            "POST",
            "/jwt/api/token/verify/",
            None,
            Body::Json(r#"{"token": ""}"#),
        )
        .await;
    assert_answer(
        "blank",
        &blank,
        400,
        None,
        &json!({"token": ["This field may not be blank."]}),
    );
    let get = app
        .api("GET", "/jwt/api/token/verify/", None, Body::None)
        .await;
    assert_answer(
        "get_method",
        &get,
        405,
        None,
        &json!({"detail": "Method \"GET\" not allowed."}),
    );
}

#[actix_web::test]
async fn jwt_refresh_and_blacklist_match_the_contract_case_for_case() {
    let app = jwt_app().await;
    let (a1, r1) = pair(&app).await;
    let refresh_body = |token: &str| format!(r#"{{"refresh": "{token}"}}"#);
    let blacklisted = not_valid("Token is blacklisted");

    // 68 ok: rotation answers access first and blacklists the old refresh token.
    let got = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(&refresh_body(&r1)),
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert!(got.text.starts_with(r#"{"access":"#), "access first");
    let r1_rotated = got.json["refresh"].as_str().unwrap_or_default().to_owned();
    assert_issued(&r1_rotated, "refresh", 86_400);
    assert_issued(
        got.json["access"].as_str().unwrap_or_default(),
        "access",
        300,
    );
    assert_ne!(r1_rotated, r1);

    // 69 reuse_after_rotation, 70 rotated_out_refresh on verify, 71 the old access token still works.
    // The replay comes after the grace window (5 s by default), as a thief's does: inside it,
    // authlab rotates the token again (two tabs refreshing at once; see the grace-window tests).
    app.advance_clock("6s").await;
    let got = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(&refresh_body(&r1)),
        )
        .await;
    assert_answer("reuse_after_rotation", &got, 401, BEARER, &blacklisted);
    let got = app
        .api(
            "POST",
            "/jwt/api/token/verify/",
            None,
            Body::Json(&format!(r#"{{"token": "{r1}"}}"#)),
        )
        .await;
    assert_answer(
        "rotated_out_refresh",
        &got,
        400,
        None,
        &json!({"non_field_errors": ["Token is blacklisted"]}),
    );
    let got = app
        .api("GET", "/jwt/api/me/", Some(&bearer(&a1)), Body::None)
        .await;
    assert_answer(
        "access_from_rotated_out_refresh",
        &got,
        200,
        None,
        &json!({"id": 1, "email": "alice@example.com", "username": "alice"}),
    );

    // Deliberate difference: the reuse above revoked the whole family, so the rotated token is dead
    // too (the reference's case 72 would still answer 200 here).
    let got = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(&refresh_body(&r1_rotated)),
        )
        .await;
    assert_answer(
        "family_revoked_after_reuse",
        &got,
        401,
        BEARER,
        &blacklisted,
    );

    // 72 rotated_refresh_ok and 74 form_ok, on a family nobody replayed.
    let (_, r2) = pair(&app).await;
    let got = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(&refresh_body(&r2)),
        )
        .await;
    let r2_rotated = got.json["refresh"].as_str().unwrap_or_default().to_owned();
    let got = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(&refresh_body(&r2_rotated)),
        )
        .await;
    assert_pair("rotated_refresh_ok", &got, ["access", "refresh"]);
    let r2_twice = got.json["refresh"].as_str().unwrap_or_default().to_owned();
    let got = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Form(&[("refresh", &r2_twice)]),
        )
        .await;
    assert_pair("form_ok", &got, ["access", "refresh"]);
    let r2_thrice = got.json["refresh"].as_str().unwrap_or_default().to_owned();

    let now = app.state.clock.unix();
    let refresh_claims = claims("refresh", json!("1"), now, 86_400);
    let refused: Vec<(&str, String, Value)> = vec![
        (
            "access_as_refresh",
            a1.clone(),
            not_valid("Token has wrong type"),
        ),
        (
            "expired",
            mint(&claims("refresh", json!("1"), now - 90_000, 86_400)),
            not_valid("Token is expired"),
        ),
        (
            "tampered",
            tamper(&r2_thrice, &claims("refresh", json!("2"), now, 86_400)),
            not_valid("Token is invalid"),
        ),
        (
            "alg_none",
            alg_none(&refresh_claims, "none"),
            not_valid("Token is invalid"),
        ),
        (
            "other_secret",
            mint_with(
                HEADER,
                &refresh_claims,
                "another-secret-another-secret-another",
            ),
            not_valid("Token is invalid"),
        ),
        (
            "malformed_string",
            "not-a-jwt".into(),
            not_valid("Token is invalid"),
        ),
        (
            "inactive_user",
            mint(&claims("refresh", json!("3"), now, 86_400)),
            json!({"detail": "No active account found for the given token."}),
        ),
        // Deliberate differences: the reference issues a pair for nobody (86) and answers 500 (87, 88).
        (
            "no_user_id",
            mint(&without(refresh_claims.clone(), "user_id")),
            not_valid("Token contained no recognizable user identification"),
        ),
        (
            "unknown_user",
            mint(&claims("refresh", json!("999"), now, 86_400)),
            not_valid("User not found"),
        ),
        // Recorded from the reference: simplejwt issues a new pair with `user_id: null` here.
        (
            "user_id_null",
            mint(&claims("refresh", json!(null), now, 86_400)),
            not_valid("User not found"),
        ),
        (
            "no_jti",
            mint(&without(refresh_claims.clone(), "jti")),
            not_valid("Token has no id"),
        ),
    ];
    for (case, token, expected) in refused {
        let got = app
            .api(
                "POST",
                "/jwt/api/token/refresh/",
                None,
                Body::Json(&refresh_body(&token)),
            )
            .await;
        assert_answer(case, &got, 401, BEARER, &expected);
    }
    let number = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(r#"{"refresh": 12345}"#),
        )
        .await;
    assert_answer(
        "number_value",
        &number,
        401,
        BEARER,
        &not_valid("Token is invalid"),
    );
    for (case, body, field_error) in [
        ("missing_field", "{}", "This field is required."),
        (
            "blank",
            r#"{"refresh": ""}"#,
            "This field may not be blank.",
        ),
        (
            "null",
            r#"{"refresh": null}"#,
            "This field may not be null.",
        ),
    ] {
        let got = app
            .api("POST", "/jwt/api/token/refresh/", None, Body::Json(body))
            .await;
        assert_answer(case, &got, 400, None, &json!({"refresh": [field_error]}));
    }
    let get = app
        .api("GET", "/jwt/api/token/refresh/", None, Body::None)
        .await;
    assert_answer(
        "get_method",
        &get,
        405,
        None,
        &json!({"detail": "Method \"GET\" not allowed."}),
    );

    // Blacklist (logout): 90 ok, 91 again, 92 refresh with it, 93 verify it.
    let got = app
        .api(
            "POST",
            "/jwt/api/token/blacklist/",
            None,
            Body::Json(&refresh_body(&r2_thrice)),
        )
        .await;
    assert_answer("blacklist ok", &got, 200, None, &json!({}));
    let got = app
        .api(
            "POST",
            "/jwt/api/token/blacklist/",
            None,
            Body::Json(&refresh_body(&r2_thrice)),
        )
        .await;
    assert_answer("blacklist again", &got, 401, BEARER, &blacklisted);
    let got = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(&refresh_body(&r2_thrice)),
        )
        .await;
    assert_answer("refresh blacklisted", &got, 401, BEARER, &blacklisted);
    let got = app
        .api(
            "POST",
            "/jwt/api/token/verify/",
            None,
            Body::Json(&format!(r#"{{"token": "{r2_thrice}"}}"#)),
        )
        .await;
    assert_answer(
        "verify blacklisted",
        &got,
        400,
        None,
        &json!({"non_field_errors": ["Token is blacklisted"]}),
    );

    for (case, token, detail) in [
        ("access_as_refresh", a1.clone(), "Token has wrong type"),
        (
            "expired",
            mint(&claims("refresh", json!("1"), now - 90_000, 86_400)),
            "Token is expired",
        ),
        (
            "tampered",
            tamper(&r2_thrice, &claims("refresh", json!("2"), now, 86_400)),
            "Token is invalid",
        ),
        ("malformed_string", "not-a-jwt".into(), "Token is invalid"),
    ] {
        let got = app
            .api(
                "POST",
                "/jwt/api/token/blacklist/",
                None,
                Body::Json(&refresh_body(&token)),
            )
            .await;
        assert_answer(case, &got, 401, BEARER, &not_valid(detail));
    }
    let missing = app
        .api("POST", "/jwt/api/token/blacklist/", None, Body::Json("{}"))
        .await;
    assert_answer(
        "missing_field",
        &missing,
        400,
        None,
        &json!({"refresh": ["This field is required."]}),
    );
    let never_seen = mint(&claims("refresh", json!("1"), now, 86_400));
    let got = app
        .api(
            "POST",
            "/jwt/api/token/blacklist/",
            None,
            Body::Json(&refresh_body(&never_seen)),
        )
        .await;
    assert_answer("minted_unknown_refresh_ok", &got, 200, None, &json!({}));
    let get = app
        .api("GET", "/jwt/api/token/blacklist/", None, Body::None)
        .await;
    assert_answer(
        "get_method",
        &get,
        405,
        None,
        &json!({"detail": "Method \"GET\" not allowed."}),
    );
}

#[actix_web::test]
async fn jwt_me_matches_the_contract_case_for_case() {
    let app = jwt_app().await;
    let (access, refresh) = pair(&app).await;
    let authtoken = app
        .api(
            "POST",
            "/token/api/login",
            None,
            Body::Json(&common::login_body("username", &common::TestUser::ALICE)),
        )
        .await
        .json["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let now = app.state.clock.unix();
    let alice = json!({"id": 1, "email": "alice@example.com", "username": "alice"});
    let not_provided = json!({"detail": "Authentication credentials were not provided."});
    let bad_header = json!({"detail": "Authorization header must contain two space-delimited values", "code": "bad_authorization_header"});
    let access_claims = claims("access", json!("1"), now, 300);
    let cases: Vec<(&str, &str, Option<Vec<u8>>, u16, Option<&str>, Value)> = vec![
        (
            "valid",
            "GET",
            Some(bearer(&access)),
            200,
            None,
            alice.clone(),
        ),
        (
            "minted_valid",
            "GET",
            Some(bearer(&mint(&access_claims))),
            200,
            None,
            alice.clone(),
        ),
        (
            "int_user_id",
            "GET",
            Some(bearer(&mint(&claims("access", json!(1), now, 300)))),
            200,
            None,
            alice.clone(),
        ),
        (
            "missing_header",
            "GET",
            None,
            401,
            BEARER,
            not_provided.clone(),
        ),
        (
            "empty_header",
            "GET",
            Some(Vec::new()),
            401,
            BEARER,
            not_provided.clone(),
        ),
        (
            "keyword_only",
            "GET",
            Some(b"Bearer".to_vec()),
            401,
            BEARER,
            bad_header.clone(),
        ),
        (
            "token_with_spaces",
            "GET",
            Some(format!("Bearer {access} extra").into_bytes()),
            401,
            BEARER,
            bad_header.clone(),
        ),
        (
            "garbage_token",
            "GET",
            Some(bearer("not-a-jwt")),
            401,
            BEARER,
            given_not_valid("Token is invalid"),
        ),
        (
            "authtoken_key_as_bearer",
            "GET",
            Some(bearer(&authtoken)),
            401,
            BEARER,
            given_not_valid("Token is invalid"),
        ),
        (
            "lowercase_keyword",
            "GET",
            Some(format!("bearer {access}").into_bytes()),
            401,
            BEARER,
            not_provided.clone(),
        ),
        (
            "token_keyword",
            "GET",
            Some(format!("Token {access}").into_bytes()),
            401,
            BEARER,
            not_provided.clone(),
        ),
        (
            "jwt_keyword",
            "GET",
            Some(format!("JWT {access}").into_bytes()),
            401,
            BEARER,
            not_provided.clone(),
        ),
        (
            "expired",
            "GET",
            Some(bearer(&mint(&claims("access", json!("1"), now - 600, 300)))),
            401,
            BEARER,
            given_not_valid("Token is expired"),
        ),
        (
            "tampered",
            "GET",
            Some(bearer(&tamper(
                &access,
                &claims("access", json!("2"), now, 300),
            ))),
            401,
            BEARER,
            given_not_valid("Token is invalid"),
        ),
        (
            "alg_none",
            "GET",
            Some(bearer(&alg_none(&access_claims, "none"))),
            401,
            BEARER,
            given_not_valid("Token is invalid"),
        ),
        (
            "alg_hs512",
            "GET",
            Some(bearer(&hs512(&access_claims))),
            401,
            BEARER,
            given_not_valid("Token is invalid"),
        ),
        (
            "other_secret",
            "GET",
            Some(bearer(&mint_with(
                HEADER,
                &access_claims,
                "another-secret-another-secret-another",
            ))),
            401,
            BEARER,
            given_not_valid("Token is invalid"),
        ),
        (
            "refresh_as_access",
            "GET",
            Some(bearer(&refresh)),
            401,
            BEARER,
            given_not_valid("Token has wrong type"),
        ),
        (
            "unknown_user",
            "GET",
            Some(bearer(&mint(&claims("access", json!("999"), now, 300)))),
            401,
            BEARER,
            json!({"detail": "User not found", "code": "user_not_found"}),
        ),
        (
            "inactive_user",
            "GET",
            Some(bearer(&mint(&claims("access", json!("3"), now, 300)))),
            401,
            BEARER,
            json!({"detail": "User is inactive", "code": "user_inactive"}),
        ),
        (
            "no_user_id",
            "GET",
            Some(bearer(&mint(&without(access_claims.clone(), "user_id")))),
            401,
            BEARER,
            not_valid("Token contained no recognizable user identification"),
        ),
        (
            "no_jti",
            "GET",
            Some(bearer(&mint(&without(access_claims.clone(), "jti")))),
            401,
            BEARER,
            given_not_valid("Token has no id"),
        ),
        (
            "no_type",
            "GET",
            Some(bearer(&mint(&without(access_claims.clone(), "token_type")))),
            401,
            BEARER,
            given_not_valid("Token has no type"),
        ),
        (
            "no_exp",
            "GET",
            Some(bearer(&mint(&without(access_claims.clone(), "exp")))),
            401,
            BEARER,
            given_not_valid("Token has no 'exp' claim"),
        ),
        (
            "post_method_authenticated",
            "POST",
            Some(bearer(&access)),
            405,
            None,
            json!({"detail": "Method \"POST\" not allowed."}),
        ),
        (
            "post_method_unauthenticated",
            "POST",
            None,
            401,
            BEARER,
            not_provided.clone(),
        ),
    ];
    for (case, method, auth, status, www, expected) in cases {
        let got = app
            .api(method, "/jwt/api/me/", auth.as_deref(), Body::None)
            .await;
        assert_answer(case, &got, status, www, &expected);
    }
}

#[actix_web::test]
async fn every_attack_token_is_refused_with_401_never_500() {
    let app = jwt_app().await;
    let (access, _) = pair(&app).await;
    let now = app.state.clock.unix();
    let good = claims("access", json!("1"), now, 300);
    let parts: Vec<&str> = access.split('.').collect();
    let mut attacks: Vec<(String, String)> = Vec::new();
    for alg in ["none", "None", "NONE", "nOnE"] {
        attacks.push((format!("alg {alg}"), alg_none(&good, alg)));
        attacks.push((
            format!("alg {alg} with signature"),
            format!("{}{}", alg_none(&good, alg), parts[2]),
        ));
    }
    attacks.extend([
        ("stripped signature".into(), format!("{}.{}.", parts[0], parts[1])),
        ("no signature part".into(), format!("{}.{}", parts[0], parts[1])),
        ("blank signature".into(), format!("{}.{}.    ", parts[0], parts[1])),
        ("HS384".into(), mint_with(r#"{"alg":"HS384","typ":"JWT"}"#, &good, SECRET)),
        ("HS512".into(), hs512(&good)),
        ("RS256 header".into(), mint_with(r#"{"alg":"RS256","typ":"JWT"}"#, &good, SECRET)),
        ("another secret".into(), mint_with(HEADER, &good, "completely-different-secret-0123456789")),
        ("kid injection".into(), mint_with(r#"{"alg":"HS256","typ":"JWT","kid":"../../../../dev/null"}"#, &good, "")),
        ("jku injection".into(), mint_with(r#"{"alg":"HS256","typ":"JWT","jku":"http://127.0.0.1:9/keys"}"#, &good, "x")),
        ("x5u injection".into(), mint_with(r#"{"alg":"HS256","typ":"JWT","x5u":"http://127.0.0.1:9/cert"}"#, &good, "x")),
        ("jwk injection".into(), mint_with(r#"{"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","k":"eA"}}"#, &good, "x")),
        ("two segments".into(), "abc.def".into()),
        ("four segments".into(), format!("{access}.extra")),
        ("not base64url".into(), "!!!.@@@.###".into()),
        ("claims not an object".into(), mint(&json!(["token_type", "access"]))),
        ("claims a string".into(), mint(&json!("access"))),
        ("10 KB token".into(), mint(&json!({"token_type": "access", "exp": now + 300, "iat": now, "jti": "x", "user_id": "1", "pad": "p".repeat(10 * 1024)}))[..].to_owned() + "x"),
        ("no exp".into(), mint(&without(good.clone(), "exp"))),
        ("no jti".into(), mint(&without(good.clone(), "jti"))),
        ("no token_type".into(), mint(&without(good.clone(), "token_type"))),
        ("nbf in the future".into(), mint(&json!({"token_type": "access", "exp": now + 300, "iat": now, "nbf": now + 60, "jti": "x", "user_id": "1"}))),
        ("aud present".into(), mint(&json!({"token_type": "access", "exp": now + 300, "iat": now, "jti": "x", "user_id": "1", "aud": "api"}))),
        ("exp not a number".into(), mint(&json!({"token_type": "access", "exp": "tomorrow", "iat": now, "jti": "x", "user_id": "1"}))),
    ]);
    for (case, token) in &attacks {
        let started = std::time::Instant::now();
        let got = app
            .api("GET", "/jwt/api/me", Some(&bearer(token)), Body::None)
            .await;
        assert_eq!(got.status, 401, "{case}: {}", got.text);
        assert_eq!(got.json["code"], "token_not_valid", "{case}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{case}: no outbound fetch, no delay"
        );
        let verify = app
            .api(
                "POST",
                "/jwt/api/token/verify",
                None,
                Body::Json(&json!({"token": token}).to_string()),
            )
            .await;
        assert!(
            verify.status == 401 || (verify.status == 200 && case == "no token_type"),
            "{case} on verify: {}",
            verify.status
        );
    }
}

#[actix_web::test]
async fn an_access_token_outlives_logout_until_it_expires() {
    let app = jwt_app().await;
    let (access, refresh) = pair(&app).await;
    let logout = app
        .api(
            "POST",
            "/jwt/api/token/blacklist",
            None,
            Body::Json(&json!({"refresh": refresh}).to_string()),
        )
        .await;
    assert_eq!(logout.status, 200);
    let replay = app
        .api("GET", "/jwt/api/me", Some(&bearer(&access)), Body::None)
        .await;
    assert_eq!(
        replay.status, 200,
        "the server keeps nothing for an access token: logout cannot kill it"
    );
    // Ten seconds short of its five minutes (real seconds pass too, on a busy machine), then past.
    app.advance_clock("4m50s").await;
    assert_eq!(
        app.api("GET", "/jwt/api/me", Some(&bearer(&access)), Body::None)
            .await
            .status,
        200
    );
    app.advance_clock("10s").await;
    let expired = app
        .api("GET", "/jwt/api/me", Some(&bearer(&access)), Body::None)
        .await;
    assert_answer(
        "after exp",
        &expired,
        401,
        BEARER,
        &given_not_valid("Token is expired"),
    );
}

#[actix_web::test]
async fn expiry_follows_the_lab_clock_and_the_refresh_token_carries_on() {
    let app = jwt_app().await;
    let (access, refresh) = pair(&app).await;
    app.advance_clock("5m").await;
    assert_eq!(
        app.api("GET", "/jwt/api/me", Some(&bearer(&access)), Body::None)
            .await
            .status,
        401
    );
    let got = app.jwt_refresh(&refresh).await;
    assert_pair(
        "refreshed after the access token expired",
        &got,
        ["access", "refresh"],
    );
    let new_access = got.json["access"].as_str().unwrap_or_default().to_owned();
    // 73 refreshed_access_ok.
    let me = app
        .api("GET", "/jwt/api/me", Some(&bearer(&new_access)), Body::None)
        .await;
    assert_answer(
        "refreshed_access_ok",
        &me,
        200,
        None,
        &json!({"id": 1, "email": "alice@example.com", "username": "alice"}),
    );
    app.advance_clock("1d").await;
    let stale = got.json["refresh"].as_str().unwrap_or_default().to_owned();
    let got = app.jwt_refresh(&stale).await;
    assert_answer(
        "refresh after a day",
        &got,
        401,
        BEARER,
        &not_valid("Token is expired"),
    );
}

/// Two clients presenting the same refresh token at the same moment; their statuses, sorted.
async fn race_two_refreshes(app: &TestApp, refresh: &str) -> Vec<u16> {
    let body = json!({"refresh": refresh}).to_string();
    let mut handles = Vec::new();
    for _ in 0..2 {
        let (client, url, body) = (
            common::bare_client(),
            app.url("/jwt/api/token/refresh"),
            body.clone(),
        );
        handles.push(actix_web::rt::spawn(async move {
            client
                .post(url)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.expect("joined").expect("sent"));
    }
    statuses.sort_unstable();
    statuses
}

#[actix_web::test]
async fn without_a_grace_window_two_concurrent_refreshes_let_exactly_one_through() {
    let app = spawn_app_with(|s| {
        s.login_throttle = authlab::config::Throttle::Off;
        s.refresh_grace = "0s".parse().expect("a duration");
    })
    .await;
    let (_, refresh) = pair(&app).await;
    assert_eq!(
        race_two_refreshes(&app, &refresh).await,
        [200, 401],
        "exactly one of the racing refreshes wins"
    );
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM jwt_outstanding WHERE used_at IS NOT NULL"),
        1,
        "one atomic update claimed the token"
    );
}

#[actix_web::test]
async fn two_tabs_refreshing_one_token_at_once_both_stay_logged_in_inside_the_grace_window() {
    let app = jwt_app().await;
    let (_, refresh) = pair(&app).await;
    assert_eq!(race_two_refreshes(&app, &refresh).await, [200, 200]);
    let live = "SELECT COUNT(*) FROM jwt_outstanding o WHERE used_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM jwt_blacklisted b WHERE b.outstanding_id = o.id)";
    assert_eq!(
        app.query_one::<i64>(live),
        1,
        "both tabs got the same new refresh token: one chain, no fork"
    );
    let again = app.jwt_refresh(&refresh).await;
    assert_eq!(again.status, 200, "{}", again.text);
    let successor: String = app.query_one(
        "SELECT token FROM jwt_outstanding o WHERE used_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM jwt_blacklisted b WHERE b.outstanding_id = o.id)",
    );
    assert_eq!(
        again.json["refresh"],
        successor.as_str(),
        "the same successor again"
    );

    // A replay after the window is theft again: the whole family, both tabs' tokens, falls.
    app.advance_clock("6s").await;
    let late = app.jwt_refresh(&refresh).await;
    assert_answer(
        "replay after the window",
        &late,
        401,
        BEARER,
        &not_valid("Token is blacklisted"),
    );
    assert_eq!(
        app.query_one::<i64>(
            "SELECT COUNT(*) FROM jwt_outstanding o WHERE NOT EXISTS
             (SELECT 1 FROM jwt_blacklisted b WHERE b.outstanding_id = o.id)"
        ),
        0
    );
}

#[actix_web::test]
async fn a_thief_and_a_victim_racing_one_refresh_token_both_end_up_logged_out() {
    let app = jwt_app().await;
    let (_, stolen) = pair(&app).await;
    let thief = app.jwt_refresh(&stolen).await;
    assert_eq!(thief.status, 200);
    let thief_refresh = thief.json["refresh"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The victim's own refresh comes later than the grace window.
    app.advance_clock("6s").await;
    let victim = app.jwt_refresh(&stolen).await;
    assert_answer(
        "victim replays",
        &victim,
        401,
        BEARER,
        &not_valid("Token is blacklisted"),
    );
    let thief_again = app.jwt_refresh(&thief_refresh).await;
    assert_answer(
        "thief's next refresh",
        &thief_again,
        401,
        BEARER,
        &not_valid("Token is blacklisted"),
    );
}

#[actix_web::test]
async fn claims_costs_no_query_and_me_costs_one() {
    let app = jwt_app().await;
    let (access, _) = pair(&app).await;
    let got = app
        .api("GET", "/jwt/api/claims", Some(&bearer(&access)), Body::None)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(
        common::queries_in(&got.server_timing),
        0,
        "{}",
        got.server_timing
    );
    assert_eq!(got.json["claims"]["user_id"], "1");
    let me = app
        .api("GET", "/jwt/api/me", Some(&bearer(&access)), Body::None)
        .await;
    assert_eq!(common::queries_in(&me.server_timing), 1);
}

#[actix_web::test]
async fn the_server_keeps_the_refresh_token_and_nothing_of_the_access_token() {
    let app = jwt_app().await;
    let (access, refresh) = pair(&app).await;
    let jti = |token: &str| {
        decode(token.split('.').nth(1).unwrap_or_default())["jti"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let (access_jti, refresh_jti) = (jti(&access), jti(&refresh));
    let stored = |jti: &str| {
        app.query_one::<i64>(&format!(
            "SELECT COUNT(*) FROM jwt_outstanding WHERE jti = '{jti}'"
        ))
    };
    assert_eq!(stored(&refresh_jti), 1, "the refresh token is remembered");
    assert_eq!(stored(&access_jti), 0, "the access token is not");
    let stored_access: i64 = app.query_one(&format!(
        "SELECT COUNT(*) FROM jwt_outstanding WHERE token = '{access}'"
    ));
    assert_eq!(stored_access, 0);

    // The server panel says the same, from the same tables.
    let authorization = bearer(&access);
    let panel = || app.api("GET", "/jwt/api/inspect", Some(&authorization), Body::None);
    let inspect = panel().await;
    assert_eq!(inspect.status, 200, "{}", inspect.text);
    assert_eq!(inspect.json["access_rows"], 0);
    assert_eq!(inspect.json["refresh_rows"][0]["jti"], refresh_jti.as_str());
    assert_eq!(inspect.json["totals"]["outstanding"], 1);
    // The wire panel: the exact header this request carried, and its size.
    let header = format!("Bearer {access}");
    assert_eq!(inspect.json["wire"]["value"], header.as_str());
    assert_eq!(
        inspect.json["wire"]["size"],
        "Authorization: ".len() + header.len()
    );

    // After a rotation the panel shows the used token blacklisted and its successor live.
    let rotated = app
        .api(
            "POST",
            "/jwt/api/token/refresh/",
            None,
            Body::Json(&json!({ "refresh": refresh }).to_string()),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let inspect = panel().await;
    let rows = &inspect.json["refresh_rows"];
    assert_eq!(
        rows[0]["jti"],
        jti(rotated.json["refresh"].as_str().unwrap_or_default()).as_str()
    );
    assert!(rows[0]["blacklisted_at"].is_null(), "the successor is live");
    assert_eq!(rows[1]["jti"], refresh_jti.as_str());
    assert!(
        rows[1]["blacklisted_at"].is_i64(),
        "the used one is blacklisted: {rows}"
    );
    assert_eq!(inspect.json["totals"]["blacklisted"], 1);
}

#[actix_web::test]
async fn any_server_with_the_key_accepts_the_token() {
    let first = jwt_app().await;
    let (access, _) = pair(&first).await;
    let second = jwt_app().await;
    let got = second
        .api("GET", "/jwt/api/claims", Some(&bearer(&access)), Body::None)
        .await;
    assert_eq!(
        got.status, 200,
        "a second server with its own empty database accepts it: stateless"
    );
}

#[actix_web::test]
async fn deleted_and_deactivated_users_are_refused() {
    let app = jwt_app().await;
    let got = app
        .api(
            "POST",
            "/jwt/api/token/",
            None,
            Body::Json(&common::login_body("email", &common::TestUser::BOB)),
        )
        .await;
    let access = got.json["access"].as_str().unwrap_or_default().to_owned();
    app.execute("UPDATE users SET is_active = 0 WHERE id = 2");
    let got = app
        .api("GET", "/jwt/api/me", Some(&bearer(&access)), Body::None)
        .await;
    assert_answer(
        "deactivated",
        &got,
        401,
        BEARER,
        &json!({"detail": "User is inactive", "code": "user_inactive"}),
    );
    app.execute("DELETE FROM users WHERE id = 2");
    let got = app
        .api("GET", "/jwt/api/me", Some(&bearer(&access)), Body::None)
        .await;
    assert_answer(
        "deleted",
        &got,
        401,
        BEARER,
        &json!({"detail": "User not found", "code": "user_not_found"}),
    );
}

#[actix_web::test]
async fn the_token_login_runs_drf_s_default_authentication_first() {
    let app = jwt_app().await;
    let body = &common::login_body("username", &common::TestUser::ALICE);
    let got = app
        .api(
            "POST",
            "/token/api/login",
            Some(b"Bearer not-a-jwt"),
            Body::Json(body),
        )
        .await;
    assert_answer(
        "bad bearer on the token login",
        &got,
        401,
        BEARER,
        &given_not_valid("Token is invalid"),
    );
    let (access, _) = pair(&app).await;
    let got = app
        .api(
            "POST",
            "/token/api/login",
            Some(&bearer(&access)),
            Body::Json(body),
        )
        .await;
    assert_eq!(got.status, 200, "a valid bearer token is fine");
}

#[actix_web::test]
async fn blacklisting_a_refresh_token_of_a_user_who_no_longer_exists_is_fine_not_500() {
    let app = jwt_app().await;
    let now = app.state.clock.unix();
    let orphan = mint(&claims("refresh", json!("999"), now, 86_400));
    let got = app
        .api(
            "POST",
            "/jwt/api/token/blacklist/",
            None,
            Body::Json(&json!({"refresh": orphan}).to_string()),
        )
        .await;
    assert_answer("unknown user's refresh", &got, 200, None, &json!({}));
}

#[actix_web::test]
async fn claims_pyjwt_refuses_get_simplejwt_s_token_is_invalid() {
    // Recorded from the reference (PyJWT 2.15.1): an `iat` ahead of the clock is "not yet valid",
    // and a `jti` or `sub` that is not a string is refused, each as "Token is invalid".
    let app = jwt_app().await;
    let now = app.state.clock.unix();
    let mut iat_ahead = claims("access", json!("1"), now, 300);
    iat_ahead["iat"] = json!(now + 3_600);
    let mut jti_number = claims("access", json!("1"), now, 300);
    jti_number["jti"] = json!(12345);
    let mut sub_number = claims("access", json!("1"), now, 300);
    sub_number["sub"] = json!(7);
    for (case, payload) in [
        ("iat an hour ahead", iat_ahead),
        ("jti a number", jti_number),
        ("sub a number", sub_number),
    ] {
        let token = mint(&payload);
        let me = app
            .api("GET", "/jwt/api/me/", Some(&bearer(&token)), Body::None)
            .await;
        assert_answer(case, &me, 401, BEARER, &given_not_valid("Token is invalid"));
        let verify = app
            .api(
                "POST",
                "/jwt/api/token/verify/",
                None,
                Body::Json(&json!({"token": token}).to_string()),
            )
            .await;
        assert_answer(case, &verify, 401, BEARER, &not_valid("Token is invalid"));
    }
}
