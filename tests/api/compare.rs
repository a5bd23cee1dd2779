//! The cross-scheme labs through the real server: the replay matrix, two devices, the password
//! change, key rotation and the reset.

use crate::common;

use common::{Body, TestUser, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Whether each replayed cell was accepted, in column order.
fn verdicts(cells: &Value) -> Vec<bool> {
    cells
        .as_array()
        .map(|cells| {
            cells
                .iter()
                .map(|c| c["accepted"].as_bool().unwrap_or(false))
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn the_replay_matrix_shows_what_survives_each_event() {
    let app = spawn_app().await;
    let res = app
        .post_json("/lab/matrix", &json!({"rotate_keys": true}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let matrix: Value = res.json().await.unwrap_or_default();
    assert_eq!(
        matrix["columns"],
        json!(["cookie", "session", "token", "jwt_access", "jwt_refresh"])
    );
    let rows = matrix["rows"].as_array().cloned().unwrap_or_default();
    let expected: [(&str, [bool; 5]); 5] = [
        // signed cookie, session, DRF token, JWT access, JWT refresh
        ("logout", [true, false, false, true, false]),
        ("clock10m", [true, true, true, false, true]),
        ("clock1d", [false, false, true, false, false]),
        ("password_change", [true, false, true, true, false]),
        ("key_rotation", [false, true, true, false, false]),
    ];
    assert_eq!(rows.len(), 5);
    for (row, (event, cells)) in rows.iter().zip(expected) {
        assert_eq!(row["event"], event);
        assert_eq!(verdicts(&row["cells"]), cells, "{event}: {row}");
    }
    assert_eq!(
        app.state.clock.offset().num_seconds(),
        0,
        "the matrix puts the lab clock back"
    );
    assert_eq!(app.user_count(), 3, "its throwaway users are gone");
}

#[actix_web::test]
async fn the_matrix_leaves_key_rotation_out_unless_asked() {
    let app = spawn_app().await;
    let keys = app.state.keys();
    let matrix: Value = app
        .post_json("/lab/matrix", &json!({}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(matrix["rows"][4]["ran"], false);
    assert_eq!(
        app.state.keys().jwt.as_bytes(),
        keys.jwt.as_bytes(),
        "nobody was logged out by surprise"
    );
}

#[actix_web::test]
async fn labs_whose_own_logins_are_throttled_say_so_instead_of_showing_made_up_cells() {
    let app = spawn_app().await;
    // Enough failed logins from this address (127.0.0.1, the labs' own too) to throttle it.
    for i in 0..21 {
        let body =
            format!(r#"{{"username": "nobody{i}@example.com", "password": "wrong-pass-1"}}"#);
        app.api("POST", "/token/api/login", None, Body::Json(&body))
            .await;
    }
    for lab in ["/lab/matrix", "/lab/two-devices"] {
        let res = app.post_json(lab, &json!({})).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{lab}");
        assert!(res.headers().contains_key("retry-after"), "{lab}");
        let body: Value = res.json().await.unwrap_or_default();
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("Request was throttled.")),
            "{lab}: {body}"
        );
    }
    assert_eq!(app.user_count(), 3, "no throwaway user is left behind");
}

#[actix_web::test]
async fn a_second_server_with_only_the_jwt_secret_accepts_the_claims_and_nothing_else() {
    let app = spawn_app().await;
    let res = app.post_json("/lab/second-server", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let result: Value = res.json().await.unwrap_or_default();
    let cells: Vec<(bool, u64)> = result["cells"]
        .as_array()
        .map(|cells| {
            cells
                .iter()
                .map(|c| {
                    (
                        c["accepted"].as_bool().unwrap_or(true),
                        c["status"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // cookie, session, DRF key, JWT on /jwt/api/me, refresh: all need this server's state.
    assert_eq!(cells, [(false, 401); 5], "{result}");
    assert_eq!(
        result["cells"][3]["answer"], "User not found",
        "the JWT itself passed; the user row is in the first server's database"
    );
    assert_eq!(result["claims"]["accepted"], true, "{result}");
    assert_eq!(result["claims"]["status"], 200);
    assert_eq!(app.user_count(), 3, "the throwaway user is gone");
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("authlab-second-server-")
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "the second server's database is deleted: {left:?}"
    );
}

#[actix_web::test]
async fn two_devices_show_two_sessions_one_shared_key_and_two_jwt_families() {
    let app = spawn_app().await;
    let result: Value = app
        .post_json("/lab/two-devices", &json!({}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(result["server"]["cookie_rows"], 0);
    assert_eq!(result["server"]["session_rows"], 2);
    assert_eq!(result["server"]["token_rows"], 1);
    assert_eq!(result["server"]["same_token"], true);
    assert_eq!(result["server"]["jwt_families"], 2);
    let accepted = |key: &str| verdicts(&result[key]);
    // The first device's own credentials after its logout: its session row and refresh token
    // are gone, and so is the shared DRF key; a copy of the signed cookie and the access token
    // still pass until they expire (nothing on the server to delete).
    assert_eq!(
        accepted("first_device_replayed_after_logout"),
        [true, false, false, true, false]
    );
    // The second device after the first logs out: cookie, session and both JWTs live on; the
    // shared DRF key was deleted for both.
    assert_eq!(
        accepted("second_device_after_first_logs_out"),
        [true, true, false, true, true]
    );
    assert_eq!(app.user_count(), 3);
}

#[actix_web::test]
async fn a_password_change_ends_sessions_and_refresh_tokens_but_not_the_drf_key() {
    let app = spawn_app().await;
    app.session_login(&TestUser::BOB).await;
    let token = app
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
    let pair = app
        .api(
            "POST",
            "/jwt/api/token",
            None,
            Body::Json(&common::login_body("email", &common::TestUser::BOB)),
        )
        .await
        .json;
    let res = app
        .submit_form(
            "/account/password",
            "/account/password",
            &[
                ("email", "bob@example.com"),
                ("current_password", TestUser::BOB.password),
                ("new_password", "bob-new-pass-456"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("id=\"password-changed\""));
    assert!(
        html.contains("Server-side sessions ended: 1. Refresh tokens blacklisted: 1."),
        "{html}"
    );
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.api(
            "GET",
            "/token/api/me",
            Some(format!("Token {token}").as_bytes()),
            Body::None
        )
        .await
        .status,
        200
    );
    let refresh = app
        .api(
            "POST",
            "/jwt/api/token/refresh",
            None,
            Body::Json(&json!({"refresh": pair["refresh"]}).to_string()),
        )
        .await;
    assert_eq!(refresh.status, 401);
    let old = app
        .api(
            "POST",
            "/token/api/login",
            None,
            Body::Json(&common::login_body("username", &common::TestUser::BOB)),
        )
        .await;
    assert_eq!(old.status, 400, "the old password no longer logs in");

    let wrong = app
        .submit_form(
            "/account/password",
            "/account/password",
            &[
                ("email", "bob@example.com"),
                ("current_password", "nope-nope-nope"),
                ("new_password", "whatever-789"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let short = app
        .submit_form(
            "/account/password",
            "/account/password",
            &[
                ("email", "bob@example.com"),
                ("current_password", "bob-new-pass-456"),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    let no_csrf = app
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("email", "bob@example.com"),
            ("current_password", "bob-new-pass-456"),
            ("new_password", "another-pass-1"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn rotating_the_keys_ends_cookies_and_jwts_but_not_sessions_or_tokens() {
    let app = spawn_app().await;
    app.cookie_login(&TestUser::ALICE).await;
    app.session_login(&TestUser::ALICE).await;
    let pair = app
        .api(
            "POST",
            "/jwt/api/token",
            None,
            Body::Json(&common::login_body("email", &common::TestUser::ALICE)),
        )
        .await
        .json;
    let access = pair["access"].as_str().unwrap_or_default().to_owned();
    let res = app.post_json("/lab/rotate-keys", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get("/cookie/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/session/api/me").await.status(), StatusCode::OK);
    assert_eq!(
        app.api(
            "GET",
            "/jwt/api/me",
            Some(format!("Bearer {access}").as_bytes()),
            Body::None
        )
        .await
        .status,
        401
    );
    app.cookie_login(&TestUser::ALICE).await;
    assert_eq!(
        app.get("/cookie/api/me").await.status(),
        StatusCode::OK,
        "a new login uses the new key"
    );
}

#[actix_web::test]
async fn reset_leaves_exactly_the_demo_users_and_no_credentials() {
    let app = spawn_app().await;
    app.submit_form(
        "/signup",
        "/signup",
        &[
            ("email", "zoe@example.com"),
            ("username", "zoe"),
            ("password", "zoe-pass-123"),
        ],
    )
    .await;
    app.session_login(&TestUser::ALICE).await;
    app.api(
        "POST",
        "/token/api/login",
        None,
        Body::Json(&common::login_body("username", &common::TestUser::ALICE)),
    )
    .await;
    app.api(
        "POST",
        "/jwt/api/token",
        None,
        Body::Json(&common::login_body("email", &common::TestUser::ALICE)),
    )
    .await;
    app.advance_clock("1h").await;
    let keys_before = app.state.keys();

    let refused = app.post_json("/lab/reset", &json!({})).await;
    assert_eq!(
        refused.status(),
        StatusCode::BAD_REQUEST,
        "a reset needs its confirmation"
    );
    let res = app.post_json("/lab/reset", &json!({"confirm": true})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["clear-site-data"], "\"cookies\", \"storage\"");
    assert_eq!(app.user_count(), 3);
    let ids: String =
        app.query_one("SELECT group_concat(id || ':' || email, ',') FROM users ORDER BY id");
    assert_eq!(
        ids,
        "1:alice@example.com,2:bob@example.com,3:carol@example.com"
    );
    for table in [
        "sessions",
        "authtoken_token",
        "jwt_outstanding",
        "jwt_blacklisted",
    ] {
        assert_eq!(
            app.query_one::<i64>(&format!("SELECT COUNT(*) FROM {table}")),
            0,
            "{table}"
        );
    }
    assert_eq!(app.state.clock.offset().num_seconds(), 0);
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_ne!(
        app.state.keys().jwt.as_bytes(),
        keys_before.jwt.as_bytes(),
        "ids start again at 1, so the keys are new too"
    );
}

#[actix_web::test]
async fn lab_actions_take_only_json_so_another_site_cannot_post_them() {
    let app = spawn_app().await;
    let keys = app.state.keys();
    for path in [
        "/lab/rotate-keys",
        "/lab/matrix",
        "/lab/two-devices",
        "/session/lab/load/clear",
        "/cookie/lab/size",
        "/cookie/lab/size/clear",
    ] {
        let res = common::bare_client()
            .post(app.url(path))
            .header("Origin", "https://evil.example")
            .form(&[("rotate_keys", "true")])
            .send()
            .await
            .expect("sent");
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path}: another site's Origin"
        );
        let res = common::bare_client()
            .post(app.url(path))
            .form(&[("rotate_keys", "true")])
            .send()
            .await
            .expect("sent");
        assert_eq!(
            res.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{path}: a form"
        );
    }
    // JSON with another site's Origin is refused too, before anything is reset.
    app.execute("INSERT INTO authtoken_token (key, user_id, created) VALUES ('0123456789abcdef0123456789abcdef01234567', 1, 0)");
    let res = common::bare_client()
        .post(app.url("/lab/reset"))
        .header("Origin", "https://evil.example")
        .json(&serde_json::json!({"confirm": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM authtoken_token"),
        1,
        "nothing was reset"
    );
    assert_eq!(
        app.state.keys().jwt.as_bytes(),
        keys.jwt.as_bytes(),
        "nothing was rotated"
    );
}

#[actix_web::test]
async fn every_lab_route_is_404_when_lab_controls_are_off() {
    let app = spawn_app_with(|s| s.no_lab = true).await;
    for path in [
        "/lab/clock",
        "/lab/matrix",
        "/lab/two-devices",
        "/lab/rotate-keys",
        "/lab/reset",
        "/cookie/lab/size",
        "/cookie/lab/replay",
        "/session/lab/load",
        "/session/lab/replay",
    ] {
        let res = app.post_json(path, &json!({"confirm": true})).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.get("/lab/vulnerable/naive-cookie").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.user_count(), 3);
}
