//! What a first-time learner hits (issue 14), asserted through the real server: refusals that
//! say what happened, logins that stay dead whatever the clock does, the JWT panel that keeps
//! the pair just logged out, and the four claims made to happen (7, 10, 16, 22).

use crate::common;

use common::{Body, TestApp, TestUser, cookie_value, set_cookie, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const COOKIE: &str = "authlab_cookie";

async fn cookie_copy(app: &TestApp) -> String {
    let res = app.cookie_login(&TestUser::ALICE).await;
    let naive = set_cookie(&res, "authlab_naive").expect("the naive lab cookie");
    assert!(
        naive.contains("Max-Age=28800"),
        "the naive cookie outlives a browser restart as the signed login does: {naive}"
    );
    format!(
        "{COOKIE}={}",
        cookie_value(&set_cookie(&res, COOKIE).expect("the login cookie"))
    )
}

async fn body_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn a_refused_cookie_says_why_and_nothing_sent_stays_drf_s_answer() {
    let app = spawn_app().await;
    let (status, body) = body_of(app.get("/cookie/api/me").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"detail": "Authentication credentials were not provided."})
    );

    let copy = cookie_copy(&app).await;
    // One character of the signed part changed: actix-session refuses the signature.
    let edited = copy.replacen("%22alice%40", "%22bob%40", 1);
    assert_ne!(edited, copy, "the copy names alice's address");
    let (status, body) = body_of(app.get_with_cookie("/cookie/api/me", &edited).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "signature_refused", "{body}");

    let res = app.post_json("/lab/rotate-keys", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = body_of(app.get_with_cookie("/cookie/api/me", &copy).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "key_rotated", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("rotated"),
        "{body}"
    );
}

