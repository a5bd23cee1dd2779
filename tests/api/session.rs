//! The session scheme through the real server: an opaque key in the cookie, the login in SQLite.

use crate::common;

use common::{
    TestApp, TestUser, bare_client, browser, cookie_value, queries, session_key_of, set_cookie,
    spawn_app, spawn_app_on,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const COOKIE: &str = "sessionid";

async fn login_cookie(app: &TestApp, user: &TestUser) -> String {
    let res = app.session_login(user).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/session/me");
    cookie_value(&set_cookie(&res, COOKIE).expect("a sessionid cookie"))
}

fn rows_with_key(app: &TestApp, key: &str) -> i64 {
    let conn = rusqlite::Connection::open(&app.db_path).expect("db");
    conn.query_row(
        "SELECT COUNT(*) FROM sessions WHERE session_key = ?1",
        [key],
        |r| r.get(0),
    )
    .expect("count")
}

fn session_rows(app: &TestApp) -> i64 {
    app.query_one("SELECT COUNT(*) FROM sessions")
}

#[actix_web::test]
async fn login_renews_the_key_and_logout_leaves_nothing_usable() {
    let app = spawn_app().await;
    let anonymous = app
        .submit_form("/session", "/session/lab/anonymous", &[])
        .await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    let before = cookie_value(&set_cookie(&anonymous, COOKIE).expect("a guest session"));
    let key_before = session_key_of(&before);
    assert_eq!(rows_with_key(&app, &key_before), 1);

    let after = login_cookie(&app, &TestUser::ALICE).await;
    let key_after = session_key_of(&after);
    assert_ne!(key_before, key_after, "login renews the session key");
    assert_eq!(
        rows_with_key(&app, &key_before),
        0,
        "the pre-login row is gone"
    );
    let old = app
        .get_with_cookie("/session/api/me", &format!("{COOKIE}={before}"))
        .await;
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old key loads no state"
    );

    let inspect: Value = app
        .get("/session/api/inspect")
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(inspect["server"]["fixation"]["before"], key_before);
    assert_eq!(inspect["server"]["fixation"]["before_resolves"], false);
    assert_eq!(inspect["server"]["fixation"]["now"], key_after);

    let logout = app.submit_form("/session/me", "/session/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&logout, COOKIE)
            .expect("a removal cookie")
            .contains("Max-Age=0")
    );
    assert_eq!(rows_with_key(&app, &key_after), 0, "logout deletes the row");
    let copy = app
        .get_with_cookie("/session/api/me", &format!("{COOKIE}={after}"))
        .await;
    assert_eq!(
        copy.status(),
        StatusCode::UNAUTHORIZED,
        "a copy of the cookie is dead too"
    );
}

#[actix_web::test]
async fn the_cookie_carries_only_an_opaque_signed_key() {
    let app = spawn_app().await;
    let res = app.session_login(&TestUser::ALICE).await;
    let header = set_cookie(&res, COOKIE).expect("sessionid");
    let attributes: Vec<&str> = header.split("; ").skip(1).collect();
    assert_eq!(
        attributes,
        ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"]
    );
    let value = cookie_value(&header);
    let key = session_key_of(&value);
    assert_eq!(key.len(), 64);
    assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(
        !value.contains("alice"),
        "nothing about the user is in the cookie"
    );

    let inspect: Value = app
        .get("/session/api/inspect")
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(inspect["browser"]["name"], COOKIE);
    assert_eq!(inspect["browser"]["readable"], key.as_str());
    let state = inspect["server"]["current"]["state"]
        .as_str()
        .unwrap_or_default();
    assert!(
        state.contains("alice@example.com"),
        "the server holds the login: {state}"
    );
    assert_eq!(inspect["server"]["current"]["user_id"], 1);
    assert!(inspect["server"]["totals"]["rows"].as_i64().unwrap_or(0) >= 1);
}

#[actix_web::test]
async fn a_session_read_costs_one_query_and_last_seen_is_written_at_most_once_a_minute() {
    let app = spawn_app().await;
    app.session_login(&TestUser::ALICE).await;
    let me = app.get("/session/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        queries(me.headers()),
        1,
        "the page costs the session read only"
    );
    let api = app.get("/session/api/me").await;
    assert_eq!(queries(api.headers()), 1);
    assert!(
        api.headers()["server-timing"]
            .to_str()
            .unwrap_or_default()
            .contains("session lookup")
    );

    app.advance_clock("2m").await;
    let stale = app.get("/session/me").await;
    assert_eq!(
        queries(stale.headers()),
        2,
        "a stale last-seen is refreshed: read plus one write"
    );
    let fresh = app.get("/session/me").await;
    assert_eq!(queries(fresh.headers()), 1);
}

