//! The DRF wire cases CONTRACT.md did not record, recorded from the reference (Django 5.2.19,
//! DRF 3.18.3, simplejwt 5.5.1, PyJWT 2.15.1 behind gunicorn 27) and answered byte for byte:
//! multipart bodies, `OPTIONS`, `Accept` negotiation, declared charsets, JSON-like media types and
//! two `Authorization` headers.

use crate::common;

use common::{Answer, TestApp, TestUser, assert_answer, spawn_app_with};
use serde_json::{Value, json};

const SEEDED_KEY: &str = "0123456789abcdef0123456789abcdef01234567";
const BEARER: Option<&str> = Some("Bearer realm=\"api\"");
const BOUNDARY: &str = "------------------------d74496d66958873e";

async fn wire_app() -> TestApp {
    let app = spawn_app_with(|s| s.login_throttle = authlab::config::Throttle::Off).await;
    app.execute(&format!(
        "INSERT INTO authtoken_token (key, user_id, created) VALUES ('{SEEDED_KEY}', 1, 0)"
    ));
    app
}

/// A multipart body as curl `-F` writes it: each `(name, filename, value)` one part.
fn multipart(parts: &[(&str, Option<&str>, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, filename, value) in parts {
        body.push_str(&format!("--{BOUNDARY}\r\n"));
        match filename {
            Some(file) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )),
            None => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            )),
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body.into_bytes()
}

async fn post_multipart(app: &TestApp, path: &str, body: &[u8]) -> Answer {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    app.raw(
        "POST",
        path,
        &[("Content-Type", content_type.as_bytes())],
        body,
    )
    .await
}

