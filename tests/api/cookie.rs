//! The cookie scheme through the real server: a signed cookie holds the login; the server keeps nothing.

use crate::common;

use authlab::config::Secret;
use common::{
    TestUser, bare_client, cookie_value, queries, set_cookie, spawn_app, spawn_app_on,
    spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const COOKIE: &str = "authlab_cookie";

async fn signed_cookie(app: &common::TestApp, user: &TestUser) -> String {
    let res = app.cookie_login(user).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    cookie_value(&set_cookie(&res, COOKIE).expect("the login cookie"))
}

#[actix_web::test]
async fn login_sets_a_signed_httponly_lax_cookie_and_redirects_to_me() {
    let app = spawn_app().await;
    let res = app.cookie_login(&TestUser::ALICE).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/cookie/me");
    let header = set_cookie(&res, COOKIE).expect("authlab_cookie is set");
    let attributes: Vec<&str> = header.split("; ").skip(1).collect();
    assert_eq!(
        attributes,
        ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"]
    );
    assert!(!header.contains("Secure"), "plain http is not Secure");

    let naive = set_cookie(&res, "authlab_naive").expect("the naive lab cookie");
    assert!(naive.starts_with("authlab_naive=alice@example.com|user;"));
    assert!(naive.contains("Path=/lab/vulnerable/naive-cookie"));
    assert!(
        !naive.contains("HttpOnly"),
        "page script may edit it: that is the lab"
    );

    let (status, html) = app.page("/cookie/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"who\""));
    assert!(html.contains("alice@example.com"));
}

#[actix_web::test]
async fn an_https_public_url_makes_the_cookie_secure() {
    let app = spawn_app_with(|s| s.public_url = Some("https://authlab.example".into())).await;
    let token = app.csrf_token("/cookie").await;
    let res = app
        .client
        .post(app.url("/cookie/login"))
        .header("Origin", "https://authlab.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "alice@example.com"),
            ("password", TestUser::ALICE.password),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&res, COOKIE).expect("set").contains("Secure"));
}

#[actix_web::test]
async fn the_protected_page_sends_guests_to_the_login_form() {
    let app = spawn_app().await;
    let res = app.get("/cookie/me").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/cookie?next=/cookie/me");
}