#[actix_web::test]
async fn two_browsers_show_as_two_devices_and_revoking_one_logs_it_out_at_once() {
    let app = spawn_app().await;
    let laptop = &app;
    let phone = spawn_client(&app);
    login_cookie(laptop, &TestUser::ALICE).await;
    phone.session_login(&TestUser::ALICE).await;

    let (status, html) = laptop.page("/session/devices").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<tr id=\"device-").count(), 2);
    assert_eq!(html.matches("class=\"current\"").count(), 1);

    let ids: Vec<i64> = {
        let conn = rusqlite::Connection::open(&app.db_path).expect("db");
        let mut stmt = conn
            .prepare("SELECT id FROM sessions WHERE user_id = 1 ORDER BY id")
            .expect("sql");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .flatten()
            .collect()
    };
    let phone_id = ids[1];
    assert_eq!(phone.get("/session/api/me").await.status(), StatusCode::OK);
    let res = laptop
        .submit_form(
            "/session/devices",
            &format!("/session/devices/{phone_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        phone.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "revoked on its very next request"
    );
    assert_eq!(laptop.get("/session/api/me").await.status(), StatusCode::OK);

    let missing = laptop
        .submit_form("/session/devices", "/session/devices/99999/revoke", &[])
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let garbage = laptop
        .submit_form("/session/devices", "/session/devices/abc/revoke", &[])
        .await;
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
}

fn spawn_client(app: &TestApp) -> TestApp {
    TestApp::same_server(app, browser())
}