#[actix_web::test]
async fn an_expired_cookie_login_says_expired_and_stays_dead_when_the_clock_goes_back() {
    let app = spawn_app().await;
    let copy = cookie_copy(&app).await;
    assert_eq!(
        app.get("/cookie/api/me").await.status(),
        StatusCode::OK,
        "signed in"
    );
    app.advance_clock("8h").await;
    let res = app.get("/cookie/api/me").await;
    let removal = set_cookie(&res, COOKIE).expect("the expired login is removed");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    let (status, body) = body_of(res).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "login_expired", "{body}");

    let back = app.post_json("/lab/clock", &json!({"reset": true})).await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(
        app.get("/cookie/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "the browser was told to forget the expired login: back in real time it stays logged out"
    );
    // A copy made before it expired stays dead too: the clock already ran past its expiry.
    let (status, body) = body_of(app.get_with_cookie("/cookie/api/me", &copy).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "login_expired", "{body}");
    // A login made after the clock went back lives its full lifetime.
    let fresh = cookie_copy(&app).await;
    assert_eq!(
        app.get_with_cookie("/cookie/api/me", &fresh).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_login_never_looked_at_while_it_expired_stays_dead_too() {
    let app = spawn_app().await;
    let cookie = cookie_copy(&app).await;
    let res = app.session_login(&TestUser::ALICE).await;
    let session = format!(
        "sessionid={}",
        cookie_value(&set_cookie(&res, "sessionid").expect("a session"))
    );
    // The clock runs a day ahead and back, with no request to either room in between.
    app.advance_clock("1d").await;
    let back = app.post_json("/lab/clock", &json!({"reset": true})).await;
    assert_eq!(back.status(), StatusCode::OK);
    for (path, credential) in [("/cookie/api/me", &cookie), ("/session/api/me", &session)] {
        assert_eq!(
            app.get_with_cookie(path, credential).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn a_tampered_session_cookie_is_a_refused_signature_not_an_unknown_session() {
    let app = spawn_app().await;
    let res = app.session_login(&TestUser::ALICE).await;
    let value = cookie_value(&set_cookie(&res, "sessionid").expect("a session"));
    let mut bytes = value.into_bytes();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'a' { b'b' } else { b'a' };
    let tampered = format!("sessionid={}", String::from_utf8(bytes).expect("ascii"));
    let (status, body) = body_of(app.get_with_cookie("/session/api/me", &tampered).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "signature_refused", "{body}");
}

#[actix_web::test]
async fn a_revoked_session_copy_is_an_unknown_session_and_revoking_lands_on_the_replay() {
    let app = spawn_app().await;
    let res = app.session_login(&TestUser::ALICE).await;
    let copy = format!(
        "sessionid={}",
        cookie_value(&set_cookie(&res, "sessionid").expect("a session"))
    );
    assert_eq!(
        app.get_with_cookie("/session/api/me", &copy).await.status(),
        StatusCode::OK
    );
    let devices = app.page("/session/devices").await.1;
    let id: String = devices
        .split("id=\"device-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("this browser's row")
        .to_owned();
    let res = app
        .submit_form(
            "/session/devices",
            &format!("/session/devices/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(location, "/session?logged_out=1#lab-hijack-replay");
    let (_, page) = app.page("/session?logged_out=1").await;
    assert!(
        page.contains("id=\"lab-hijack-replay\"") && page.contains("id=\"stolen-replay\""),
        "the page revoking lands on has the replay the hijack lab ends with"
    );

    let (status, body) = body_of(app.get_with_cookie("/session/api/me", &copy).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unknown_session", "{body}");
    let replayed = app
        .post_json(
            "/session/lab/replay",
            &json!({ "cookie": copy.trim_start_matches("sessionid=") }),
        )
        .await;
    let (_, replayed) = body_of(replayed).await;
    assert_eq!(replayed["status"], 401, "{replayed}");
    assert!(
        replayed["body"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown_session"),
        "{replayed}"
    );
}

#[actix_web::test]
async fn the_jwt_panel_keeps_showing_the_pair_just_logged_out() {
    let app = spawn_app().await;
    let pair = app.jwt_login(&TestUser::ALICE).await.json;
    let refresh = pair["refresh"].as_str().unwrap_or_default().to_owned();
    let logout = app
        .api(
            "POST",
            "/jwt/api/token/blacklist",
            None,
            Body::Json(&json!({ "refresh": refresh }).to_string()),
        )
        .await;
    assert_eq!(logout.status, 200);

    let inspect = |header: Option<String>| {
        let app = &app;
        async move {
            let mut request = common::bare_client().get(app.url("/jwt/api/inspect"));
            if let Some(value) = header {
                request = request.header("X-Authlab-Last-Refresh", value);
            }
            request
                .send()
                .await
                .expect("sent")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    assert_eq!(inspect(None).await["refresh_rows"], json!([]));
    let rows = inspect(Some(refresh.clone())).await["refresh_rows"].clone();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert!(rows[0]["blacklisted_at"].is_i64(), "{rows}");

    // Only the exact token the server remembers opens its family, and only that family: the
    // user's other logins stay out of view, and a changed token opens nothing.
    let other = app.jwt_login(&TestUser::ALICE).await.json["refresh"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rows = inspect(Some(refresh.clone())).await["refresh_rows"].clone();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "one family: {rows}");
    assert_ne!(rows[0]["jti"], json!(authlab_jti(&other)));
    let forged = format!("{}x", &refresh[..refresh.len() - 1]);
    assert_eq!(inspect(Some(forged)).await["refresh_rows"], json!([]));
}

/// The `jti` claim of a token (read, not verified).
fn authlab_jti(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_default();
    serde_json::from_slice::<Value>(&bytes).unwrap_or_default()["jti"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[actix_web::test]
async fn without_lab_controls_the_last_refresh_header_opens_nothing() {
    let app = common::spawn_app_with(|s| s.no_lab = true).await;
    let refresh = app.jwt_login(&TestUser::ALICE).await.json["refresh"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rows = common::bare_client()
        .get(app.url("/jwt/api/inspect"))
        .header("X-Authlab-Last-Refresh", refresh)
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json")["refresh_rows"]
        .clone();
    assert_eq!(rows, json!([]));
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

#[actix_web::test]
async fn each_claim_the_learner_adds_makes_a_valid_token_longer() {
    let app = spawn_app().await;
    let access = app.jwt_login(&TestUser::ALICE).await.json["access"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let sign = |claims: Value| {
        let app = &app;
        let access = access.clone();
        async move {
            app.api(
                "POST",
                "/jwt/api/lab/claims",
                Some(&bearer(&access)),
                Body::Json(&json!({ "claims": claims }).to_string()),
            )
            .await
        }
    };
    let plain = sign(json!({})).await;
    assert_eq!(plain.status, 200, "{}", plain.text);
    let grown = sign(json!({"role": "admin", "permissions": ["read", "write"]})).await;
    assert_eq!(grown.status, 200, "{}", grown.text);
    let size = |a: &common::Answer, field: &str| a.json[field].as_u64().unwrap_or_default();
    for field in ["payload_bytes", "token_bytes", "header_bytes"] {
        assert!(size(&grown, field) > size(&plain, field), "{field} grows");
    }
    let token = grown.json["access"].as_str().unwrap_or_default();
    assert_eq!(size(&grown, "token_bytes"), token.len() as u64);
    assert_eq!(
        size(&grown, "header_bytes"),
        format!("Authorization: Bearer {token}").len() as u64
    );

    let claims = app
        .api("GET", "/jwt/api/claims", Some(&bearer(token)), Body::None)
        .await;
    assert_eq!(claims.status, 200, "a valid token, signed by this server");
    assert_eq!(claims.json["claims"]["role"], "admin");
    assert_eq!(claims.json["claims"]["user_id"], "1");
    // Longer, never longer-lived: the presented token's exp, iat and jti are kept.
    let presented = app
        .api("GET", "/jwt/api/claims", Some(&bearer(&access)), Body::None)
        .await;
    for claim in ["exp", "iat", "jti"] {
        assert_eq!(
            claims.json["claims"][claim], presented.json["claims"][claim],
            "{claim}"
        );
    }
    let me = app
        .api("GET", "/jwt/api/me", Some(&bearer(token)), Body::None)
        .await;
    assert_eq!(me.json["username"], "alice");

    for (claims, says) in [
        (json!({"user_id": "2"}), "\"user_id\" is set by the server"),
        (json!({"exp": 1}), "\"exp\" is set by the server"),
        (json!([1, 2]), "must be a JSON object"),
        (json!({"big": "x".repeat(5000)}), "at most 4096"),
    ] {
        let refused = sign(claims).await;
        assert_eq!(refused.status, 400, "{}", refused.text);
        let message = refused.json["claims"][0].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message}");
    }
    let anonymous = app
        .api(
            "POST",
            "/jwt/api/lab/claims",
            None,
            Body::Json(r#"{"claims":{}}"#),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

#[actix_web::test]
async fn a_login_by_username_as_the_default_user_model_has_it_gets_the_same_pair() {
    let app = spawn_app().await;
    let login = |username: &str, password: &str| {
        let app = &app;
        let body = json!({ "username": username, "password": password }).to_string();
        async move {
            app.api("POST", "/jwt/api/lab/default-user", None, Body::Json(&body))
                .await
        }
    };
    let pair = login("alice", TestUser::ALICE.password).await;
    assert_eq!(pair.status, 200, "{}", pair.text);
    let access = pair.json["access"].as_str().unwrap_or_default();
    let me = app
        .api("GET", "/jwt/api/me", Some(&bearer(access)), Body::None)
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["email"], "alice@example.com");
    let refreshed = app
        .jwt_refresh(pair.json["refresh"].as_str().unwrap_or_default())
        .await;
    assert_eq!(refreshed.status, 200, "a real refresh token, remembered");

    let wrong = login("alice", "not-her-password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json["detail"],
        "No active account found with the given credentials"
    );
    let unknown = login("nobody-here", "whatever-123").await;
    assert_eq!(
        unknown.status, 401,
        "an unknown name reads like a wrong password"
    );

    // Two accounts with one name: the default model would refuse it; this lab says so.
    let res = app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "alice2@example.com"),
                ("username", "alice"),
                ("password", "another-pass-123"),
            ],
        )
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let shared = login("alice", TestUser::ALICE.password).await;
    assert_eq!(shared.status, 400, "{}", shared.text);
    assert!(shared.text.contains("Two accounts share this username"));
}

#[actix_web::test]
async fn the_load_lab_measures_what_grows_beside_what_stays_flat_and_changes_nothing() {
    let app = spawn_app().await;
    let measure = || async {
        let res = app.post_json("/session/lab/load/measure", &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.expect("json")
    };
    let empty = measure().await;
    let res = app
        .post_json("/session/lab/load", &json!({"count": 5000}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let loaded = measure().await;
    assert_eq!(loaded["totals"]["rows"], 5000, "{loaded}");
    assert!(
        loaded["totals"]["bytes"].as_i64() > empty["totals"]["bytes"].as_i64(),
        "storage grows"
    );
    assert!(
        loaded["file_bytes"].as_i64() > empty["file_bytes"].as_i64(),
        "the file grows"
    );
    for field in ["lookup_us", "count_ms", "end_all_ms"] {
        assert!(loaded[field].as_f64().is_some(), "{field}: {loaded}");
    }
    // Why one cost stays flat and the other grows, in SQLite's own plan: the read searches the
    // key's index (one row at any size); counting them all scans every row.
    let lookup = loaded["lookup_plan"].as_str().unwrap_or_default();
    assert!(
        lookup.contains("SEARCH") && lookup.contains("INDEX"),
        "{lookup}"
    );
    let count = loaded["count_plan"].as_str().unwrap_or_default();
    assert!(count.contains("SCAN"), "{count}");
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM sessions"),
        5000,
        "ending them all was measured, then rolled back"
    );
}

#[actix_web::test]
async fn n_logins_show_what_each_scheme_keeps_per_user() {
    let app = spawn_app().await;
    let users = app.user_count();
    let res = app.post_json("/lab/kept", &json!({"logins": 2})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let steps = res.json::<Value>().await.expect("json")["steps"].clone();
    let rows = |step: usize, scheme: &str| steps[step][scheme]["rows"].as_i64();
    assert_eq!((rows(0, "cookie"), rows(1, "cookie")), (Some(0), Some(0)));
    assert_eq!((rows(0, "session"), rows(1, "session")), (Some(1), Some(2)));
    assert_eq!((rows(0, "token"), rows(1, "token")), (Some(1), Some(1)));
    assert_eq!((rows(0, "jwt"), rows(1, "jwt")), (Some(1), Some(2)));
    assert!(steps[0]["cookie_in_browser"].as_u64() > Some(100));
    assert_eq!(app.user_count(), users, "the throwaway user is gone");
    assert_eq!(app.query_one::<i64>("SELECT COUNT(*) FROM sessions"), 0);

    for logins in [0, 11] {
        let res = app
            .post_json("/lab/kept", &json!({ "logins": logins }))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{logins}");
    }
}

#[actix_web::test]
async fn korean_pages_write_durations_in_korean_and_the_question_can_be_tried() {
    let app = spawn_app().await;
    for (path, expected) in [
        ("/jwt?lang=ko", "5분"),
        ("/session?lang=ko", "30분"),
        ("/cookie?lang=ko", "8시간"),
    ] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(expected), "{path} says {expected}");
        for raw in ["(5m)", "5m 앞", "30m ", "8h ", ">+1 분<"] {
            assert!(!html.contains(raw), "{path} has a raw duration {raw:?}");
        }
    }
    let (_, home) = app.page("/?lang=en").await;
    assert!(
        home.contains("href=\"/jwt#lab-default-user\""),
        "the notes' question links to the lab that tests it"
    );
}

/// Every scheme's `/api/me` answers the demo user in the contract's one shape.
async fn me_answers_the_same_user<C: common::SchemeClient>(app: &TestApp) {
    let client = C::login(app, &TestUser::BOB).await;
    let me = client.me(app).await;
    assert_eq!(me.status, 200, "{}: {}", C::SCHEME, me.text);
    assert_eq!(
        me.json,
        json!({"id": TestUser::BOB.id, "email": TestUser::BOB.email, "username": TestUser::BOB.username}),
        "{}",
        C::SCHEME
    );
}

#[actix_web::test]
async fn every_scheme_s_client_is_answered_with_the_same_user() {
    let app = spawn_app().await;
    me_answers_the_same_user::<common::CookieClient>(&app).await;
    me_answers_the_same_user::<common::SessionClient>(&app).await;
    me_answers_the_same_user::<common::TokenClient>(&app).await;
    me_answers_the_same_user::<common::JwtClient>(&app).await;
}

#[actix_web::test]
async fn a_request_that_speaks_json_is_answered_in_json_even_before_routing() {
    let app = common::spawn_app_with(|s| s.no_lab = true).await;
    // Lab controls off: the lab route is not there, and the 404 is JSON for a JSON caller.
    let res = app
        .post_json("/session/lab/load", &json!({"count": 1}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let media = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(media.starts_with("application/json"), "{media}");
    // A browser navigating there still gets a page.
    let (status, html) = app.page("/session/lab/load").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<html"), "a page for a page request");
}
