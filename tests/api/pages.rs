//! The shared pages through the real server: overview, sign-up, users, errors, the lab clock.

use crate::common;

use common::{TestUser, spawn_app, spawn_app_on, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn the_overview_shows_all_four_schemes_and_the_comparison() {
    let app = spawn_app().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, StatusCode::OK);
    for slug in ["cookie", "session", "token", "jwt"] {
        assert!(
            html.contains(&format!("id=\"column-{slug}\"")),
            "{slug} column"
        );
    }
    assert!(html.contains("id=\"comparison\""));
    // The notes' open questions, answered in both languages.
    for question in [
        "built-in user model with a custom one?",
        "Does JWT need a custom user model?",
        "built-in token different from JWT?",
    ] {
        assert!(html.contains(question), "{question}");
    }
    let (_, korean) = app.page("/?lang=ko").await;
    for question in [
        "왜 Django 기본 user 모델 대신 커스텀 모델을 쓸까?",
        "JWT를 쓰려면 꼭 user를 커스텀해야 할까?",
        "DRF 기본 토큰과 JWT는 무엇이 다를까?",
    ] {
        assert!(korean.contains(question), "{question}");
    }
}

#[actix_web::test]
async fn each_scheme_prefix_answers_a_page() {
    let app = spawn_app().await;
    for path in ["/cookie", "/session", "/token", "/jwt", "/cookie/"] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("<html lang=\"en\">"), "{path}");
    }
}

#[actix_web::test]
async fn signing_up_creates_one_row_and_shows_it_on_users() {
    let app = spawn_app().await;
    let res = app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "  Dave@Example.com "),
                ("username", "dave"),
                ("password", "dave-pass-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(location, "/users?new=4");

    let (status, html) = app.page(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("dave@example.com"),
        "the e-mail is stored trimmed and lowercased"
    );
    assert!(html.contains("<tr id=\"user-4\" class=\"highlight\">"));
    assert!(html.contains("$argon2id$v=19$m=19456,t=2,p=1$…"));
    assert_eq!(app.user_count(), 4);
}