#[actix_web::test]
async fn multipart_logins_read_their_fields_as_drf_s_multipart_parser_does() {
    let app = wire_app().await;
    let login = "/token/api/login/";
    let (user, pass) = (TestUser::ALICE.email, TestUser::ALICE.password);

    let got = post_multipart(
        &app,
        login,
        &multipart(&[("username", None, user), ("password", None, pass)]),
    )
    .await;
    assert_answer(
        "multipart_ok",
        &got,
        200,
        None,
        &json!({"token": SEEDED_KEY}),
    );
    let got = post_multipart(
        &app,
        login,
        &multipart(&[
            ("username", None, user),
            ("password", None, pass),
            ("extra", None, "whatever"),
        ]),
    )
    .await;
    assert_answer(
        "multipart_extra_field",
        &got,
        200,
        None,
        &json!({"token": SEEDED_KEY}),
    );
    let got = post_multipart(
        &app,
        login,
        &multipart(&[
            ("username", None, user),
            ("password", None, "wrong-password"),
        ]),
    )
    .await;
    assert_answer(
        "multipart_wrong_password",
        &got,
        400,
        None,
        &json!({"non_field_errors": ["Unable to log in with provided credentials."]}),
    );
    let got = post_multipart(&app, login, &multipart(&[("username", None, user)])).await;
    assert_answer(
        "multipart_missing_password",
        &got,
        400,
        None,
        &json!({"password": ["This field is required."]}),
    );
    let got = post_multipart(
        &app,
        login,
        &multipart(&[("username", None, ""), ("password", None, "")]),
    )
    .await;
    assert_answer(
        "multipart_empty_both",
        &got,
        400,
        None,
        &json!({"username": ["This field may not be blank."], "password": ["This field may not be blank."]}),
    );
    let got = post_multipart(
        &app,
        login,
        &multipart(&[("username", None, user), ("password", Some("pw.txt"), pass)]),
    )
    .await;
    assert_answer(
        "multipart_password_file_part_correct_content",
        &got,
        400,
        None,
        &json!({"password": ["Not a valid string."]}),
    );
    let got = post_multipart(
        &app,
        login,
        &multipart(&[
            ("username", None, user),
            ("password", None, "wrong"),
            ("password", None, pass),
        ]),
    )
    .await;
    assert_answer(
        "multipart_duplicate_password_last_good",
        &got,
        200,
        None,
        &json!({"token": SEEDED_KEY}),
    );
    let got = app
        .raw(
            "POST",
            login,
            &[("Content-Type", b"multipart/form-data")],
            &multipart(&[("username", None, user), ("password", None, pass)]),
        )
        .await;
    assert_answer(
        "multipart_no_boundary_param",
        &got,
        400,
        None,
        &json!({"detail": "Multipart form parse error - Invalid boundary in multipart: None"}),
    );

    // simplejwt's obtain view reads the same parser's fields (`email`, `password`).
    let got = post_multipart(
        &app,
        "/jwt/api/token/",
        &multipart(&[("email", None, user), ("password", None, pass)]),
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert!(got.text.starts_with(r#"{"refresh":"#), "{}", got.text);
    let refresh = got.json["refresh"].as_str().unwrap_or_default().to_owned();
    let got = post_multipart(
        &app,
        "/jwt/api/token/verify/",
        &multipart(&[("token", None, &refresh)]),
    )
    .await;
    assert_answer("jwt_verify.multipart_ok", &got, 200, None, &json!({}));
}

/// The reference's `OPTIONS` bodies, byte for byte.
fn metadata(name: &str, description: &str, actions: Option<Value>) -> String {
    let renders = if name == "Obtain Auth Token" {
        json!(["application/json"])
    } else {
        json!(["application/json", "text/html"])
    };
    let parses = if name == "Obtain Auth Token" {
        json!([
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/json"
        ])
    } else {
        json!([
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data"
        ])
    };
    let mut body =
        json!({"name": name, "description": description, "renders": renders, "parses": parses});
    if let Some(actions) = actions {
        body["actions"] = actions;
    }
    body.to_string()
}

fn field(label: &str, required: bool) -> Value {
    json!({"type": "string", "required": required, "read_only": !required, "label": label})
}

#[actix_web::test]
async fn options_answers_drf_s_metadata_after_authentication() {
    let app = wire_app().await;
    let token = format!("Token {SEEDED_KEY}");
    let cases: Vec<(&str, Option<&str>, String, &str)> = vec![
        (
            "/api/ping/",
            None,
            metadata("Ping", "Unauthenticated baseline.", None),
            "GET, HEAD, OPTIONS",
        ),
        (
            "/token/api/login/",
            None,
            metadata(
                "Obtain Auth Token",
                "",
                Some(
                    json!({"POST": {"username": field("Username", true), "password": field("Password", true), "token": field("Token", false)}}),
                ),
            ),
            "POST, OPTIONS",
        ),
        (
            "/token/api/me/",
            Some(&token),
            metadata(
                "Token Me",
                "Protected by DRF TokenAuthentication (Authorization: Token <key>).",
                None,
            ),
            "GET, HEAD, PATCH, OPTIONS",
        ),
        (
            "/jwt/api/token/",
            Some("Bearer garbage"),
            metadata(
                "Token Obtain Pair",
                "Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.",
                Some(
                    json!({"POST": {"email": field("Email", true), "password": field("Password", true)}}),
                ),
            ),
            "POST, OPTIONS",
        ),
        (
            "/jwt/api/token/refresh/",
            None,
            metadata(
                "Token Refresh",
                "Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.",
                Some(
                    json!({"POST": {"refresh": field("Refresh", true), "access": field("Access", false)}}),
                ),
            ),
            "POST, OPTIONS",
        ),
        (
            "/jwt/api/token/verify/",
            None,
            metadata(
                "Token Verify",
                "Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.",
                Some(json!({"POST": {"token": field("Token", true)}})),
            ),
            "POST, OPTIONS",
        ),
        (
            "/jwt/api/token/blacklist/",
            None,
            metadata(
                "Token Blacklist",
                "Takes a token and blacklists it. Must be used with the\n`rest_framework_simplejwt.token_blacklist` app installed.",
                Some(json!({"POST": {"refresh": field("Refresh", true)}})),
            ),
            "POST, OPTIONS",
        ),
    ];
    for (path, authorization, body, allow) in cases {
        let got = app
            .api(
                "OPTIONS",
                path,
                authorization.map(str::as_bytes),
                common::Body::None,
            )
            .await;
        assert_eq!(got.status, 200, "{path}: {}", got.text);
        assert_eq!(got.text, body, "{path}");
        assert_eq!(got.allow.as_deref(), Some(allow), "{path}");
    }

    // Authentication comes first, exactly as on GET and POST.
    let got = app
        .api("OPTIONS", "/token/api/me/", None, common::Body::None)
        .await;
    assert_answer(
        "token_me.options_no_auth",
        &got,
        401,
        Some("Token"),
        &json!({"detail": "Authentication credentials were not provided."}),
    );
    let got = app
        .api(
            "OPTIONS",
            "/token/api/login/",
            Some(b"Token not-a-real-key"),
            common::Body::None,
        )
        .await;
    assert_answer(
        "token_obtain.options_bad_token",
        &got,
        401,
        BEARER,
        &json!({"detail": "Invalid token."}),
    );
    let got = app
        .api("OPTIONS", "/jwt/api/me/", None, common::Body::None)
        .await;
    assert_answer(
        "jwt_me.options_no_auth",
        &got,
        401,
        BEARER,
        &json!({"detail": "Authentication credentials were not provided."}),
    );
}

#[actix_web::test]
async fn an_accept_header_without_json_is_406_before_anything_else() {
    let app = wire_app().await;
    let not_acceptable = json!({"detail": "Could not satisfy the request Accept header."});
    for (case, method, path, authorization, accept) in [
        (
            "ping.accept_xml",
            "GET",
            "/api/ping/",
            None,
            "application/xml",
        ),
        ("ping.accept_text", "GET", "/api/ping/", None, "text/plain"),
        (
            "token_me.bad_token_accept_xml",
            "GET",
            "/token/api/me/",
            Some(&b"Token nope"[..]),
            "application/xml",
        ),
        (
            "jwt_obtain.accept_xml",
            "POST",
            "/jwt/api/token/",
            None,
            "application/xml",
        ),
        (
            "token_obtain.options_accept_xml",
            "OPTIONS",
            "/token/api/login/",
            None,
            "application/xml",
        ),
    ] {
        let mut headers: Vec<(&str, &[u8])> = vec![("Accept", accept.as_bytes())];
        if let Some(raw) = authorization {
            headers.push(("Authorization", raw));
        }
        let got = app.raw(method, path, &headers, b"").await;
        assert_answer(case, &got, 406, None, &not_acceptable);
    }
    for accept in [
        "*/*",
        "application/*",
        "application/json; indent=4",
        "APPLICATION/JSON",
        "application/xml, application/json;q=0.5",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ] {
        let got = app
            .raw("GET", "/api/ping/", &[("Accept", accept.as_bytes())], b"")
            .await;
        assert_eq!(
            (got.status, got.text.as_str()),
            (200, r#"{"ping":"pong"}"#),
            "{accept}"
        );
    }
}

#[actix_web::test]
async fn json_bodies_are_decoded_by_their_declared_charset() {
    let app = wire_app().await;
    let token = format!("Token {SEEDED_KEY}");
    let patch = |content_type: &'static str, body: Vec<u8>| {
        let token = token.clone();
        let app = &app;
        async move {
            app.raw(
                "PATCH",
                "/token/api/me/",
                &[
                    ("Authorization", token.as_bytes()),
                    ("Content-Type", content_type.as_bytes()),
                ],
                &body,
            )
            .await
        }
    };
    // "café" in Latin-1 is 63 61 66 e9: the server must read it as é, not refuse it as bad UTF-8.
    let latin1 = b"{\"username\": \"caf\xe9\"}".to_vec();
    let got = patch("application/json; charset=latin-1", latin1.clone()).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json["username"], "café");
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            "{\"username\": \"zoë\"}"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let got = patch("application/json; charset=utf-16", utf16).await;
    assert_eq!(got.json["username"], "zoë", "{}", got.text);
    let got = patch("application/json; charset=\"ISO-8859-1\"", latin1.clone()).await;
    assert_eq!(got.json["username"], "café", "{}", got.text);

    // Without a charset (or with one Python does not know) the body is UTF-8, and 0xe9 alone is not.
    for content_type in ["application/json", "application/json; charset=foo"] {
        let got = patch(content_type, latin1.clone()).await;
        assert_eq!(got.status, 400, "{content_type}: {}", got.text);
        assert!(
            got.json["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("JSON parse error - "))
        );
    }
    let got = patch(
        "application/json; charset=utf-16",
        b"{\"username\": \"x\"}".to_vec(),
    )
    .await;
    assert_answer(
        "charset_utf16_charset_utf8_body",
        &got,
        400,
        None,
        &json!({"detail": "JSON parse error - UTF-16 stream does not start with BOM"}),
    );
    let got = patch(
        "application/json",
        b"\xef\xbb\xbf{\"username\": \"x\"}".to_vec(),
    )
    .await;
    assert_eq!(got.status, 400);
    assert!(got.text.contains("Unexpected UTF-8 BOM"), "{}", got.text);
    let me = app
        .api(
            "GET",
            "/token/api/me/",
            Some(token.as_bytes()),
            common::Body::None,
        )
        .await;
    assert_eq!(
        me.json["username"], "café",
        "no refused body changed anything"
    );
}

#[actix_web::test]
async fn json_like_media_types_are_415_as_drf_refuses_them() {
    let app = wire_app().await;
    let body = br#"{"username": "alice@example.com", "password": "alice-pass-123"}"#;
    for media in [
        "application/vnd.api+json",
        "application/merge-patch+json",
        "text/json",
        "application/problem+json",
    ] {
        for path in ["/token/api/login/", "/jwt/api/token/"] {
            let got = app
                .raw("POST", path, &[("Content-Type", media.as_bytes())], body)
                .await;
            assert_answer(
                media,
                &got,
                415,
                None,
                &json!({"detail": format!("Unsupported media type \"{media}\" in request.")}),
            );
        }
    }
    let got = app
        .raw(
            "POST",
            "/token/api/login/",
            &[("Content-Type", b"Application/Json")],
            body,
        )
        .await;
    assert_answer(
        "case-insensitive",
        &got,
        200,
        None,
        &json!({"token": SEEDED_KEY}),
    );
}

#[actix_web::test]
async fn two_authorization_headers_are_read_joined_as_gunicorn_joins_them_and_never_authenticate() {
    let app = wire_app().await;
    let (good, bad) = (
        format!("Token {SEEDED_KEY}"),
        "Token 0000000000000000000000000000000000000000".to_owned(),
    );
    let spaces = json!({"detail": "Invalid token header. Token string should not contain spaces."});
    for (case, first, second) in [
        ("two_auth_valid_then_invalid", &good, &bad),
        ("two_auth_invalid_then_valid", &bad, &good),
        ("two_auth_valid_twice", &good, &good),
    ] {
        let got = app
            .raw(
                "GET",
                "/token/api/me/",
                &[
                    ("Authorization", first.as_bytes()),
                    ("Authorization", second.as_bytes()),
                ],
                b"",
            )
            .await;
        assert_answer(case, &got, 401, Some("Token"), &spaces);
    }
    let got = app
        .raw(
            "GET",
            "/token/api/me/",
            &[
                ("Authorization", b"Token"),
                ("Authorization", good.as_bytes()),
            ],
            b"",
        )
        .await;
    assert_answer(
        "two_auth_keyword_only_then_valid",
        &got,
        401,
        Some("Token"),
        &json!({"detail": "Authentication credentials were not provided."}),
    );
    let got = app
        .raw(
            "GET",
            "/jwt/api/me/",
            &[
                ("Authorization", b"Bearer a.b.c"),
                ("Authorization", b"Bearer not-a-jwt"),
            ],
            b"",
        )
        .await;
    assert_answer(
        "jwt_me.two_auth",
        &got,
        401,
        BEARER,
        &json!({"detail": "Authorization header must contain two space-delimited values", "code": "bad_authorization_header"}),
    );
}