#[actix_web::test]
async fn log_out_all_other_devices_keeps_only_this_one() {
    let app = spawn_app().await;
    let others: Vec<TestApp> = (0..3).map(|_| spawn_client(&app)).collect();
    for other in &others {
        other.session_login(&TestUser::ALICE).await;
    }
    login_cookie(&app, &TestUser::ALICE).await;
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM sessions WHERE user_id = 1"),
        4
    );
    let res = app
        .submit_form("/session/devices", "/session/devices/others/revoke", &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM sessions WHERE user_id = 1"),
        1
    );
    for other in &others {
        assert_eq!(
            other.get("/session/api/me").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.get("/session/api/me").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn you_cannot_revoke_someone_else_s_session() {
    let app = spawn_app().await;
    let bob = spawn_client(&app);
    bob.session_login(&TestUser::BOB).await;
    let bob_id: i64 = app.query_one("SELECT id FROM sessions WHERE user_id = 2");
    app.session_login(&TestUser::ALICE).await;
    let res = app
        .submit_form(
            "/session/devices",
            &format!("/session/devices/{bob_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get("/session/api/me").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_stolen_session_id_impersonates_until_the_session_is_revoked() {
    let app = spawn_app().await;
    let cookie = login_cookie(&app, &TestUser::ALICE).await;
    let thief = app
        .get_with_cookie("/session/api/me", &format!("{COOKIE}={cookie}"))
        .await;
    assert_eq!(
        thief.status(),
        StatusCode::OK,
        "the copied id acts as alice"
    );
    assert_eq!(
        thief.json::<Value>().await.ok(),
        Some(json!({"id": 1, "email": "alice@example.com", "username": "alice"}))
    );

    let lab: Value = app
        .post_json("/session/lab/replay", &json!({"cookie": cookie}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(lab["status"], 200);

    let id: i64 = app.query_one("SELECT id FROM sessions WHERE user_id = 1");
    let other_device = spawn_client(&app);
    other_device.session_login(&TestUser::ALICE).await;
    other_device
        .submit_form(
            "/session/devices",
            &format!("/session/devices/{id}/revoke"),
            &[],
        )
        .await;
    let thief = app
        .get_with_cookie("/session/api/me", &format!("{COOKIE}={cookie}"))
        .await;
    assert_eq!(
        thief.status(),
        StatusCode::UNAUTHORIZED,
        "revoked: the copy dies at once"
    );
    let lab: Value = app
        .post_json("/session/lab/replay", &json!({"cookie": cookie}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(lab["status"], 401);
}

#[actix_web::test]
async fn a_deactivated_user_s_sessions_stop_working() {
    let app = spawn_app().await;
    login_cookie(&app, &TestUser::BOB).await;
    assert_eq!(app.get("/session/api/me").await.status(), StatusCode::OK);
    rusqlite::Connection::open(&app.db_path)
        .and_then(|c| c.execute("UPDATE users SET is_active = 0 WHERE id = 2", []))
        .expect("deactivated");
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn an_idle_session_ends_after_thirty_minutes() {
    let app = spawn_app().await;
    login_cookie(&app, &TestUser::ALICE).await;
    app.advance_clock("29m").await;
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::OK,
        "29 idle minutes are fine"
    );
    app.advance_clock("31m").await;
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn a_busy_session_still_ends_eight_hours_after_login() {
    let app = spawn_app().await;
    login_cookie(&app, &TestUser::ALICE).await;
    let mut minutes = 0;
    while minutes < 8 * 60 - 20 {
        app.advance_clock("20m").await;
        minutes += 20;
        assert_eq!(
            app.get("/session/api/me").await.status(),
            StatusCode::OK,
            "alive after {minutes} min"
        );
    }
    app.advance_clock("20m").await;
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "the absolute lifetime ends it"
    );
}

#[actix_web::test]
async fn unknown_malformed_or_oversized_session_ids_are_anonymous_never_500() {
    let app = spawn_app().await;
    let rows = session_rows(&app);
    let keys = app.state.keys();
    let mut jar = actix_web::cookie::CookieJar::new();
    let unknown = "a".repeat(64);
    jar.signed_mut(&authlab::keys::Keys::derive(&keys.cookie_signing, COOKIE))
        .add(actix_web::cookie::Cookie::new(COOKIE, unknown.clone()));
    let minted = jar
        .get(COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let minted = percent_encoding::utf8_percent_encode(&minted, percent_encoding::NON_ALPHANUMERIC)
        .to_string();

    let cookies = [
        format!("{COOKIE}={minted}"),
        format!("{COOKIE}={}", "x".repeat(5000)),
        format!("{COOKIE}=garbage"),
        format!("{COOKIE}="),
        format!("{COOKIE}=%ZZ%"),
    ];
    for cookie in &cookies {
        for path in [
            "/session/api/me",
            "/session/me",
            "/session",
            "/session/devices",
        ] {
            let res = app.get_with_cookie(path, cookie).await;
            assert!(
                [
                    StatusCode::OK,
                    StatusCode::SEE_OTHER,
                    StatusCode::UNAUTHORIZED
                ]
                .contains(&res.status()),
                "{path} with a {}-byte cookie: {}",
                cookie.len(),
                res.status()
            );
        }
    }
    assert_eq!(
        session_rows(&app),
        rows,
        "no row was created for an unknown key"
    );

    let res = bare_client()
        .get(app.url("/session"))
        .header("Cookie", format!("{COOKIE}={minted}"))
        .send()
        .await
        .expect("sent");
    let csrf = res.headers().get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().ok()?;
        v.starts_with("authlab_csrf=")
            .then(|| v.split(';').next().unwrap_or_default().to_owned())
    });
    let html = res.text().await.unwrap_or_default();
    let token = common::csrf_from_html(&html).expect("a token");
    let login = bare_client()
        .post(app.url("/session/login"))
        .header(
            "Cookie",
            format!("{COOKIE}={minted}; {}", csrf.unwrap_or_default()),
        )
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "alice@example.com"),
            ("password", TestUser::ALICE.password),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let issued = session_key_of(&cookie_value(
        &set_cookie(&login, COOKIE).expect("a new session"),
    ));
    assert_ne!(issued, unknown, "a planted key is never adopted");
}

#[actix_web::test]
async fn a_cookie_scheme_value_is_not_a_session_id() {
    let app = spawn_app().await;
    let res = app.cookie_login(&TestUser::ALICE).await;
    let signed = cookie_value(&set_cookie(&res, "authlab_cookie").expect("a signed cookie"));
    let res = app
        .get_with_cookie("/session/api/me", &format!("{COOKIE}={signed}"))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "each cookie name has its own key"
    );
}

#[actix_web::test]
async fn every_session_form_needs_its_csrf_token_and_this_site_s_origin() {
    let app = spawn_app().await;
    login_cookie(&app, &TestUser::ALICE).await;
    let id: i64 = app.query_one("SELECT id FROM sessions WHERE user_id = 1");
    let revoke = format!("/session/devices/{id}/revoke");
    let forms: [(&str, Vec<(&str, &str)>); 6] = [
        (
            "/session/login",
            vec![
                ("email", "bob@example.com"),
                ("password", TestUser::BOB.password),
            ],
        ),
        ("/session/me", vec![("username", "mallory")]),
        ("/session/logout", vec![]),
        (revoke.as_str(), vec![]),
        ("/session/devices/others/revoke", vec![]),
        ("/session/lab/anonymous", vec![]),
    ];
    for (path, fields) in forms {
        app.assert_csrf_refused("/session/me", path, &fields).await;
    }
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::OK,
        "still logged in, nothing revoked"
    );
    let me: Value = app
        .get("/session/api/me")
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(me["username"], "alice");
}

#[actix_web::test]
async fn sessions_survive_a_server_restart() {
    let app = spawn_app().await;
    let cookie = login_cookie(&app, &TestUser::ALICE).await;
    app.stop().await;
    let restarted = spawn_app_on(&app.db_path, |_| {}).await;
    let res = restarted
        .get_with_cookie("/session/api/me", &format!("{COOKIE}={cookie}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn concurrent_requests_on_one_session_neither_fail_nor_lose_writes() {
    let app = spawn_app().await;
    let cookie = login_cookie(&app, &TestUser::ALICE).await;
    let token = app.csrf_token("/session/me").await;
    // The whole Cookie: header of this browser (sessionid and the CSRF seed), sent by 16 requests at once.
    let jar_cookie = app
        .client
        .get(app.url("/session/api/inspect"))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .unwrap_or_default()["wire"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(jar_cookie.contains(&cookie));

    let mut handles = Vec::new();
    for i in 0..16 {
        let client = bare_client();
        let (url, header, seed) = if i % 2 == 0 {
            (app.url("/session/api/me"), jar_cookie.clone(), None)
        } else {
            (
                app.url("/session/me"),
                jar_cookie.clone(),
                Some(token.clone()),
            )
        };
        handles.push(actix_web::rt::spawn(async move {
            let request = match seed {
                None => client.get(url),
                Some(token) => client
                    .post(url)
                    .form(&[("csrf_token", token), ("username", format!("alice_{i}"))]),
            };
            request
                .header("Cookie", header)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for handle in handles {
        let status = handle.await.expect("joined").expect("sent");
        assert!(
            status == StatusCode::OK || status == StatusCode::SEE_OTHER,
            "every concurrent request succeeds: {status}"
        );
    }
    let stored: String = app.query_one("SELECT username FROM users WHERE id = 1");
    assert!(
        stored.starts_with("alice_"),
        "one of the writes is kept: {stored}"
    );
    let me: Value = app
        .get("/session/api/me")
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(me["id"], 1, "the session still works after the burst");
}

#[actix_web::test]
async fn the_load_lab_grows_the_table_while_a_read_stays_one_query() {
    let app = spawn_app().await;
    login_cookie(&app, &TestUser::ALICE).await;
    let before: i64 = app.query_one("SELECT COALESCE(SUM(LENGTH(state)), 0) FROM sessions");
    let res: Value = app
        .post_json("/session/lab/load", &json!({"count": 2000}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(res["created"], 2000);
    assert!(res["totals"]["rows"].as_i64().unwrap_or(0) >= 2001);
    // The memory the notes warn about: what the server keeps grows with every session.
    let bytes = res["totals"]["bytes"].as_i64().unwrap_or(0);
    assert!(
        bytes > before + 2000 * 20,
        "{before} → {bytes} bytes of session data"
    );
    let read = app.get("/session/api/me").await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(queries(read.headers()), 1);

    let cleared: Value = app
        .post_json("/session/lab/load/clear", &json!({}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(cleared["removed"], 2000);
    assert_eq!(session_rows(&app), 1);

    for bad in [
        json!({"count": 0}),
        json!({"count": 100_001}),
        json!({"count": "many"}),
    ] {
        let res = app.post_json("/session/lab/load", &bad).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[actix_web::test]
async fn the_server_panel_fragment_shows_the_row_and_the_totals() {
    let app = spawn_app().await;
    login_cookie(&app, &TestUser::ALICE).await;
    let (status, html) = app.page("/session/panel").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"session-row\""));
    assert!(html.contains("id=\"session-totals\""));
    assert!(html.contains("alice@example.com"));
}

#[actix_web::test]
async fn a_session_revoked_while_a_request_ran_does_not_come_back_logged_in() {
    use actix_session::storage::SessionStore;
    let app = spawn_app().await;
    let pool = authlab::db::open(&app.db_path).expect("the database");
    let store = authlab::schemes::session::store::SqliteSessionStore::new(
        pool,
        app.state.clock.clone(),
        chrono::Duration::minutes(30),
        chrono::Duration::hours(8),
    );
    let gone: actix_session::storage::SessionKey = "x".repeat(64).try_into().expect("a key");
    let state: std::collections::HashMap<String, String> = [
        ("actix_identity.user_id".to_owned(), "\"1\"".to_owned()),
        ("authlab.user".to_owned(), "{}".to_owned()),
        ("theme".to_owned(), "\"dark\"".to_owned()),
    ]
    .into_iter()
    .collect();
    let ttl = actix_web::cookie::time::Duration::hours(1);
    let key = store
        .update(gone, state, &ttl)
        .await
        .expect("a new session");
    let loaded = store.load(&key).await.expect("loads").expect("a row");
    assert!(
        !loaded.contains_key("actix_identity.user_id"),
        "the login is not carried over"
    );
    assert!(!loaded.contains_key("authlab.user"));
    assert_eq!(loaded.get("theme").map(String::as_str), Some("\"dark\""));
}