#[actix_web::test]
async fn every_signup_validation_error_is_explained_and_adds_no_row() {
    let app = spawn_app().await;
    let long_password = "x".repeat(1025);
    let cases: [(&str, &str, &str, &str); 7] = [
        ("", "erin", "erin-pass-123", "This field may not be blank."),
        (
            "erin",
            "erin",
            "erin-pass-123",
            "Enter a valid e-mail address",
        ),
        (
            "erin@example",
            "erin",
            "erin-pass-123",
            "Enter a valid e-mail address",
        ),
        (
            "erin@example.com",
            "",
            "erin-pass-123",
            "This field may not be blank.",
        ),
        (
            "erin@example.com",
            "erin!",
            "erin-pass-123",
            "Use only letters, digits",
        ),
        (
            "erin@example.com",
            "erin",
            "short",
            "Use at least 8 characters.",
        ),
        (
            "erin@example.com",
            "erin",
            &long_password,
            "Use at most 1024 bytes.",
        ),
    ];
    for (email, username, password, message) in cases {
        let res = app
            .submit_form(
                "/signup",
                "/signup",
                &[
                    ("email", email),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{email}/{username}");
        let html = res.text().await.unwrap_or_default();
        assert!(html.contains(message), "{message} for {email}/{username}");
        assert!(html.contains("aria-invalid=\"true\""));
    }
    assert_eq!(app.user_count(), 3);
}

#[actix_web::test]
async fn a_duplicate_email_is_refused_whatever_its_case() {
    let app = spawn_app().await;
    let res = app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "ALICE@example.com"),
                ("username", "alice2"),
                ("password", "another-pass-1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("A user with this e-mail already exists."));
    assert_eq!(app.user_count(), 3);
}

#[actix_web::test]
async fn signup_without_a_valid_csrf_token_or_from_another_site_is_refused() {
    let app = spawn_app().await;
    let fields = [
        ("email", "mallory@example.com"),
        ("username", "mallory"),
        ("password", "mallory-pass-1"),
    ];

    let no_token = app
        .client
        .post(app.url("/signup"))
        .form(&fields)
        .send()
        .await
        .expect("sent");
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);

    let token = app.csrf_token("/signup").await;
    let mut with_token: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    with_token.extend_from_slice(&fields);
    let cross_site = app
        .client
        .post(app.url("/signup"))
        .header("Origin", "https://evil.example")
        .form(&with_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    let other_browser = common::browser();
    let stolen_token = other_browser
        .post(app.url("/signup"))
        .form(&with_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        stolen_token.status(),
        StatusCode::FORBIDDEN,
        "a token is bound to its browser"
    );

    let tampered: Vec<(&str, &str)> = vec![("csrf_token", "AAAA"), fields[0], fields[1], fields[2]];
    let res = app
        .client
        .post(app.url("/signup"))
        .form(&tampered)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.user_count(), 3);
}

#[actix_web::test]
async fn demo_users_are_seeded_once_and_carol_is_inactive() {
    let app = spawn_app().await;
    assert_eq!(app.user_count(), 3);
    let (_, html) = app.page("/users").await;
    for user in [TestUser::ALICE, TestUser::BOB, TestUser::CAROL] {
        assert!(
            html.contains(&format!("<tr id=\"user-{}\"", user.id)),
            "{}",
            user.email
        );
        assert!(html.contains(user.email));
    }
    let carol_row = html.split("<tr id=\"user-3\"").nth(1).unwrap_or_default();
    let carol_row = carol_row.split("</tr>").next().unwrap_or_default();
    assert!(
        carol_row.contains("<strong>0</strong>"),
        "carol is inactive"
    );

    app.stop().await;
    let restarted = spawn_app_on(&app.db_path, |_| {}).await;
    assert_eq!(
        restarted.user_count(),
        3,
        "a restart does not duplicate the demo users"
    );
}

#[actix_web::test]
async fn no_demo_users_starts_with_an_empty_table() {
    let app = spawn_app_with(|s| s.no_demo_users = true).await;
    assert_eq!(app.user_count(), 0);
}

#[actix_web::test]
async fn security_headers_are_on_pages_api_answers_and_errors() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/nowhere", "/users"] {
        let res = app.get(path).await;
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap_or_default()
                .starts_with("default-src 'self'"),
            "{path}"
        );
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert!(h.contains_key("server-timing"), "{path}");
    }
}

#[actix_web::test]
async fn server_timing_counts_the_queries_a_request_made() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(
        common::queries(health.headers()),
        0,
        "the baseline touches no database"
    );
    let users = app.get("/users").await;
    assert_eq!(common::queries(users.headers()), 1);
    let timing = users.headers()["server-timing"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(timing.contains("auth;dur="), "{timing}");
    assert!(timing.contains("desc=\"1 query\""), "{timing}");
}

#[actix_web::test]
async fn healthz_answers_ok_without_authentication() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        res.json::<serde_json::Value>().await.ok(),
        Some(json!({"status": "ok"}))
    );
}