#[actix_web::test]
async fn a_safe_next_is_followed_and_anything_else_goes_home() {
    let app = spawn_app().await;
    let cases = [
        ("/users", "/users"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ];
    for (next, expected) in cases {
        let browser = common::browser();
        let page = browser
            .get(app.url("/cookie"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .unwrap_or_default();
        let token = common::csrf_from_html(&page).expect("a token");
        let res = browser
            .post(app.url("/cookie/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "alice@example.com"),
                ("password", TestUser::ALICE.password),
                ("next", next),
            ])
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(res.headers()["location"], expected, "{next}");
    }
}

#[actix_web::test]
async fn unknown_email_wrong_password_and_inactive_account_get_one_generic_refusal() {
    let app = spawn_app().await;
    let attempts = [
        ("nobody@example.com", "whatever-123"),
        ("alice@example.com", "wrong-password"),
        (TestUser::CAROL.email, TestUser::CAROL.password),
    ];
    for (email, password) in attempts {
        let res = app
            .submit_form(
                "/cookie",
                "/cookie/login",
                &[("email", email), ("password", password)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{email}");
        assert!(set_cookie(&res, COOKIE).is_none(), "{email}: no cookie");
        let html = res.text().await.unwrap_or_default();
        assert!(
            html.contains("That e-mail and password do not match an active account."),
            "{email}"
        );
        assert!(
            html.contains(&format!("value=\"{email}\"")),
            "the form keeps the e-mail"
        );
    }
}

#[actix_web::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let res = app
            .submit_form(
                "/cookie",
                "/cookie/login",
                &[("email", "bob@example.com"), ("password", "guess-guess")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
    let res = app
        .submit_form(
            "/cookie",
            "/cookie/login",
            &[
                ("email", "bob@example.com"),
                ("password", TestUser::BOB.password),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0);
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(
        res.text()
            .await
            .unwrap_or_default()
            .contains("Too many failed logins.")
    );

    let other = app.cookie_login(&TestUser::ALICE).await;
    assert_eq!(
        other.status(),
        StatusCode::SEE_OTHER,
        "another account is not affected"
    );

    app.advance_clock("15m").await;
    let after = app
        .submit_form(
            "/cookie",
            "/cookie/login",
            &[
                ("email", "bob@example.com"),
                ("password", TestUser::BOB.password),
            ],
        )
        .await;
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "the window has passed"
    );
}

#[actix_web::test]
async fn throttling_off_never_answers_429() {
    let app = spawn_app_with(|s| s.login_throttle = authlab::config::Throttle::Off).await;
    for _ in 0..8 {
        let res = app
            .submit_form(
                "/cookie",
                "/cookie/login",
                &[("email", "bob@example.com"), ("password", "guess-guess")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
}

#[actix_web::test]
async fn api_me_answers_from_the_cookie_alone_with_no_query() {
    let app = spawn_app().await;
    let anonymous = app.get("/cookie/api/me").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    assert_eq!(
        anonymous.json::<Value>().await.ok(),
        Some(json!({"detail": "Authentication credentials were not provided."}))
    );

    app.cookie_login(&TestUser::ALICE).await;
    let res = app.get("/cookie/api/me").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(queries(res.headers()), 0, "a signed cookie needs no lookup");
    assert!(
        res.headers()["server-timing"]
            .to_str()
            .unwrap_or_default()
            .contains("signed cookie verify")
    );
    assert_eq!(
        res.json::<Value>().await.ok(),
        Some(json!({"id": 1, "email": "alice@example.com", "username": "alice"}))
    );
}

#[actix_web::test]
async fn inspect_shows_the_cookie_its_readable_part_and_no_server_rows() {
    let app = spawn_app().await;
    app.cookie_login(&TestUser::ALICE).await;
    let panels: Value = app
        .get("/cookie/api/inspect")
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(panels["browser"]["name"], COOKIE);
    assert_eq!(panels["browser"]["present"], true);
    assert_eq!(
        panels["browser"]["signature"].as_str().map(str::len),
        Some(44)
    );
    let readable = panels["browser"]["readable"].as_str().unwrap_or_default();
    assert!(
        readable.contains("alice@example.com"),
        "signed, not encrypted: {readable}"
    );
    let size = panels["browser"]["size"].as_u64().unwrap_or_default();
    let value_len = panels["browser"]["value"].as_str().map_or(0, str::len) as u64;
    assert_eq!(size, COOKIE.len() as u64 + value_len);
    let attributes: Vec<&str> = panels["browser"]["attributes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
        assert!(
            attributes.contains(&attribute),
            "{attribute}: {attributes:?}"
        );
    }
    assert!(
        panels["wire"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains("authlab_cookie=")
    );
    assert_eq!(panels["server_rows"], 0);
}

#[actix_web::test]
async fn logout_removes_the_cookie_but_a_copy_works_until_it_expires() {
    let app = spawn_app().await;
    let copy = signed_cookie(&app, &TestUser::ALICE).await;

    let res = app.submit_form("/cookie/me", "/cookie/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let removal = set_cookie(&res, COOKIE).expect("a removal cookie");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(
        app.get("/cookie/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let replay = app
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={copy}"))
        .await;
    assert_eq!(
        replay.status(),
        StatusCode::OK,
        "the server keeps nothing, so logout cannot revoke a copy"
    );

    app.advance_clock("7h59m").await;
    let replay = app
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={copy}"))
        .await;
    assert_eq!(
        replay.status(),
        StatusCode::OK,
        "still inside --cookie-max-age"
    );

    app.advance_clock("2m").await;
    let replay = app
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={copy}"))
        .await;
    assert_eq!(
        replay.status(),
        StatusCode::UNAUTHORIZED,
        "the expiry inside the signed value has passed"
    );
}

#[actix_web::test]
async fn the_replay_lab_reports_what_the_server_really_answers() {
    let app = spawn_app().await;
    let copy = signed_cookie(&app, &TestUser::ALICE).await;
    app.submit_form("/cookie/me", "/cookie/logout", &[]).await;

    let answer: Value = app
        .post_json("/cookie/lab/replay", &json!({"cookie": copy}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(answer["status"], 200);
    assert!(
        answer["body"]
            .as_str()
            .unwrap_or_default()
            .contains("alice@example.com")
    );

    app.advance_clock("8h").await;
    let answer: Value = app
        .post_json("/cookie/lab/replay", &json!({"cookie": copy}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(answer["status"], 401);

    let bad = app
        .post_json("/cookie/lab/replay", &json!({"cookie": "a b;c"}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn the_identity_survives_a_restart_with_the_same_key_and_dies_with_a_new_one() {
    let app = spawn_app().await;
    let copy = signed_cookie(&app, &TestUser::ALICE).await;
    app.stop().await;

    let same_key = spawn_app_on(&app.db_path, |_| {}).await;
    let res = same_key
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={copy}"))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the generated key was kept in the database"
    );
    same_key.stop().await;

    let new_key = spawn_app_on(&app.db_path, |s| {
        s.cookie_key = Some(Secret::from_bytes(vec![7u8; 64]));
    })
    .await;
    let res = new_key
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={copy}"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_copied_cookie_value_is_refused_with_the_reason_it_cannot_be_one() {
    let app = spawn_app().await;
    for (value, reason) in [
        ("café", "printable ASCII"),
        ("a\u{7}b", "printable ASCII"),
        ("a;b", "cannot contain"),
        ("a b", "cannot contain"),
        ("   ", "empty"),
    ] {
        let res = app
            .post_json(
                "/cookie/lab/replay",
                &serde_json::json!({ "cookie": value }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{value:?}");
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(reason), "{value:?}: {detail}");
    }
}

#[actix_web::test]
async fn a_login_made_after_a_key_rotation_survives_a_restart() {
    let app = spawn_app().await;
    let res = app
        .post_json("/lab/rotate-keys", &serde_json::json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let copy = signed_cookie(&app, &TestUser::ALICE).await;
    let res = app
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={copy}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "logged in after the rotation");
    app.stop().await;

    let restarted = spawn_app_on(&app.db_path, |_| {}).await;
    let res = restarted
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={copy}"))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the rotated key was stored and the cookie's signing key never changes"
    );
}

fn flip(c: char) -> char {
    match c {
        'a' => 'b',
        '0' => '1',
        'A' => 'B',
        _ => 'a',
    }
}

#[actix_web::test]
async fn the_signed_cookie_refuses_every_edit() {
    let app = spawn_app().await;
    let value = signed_cookie(&app, &TestUser::ALICE).await;
    let decoded = percent_encoding::percent_decode_str(&value)
        .decode_utf8_lossy()
        .into_owned();

    let as_bob = decoded
        .replace("alice@example.com", "bob@example.com")
        .replace("\\\"1\\\"", "\\\"2\\\"")
        .replace("\\\"id\\\":1", "\\\"id\\\":2");
    let mut flipped_value = decoded.clone();
    let last = flipped_value.pop().map(flip).unwrap_or('x');
    flipped_value.push('x');
    flipped_value.push(last);
    let mut flipped_signature: Vec<char> = decoded.chars().collect();
    flipped_signature[5] = flip(flipped_signature[5]);
    let flipped_signature: String = flipped_signature.into_iter().collect();

    let mut other_key = actix_web::cookie::CookieJar::new();
    let foreign = actix_web::cookie::Key::from(&[9u8; 64]);
    other_key
        .signed_mut(&foreign)
        .add(actix_web::cookie::Cookie::new(
            COOKIE,
            decoded[44..].to_owned(),
        ));
    let minted = other_key
        .get(COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();

    let encode = |v: &str| {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    for (case, edited) in [
        ("the e-mail and id changed to bob", encode(&as_bob)),
        ("one value byte changed", encode(&flipped_value)),
        ("one signature byte changed", encode(&flipped_signature)),
        ("minted with another key", encode(&minted)),
        ("the signature alone", encode(&decoded[..44])),
    ] {
        let res = app
            .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={edited}"))
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{case}");
    }
    let genuine = app
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={value}"))
        .await;
    assert_eq!(
        genuine.status(),
        StatusCode::OK,
        "the unedited cookie still works"
    );
}

#[actix_web::test]
async fn a_value_signed_for_another_cookie_name_is_refused() {
    let app = spawn_app().await;
    let value = signed_cookie(&app, &TestUser::ALICE).await;
    let decoded = percent_encoding::percent_decode_str(&value)
        .decode_utf8_lossy()
        .into_owned();
    let keys = app.state.keys();
    let mut jar = actix_web::cookie::CookieJar::new();
    jar.signed_mut(&authlab::keys::Keys::derive(
        &keys.cookie_signing,
        "sessionid",
    ))
    .add(actix_web::cookie::Cookie::new(
        "sessionid",
        decoded[44..].to_owned(),
    ));
    let copied = jar
        .get("sessionid")
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let encoded =
        percent_encoding::utf8_percent_encode(&copied, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let res = app
        .get_with_cookie("/cookie/api/me", &format!("{COOKIE}={encoded}"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_naive_route_stays_vulnerable_on_purpose() {
    let app = spawn_app().await;
    let page = app
        .get_with_cookie(
            "/lab/vulnerable/naive-cookie",
            "authlab_naive=bob@example.com|admin",
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("DELIBERATELY INSECURE"));
    assert!(html.contains("The cookie says you are bob@example.com with role admin"));
    assert!(html.contains("id=\"naive-admin\""));
}

#[actix_web::test]
async fn the_tamper_lab_puts_the_edited_cookie_into_the_browser_and_the_server_refuses_it() {
    let app = spawn_app().await;
    let value = signed_cookie(&app, &TestUser::ALICE).await;
    let edited = value.replace("alice", "bobby");
    let res = app
        .submit_form("/cookie", "/cookie/lab/tamper", &[("value", &edited)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/cookie?tampered=1");
    let set = set_cookie(&res, COOKIE).expect("the edited cookie is set");
    assert_eq!(cookie_value(&set), edited);

    let (_, html) = app.page("/cookie?tampered=1").await;
    assert!(
        html.contains("id=\"tamper-result\""),
        "the page says the edit was refused"
    );
    assert_eq!(
        app.get("/cookie/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let garbage = app
        .submit_form("/cookie", "/cookie/lab/tamper", &[("value", "has space")])
        .await;
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn the_size_lab_sets_cookies_of_exactly_the_asked_sizes() {
    let app = spawn_app().await;
    let res = app.post_json("/cookie/lab/size", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    for bytes in [4000usize, 4096, 4097, 6000] {
        let header = set_cookie(&res, &format!("authlab_size_{bytes}")).expect("set");
        let pair = header.split(';').next().unwrap_or_default();
        assert_eq!(pair.len() - 1, bytes, "name + value is {bytes} bytes");
    }
    let bad = app
        .post_json("/cookie/lab/size", &json!({"sizes": [1]}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn the_per_browser_code_differs_between_browsers() {
    let app = spawn_app().await;
    let code = |html: &str| {
        html.split("id=\"browser-code\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .map(str::to_owned)
    };
    app.cookie_login(&TestUser::ALICE).await;
    let (_, first) = app.page("/cookie").await;
    let (_, again) = app.page("/cookie").await;
    assert!(
        first.contains("id=\"who\""),
        "the first browser is logged in"
    );
    let other = common::browser()
        .get(app.url("/cookie"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .unwrap_or_default();
    assert!(code(&first).is_some());
    assert_eq!(
        code(&first),
        code(&again),
        "the same browser keeps its code"
    );
    assert_ne!(
        code(&first),
        code(&other),
        "another browser has its own jar"
    );
    assert!(
        !other.contains("id=\"who\""),
        "and is not logged in: the login lives in the first browser's jar"
    );
}

#[actix_web::test]
async fn changing_the_username_moves_updated_at_and_not_created_at() {
    let app = spawn_app().await;
    app.cookie_login(&TestUser::ALICE).await;
    let created: String = app.query_one("SELECT created_at FROM users WHERE id = 1");
    let updated: String = app.query_one("SELECT updated_at FROM users WHERE id = 1");

    app.advance_clock("1h").await;
    let res = app
        .submit_form("/cookie/me", "/cookie/me", &[("username", "alice_renamed")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/cookie/me?saved=1");

    assert_eq!(
        app.query_one::<String>("SELECT created_at FROM users WHERE id = 1"),
        created
    );
    assert_ne!(
        app.query_one::<String>("SELECT updated_at FROM users WHERE id = 1"),
        updated
    );
    assert_eq!(
        app.query_one::<String>("SELECT username FROM users WHERE id = 1"),
        "alice_renamed"
    );
    let me: Value = app
        .get("/cookie/api/me")
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(
        me["username"], "alice_renamed",
        "the new cookie carries the new name"
    );

    let bad = app
        .submit_form(
            "/cookie/me",
            "/cookie/me",
            &[("username", "no spaces allowed")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.query_one::<String>("SELECT username FROM users WHERE id = 1"),
        "alice_renamed"
    );
}

#[actix_web::test]
async fn forms_without_a_valid_csrf_token_or_from_another_site_change_nothing() {
    let app = spawn_app().await;
    let no_token = app
        .client
        .post(app.url("/cookie/login"))
        .form(&[
            ("email", "alice@example.com"),
            ("password", TestUser::ALICE.password),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&no_token, COOKIE).is_none());

    app.cookie_login(&TestUser::ALICE).await;
    for (path, fields) in [
        ("/cookie/me", vec![("username", "mallory")]),
        ("/cookie/logout", vec![]),
    ] {
        app.assert_csrf_refused("/cookie/me", path, &fields).await;
    }
    assert_eq!(
        app.query_one::<String>("SELECT username FROM users WHERE id = 1"),
        "alice"
    );
    assert_eq!(
        app.get("/cookie/api/me").await.status(),
        StatusCode::OK,
        "still logged in"
    );
}

#[actix_web::test]
async fn oversized_or_garbage_cookies_are_anonymous_never_500() {
    let app = spawn_app().await;
    let client = bare_client();
    let latin1 = reqwest::header::HeaderValue::from_bytes(b"authlab_cookie=\xe9t\xe9")
        .expect("obs-text is allowed");
    let res = client
        .get(app.url("/cookie/api/me"))
        .header("Cookie", latin1)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for cookie in [
        format!("{COOKIE}={}", "A".repeat(5000)),
        format!("{COOKIE}=%%%%"),
        format!("{COOKIE}="),
        format!("{COOKIE}=not;a=cookie;;"),
        format!("{COOKIE}={}", "%7B".repeat(300)),
    ] {
        for path in ["/cookie/api/me", "/cookie/me", "/cookie"] {
            let res = client
                .get(app.url(path))
                .header("Cookie", cookie.as_str())
                .send()
                .await
                .expect("sent");
            assert!(
                res.status().is_success()
                    || res.status().is_redirection()
                    || res.status() == StatusCode::UNAUTHORIZED,
                "{path} with {} bytes: {}",
                cookie.len(),
                res.status()
            );
        }
    }
}