#[actix_web::test]
async fn bad_bodies_get_4xx_answers_never_500() {
    let app = spawn_app().await;
    let malformed = app
        .client
        .post(app.url("/lab/clock"))
        .header("content-type", "application/json")
        .body("{\"advance\": ")
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = malformed.json().await.unwrap_or_default();
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("JSON parse error - ")
    );

    let wrong_type = app
        .client
        .post(app.url("/lab/clock"))
        .header("content-type", "text/plain")
        .body("{\"advance\": \"1m\"}")
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = wrong_type.json().await.unwrap_or_default();
    assert_eq!(
        body["detail"],
        "Unsupported media type \"text/plain\" in request."
    );

    let huge = format!("{{\"advance\": \"{}\"}}", "1".repeat(40 * 1024));
    let oversized = app
        .client
        .post(app.url("/lab/clock"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("sent");
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let huge_form = format!("email={}", "a".repeat(20 * 1024));
    let oversized_form = app
        .client
        .post(app.url("/signup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge_form)
        .send()
        .await
        .expect("sent");
    assert_eq!(oversized_form.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let garbage_form = app
        .client
        .post(app.url("/signup"))
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .expect("sent");
    assert_eq!(garbage_form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(app.user_count(), 3);
}

#[actix_web::test]
async fn unknown_routes_get_a_404_page_and_api_routes_get_json() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("404 · Not found"));

    let res = app.get("/token/api/nothing").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        res.json::<serde_json::Value>().await.ok(),
        Some(json!({"detail": "Not found."}))
    );
}

#[actix_web::test]
async fn a_wrong_method_gets_405_in_the_route_s_own_format() {
    let app = spawn_app().await;
    let page = app
        .client
        .delete(app.url("/users"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.text().await.unwrap_or_default().contains("405"));

    let api = app
        .client
        .post(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(api.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        api.json::<serde_json::Value>().await.ok(),
        Some(json!({"detail": "Method \"POST\" not allowed."}))
    );
}

#[actix_web::test]
async fn a_trailing_slash_reaches_the_same_route() {
    let app = spawn_app().await;
    assert_eq!(app.get("/users/").await.status(), StatusCode::OK);
    assert_eq!(app.get("/healthz/").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn the_lab_clock_moves_and_resets_when_lab_controls_are_on() {
    let app = spawn_app().await;
    app.advance_clock("10m").await;
    assert_eq!(app.state.clock.offset().num_minutes(), 10);
    let res = app.post_json("/lab/clock", &json!({"advance": "1d"})).await;
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    assert_eq!(body["offset_seconds"], 600 + 86_400);

    let bad = app
        .post_json("/lab/clock", &json!({"advance": "soon"}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let neither = app.post_json("/lab/clock", &json!({})).await;
    assert_eq!(neither.status(), StatusCode::BAD_REQUEST);

    for _ in 0..10 {
        app.post_json("/lab/clock", &json!({"advance": "3650d"}))
            .await;
    }
    let too_far = app
        .post_json("/lab/clock", &json!({"advance": "3650d"}))
        .await;
    assert_eq!(
        too_far.status(),
        StatusCode::BAD_REQUEST,
        "the clock has a limit and never overflows"
    );
    assert_eq!(app.get("/").await.status(), StatusCode::OK);

    let reset = app.post_json("/lab/clock", &json!({"reset": true})).await;
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(app.state.clock.offset().num_seconds(), 0);
}

#[actix_web::test]
async fn the_lab_clock_is_not_there_when_lab_controls_are_off() {
    let app = spawn_app_with(|s| s.no_lab = true).await;
    let res = app
        .post_json("/lab/clock", &json!({"advance": "10m"}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.state.clock.offset().num_seconds(), 0);
}

#[test]
fn no_template_relies_on_inline_script_or_style_the_csp_would_block() {
    let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let html = std::fs::read_to_string(&path).unwrap_or_default();
            let name = path.display();
            assert!(
                !html.contains(" style=\""),
                "{name}: an inline style attribute"
            );
            assert!(!html.contains("<style"), "{name}: an inline <style>");
            for tag in html.match_indices("<script").map(|(at, _)| &html[at..]) {
                let open = &tag[..tag.find('>').unwrap_or(tag.len())];
                assert!(open.contains("src="), "{name}: an inline <script>");
            }
            assert!(
                !html.contains(" onclick=") && !html.contains(" onsubmit="),
                "{name}: an inline handler"
            );
        }
    }
}

#[actix_web::test]
async fn the_scheme_labs_that_speak_json_answer_their_errors_in_json() {
    let app = spawn_app().await;
    let cases = [
        (
            "/cookie/lab/size",
            json!({"sizes": [1]}),
            StatusCode::BAD_REQUEST,
        ),
        ("/cookie/lab/replay", json!({}), StatusCode::BAD_REQUEST),
        (
            "/session/lab/load",
            json!({"count": 0}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/session/lab/replay",
            json!({"cookie": "a b"}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (path, body, status) in cases {
        let res = app.post_json(path, &body).await;
        assert_eq!(res.status(), status, "{path}");
        let media = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(media, "application/json", "{path}");
        let answer: serde_json::Value = res.json().await.unwrap_or_default();
        assert!(
            answer.is_object() && answer != json!({}),
            "{path}: {answer}"
        );
    }
    for path in ["/cookie/lab/size/clear", "/session/lab/load/clear"] {
        let res = common::bare_client()
            .post(app.url(path))
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path}");
        let answer: serde_json::Value = res.json().await.unwrap_or_default();
        assert!(answer["detail"].is_string(), "{path}: {answer}");
    }
}

#[actix_web::test]
async fn only_static_files_that_were_found_may_be_cached() {
    let app = spawn_app().await;
    let cache_control = |res: &reqwest::Response| {
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let found = common::bare_client()
        .get(app.url("/static/style.css"))
        .send()
        .await
        .expect("sent");
    assert_eq!(found.status(), StatusCode::OK);
    assert_eq!(cache_control(&found), "public, max-age=300");
    let missing = common::bare_client()
        .get(app.url("/static/nope.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        cache_control(&missing),
        "no-store",
        "an error page carries this browser's CSRF seed"
    );
}

#[actix_web::test]
async fn head_is_answered_wherever_get_is_with_the_same_headers_and_no_body() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/healthz",
        "/static/style.css",
        "/api/ping/",
        "/token/api/me",
    ] {
        let get = common::bare_client()
            .get(app.url(path))
            .send()
            .await
            .expect("sent");
        let head = common::bare_client()
            .head(app.url(path))
            .send()
            .await
            .expect("sent");
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        let length = get.bytes().await.expect("a body").len();
        assert_eq!(
            head.headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok()),
            Some(length),
            "{path}: HEAD announces the body GET sends"
        );
        assert!(
            head.bytes().await.expect("read").is_empty(),
            "{path}: no body"
        );
    }
    let post = common::bare_client()
        .post(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        post.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD"),
        "Allow lists HEAD beside GET"
    );
}

#[actix_web::test]
async fn a_form_that_is_not_utf_8_is_refused_not_stored_with_replacement_characters() {
    let app = spawn_app().await;
    let token = app.csrf_token("/signup").await;
    let send = |content_type: &'static str, body: String| {
        app.client
            .post(app.url("/signup"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let res = send(
        "application/x-www-form-urlencoded",
        format!(
            "csrf_token={token}&email=x%ff%fey%40example.com&username=pctff&password=password-123"
        ),
    )
    .await
    .expect("sent");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap_or_default()
            .contains("not valid UTF-8")
    );
    assert_eq!(app.user_count(), 3, "nothing stored");

    // Media types are case-insensitive: the same form, well encoded, under a capitalised type.
    let res = send(
        "Application/X-WWW-Form-Urlencoded",
        format!("csrf_token={token}&email=dora%40example.com&username=dora&password=password-123"),
    )
    .await
    .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.user_count(), 4);
}

#[actix_web::test]
async fn a_loopback_server_refuses_a_host_that_is_not_this_machine() {
    let app = spawn_app().await;
    let port = app
        .url("/")
        .split(':')
        .nth(2)
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    let with_host = |host: String, path: &'static str| {
        common::bare_client()
            .get(app.url(path))
            .header("host", host)
            .send()
    };
    for path in ["/", "/healthz", "/lab/clock"] {
        let res = with_host(format!("evil.example:{port}"), path)
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(
            res.headers().contains_key("x-content-type-options"),
            "{path}"
        );
        assert!(
            res.text()
                .await
                .unwrap_or_default()
                .contains("Invalid Host header"),
            "{path}"
        );
    }
    let res = with_host(format!("localhost:{port}"), "/healthz")
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);

    let proxied = spawn_app_with(|s| s.public_url = Some("https://authlab.example".into())).await;
    let res = common::bare_client()
        .get(proxied.url("/healthz"))
        .header("host", "authlab.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the public URL's host is this server"
    );
}

#[actix_web::test]
async fn the_language_switch_on_a_refused_login_leads_to_a_page_that_answers_get() {
    let app = spawn_app().await;
    for (form_page, action) in [("/session", "/session/login"), ("/cookie", "/cookie/login")] {
        let refused = app
            .submit_form(
                form_page,
                action,
                &[
                    ("email", "alice@example.com"),
                    ("password", "wrong-password"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let page = refused.text().await.unwrap_or_default();
        let switch = format!("href=\"{form_page}?lang=ko\"");
        assert!(
            page.contains(&switch),
            "{action}: the switch leads to {form_page}"
        );
        assert!(
            !page.contains(&format!("href=\"{action}?lang=")),
            "{action}: not to the POST-only address"
        );
        let korean = app.get(&format!("{form_page}?lang=ko")).await;
        assert_eq!(korean.status(), StatusCode::OK);
    }
}
