//! Private labs: two learners on one server, and nothing one does changes an answer the other
//! gets — for every scheme and every lab action; the default lab for clients without the cookie;
//! labs on a non-loopback bind; the cap, idle removal and a restart.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{
    TestApp, TestUser, browser, cookie_value, set_cookie, spawn_app, spawn_app_on, spawn_app_with,
};

/// One learner: a browser with its own cookie jar, in its own lab.
struct Learner {
    app: TestApp,
    lab: String,
}

/// A learner's four logins as alice.
struct Logins {
    key: String,
    access: String,
}

impl Learner {
    /// Opens a page as a browser does (`Accept: text/html`), which gives it a lab.
    async fn join(app: &TestApp) -> Learner {
        let me = TestApp::same_server(app, browser());
        let res = me
            .client
            .get(me.url("/"))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("the overview answers");
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = set_cookie(&res, "authlab_lab").expect("a first page opens a lab");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie} has {attribute}");
        }
        Learner {
            lab: cookie_value(&cookie),
            app: me,
        }
    }

    /// A JSON request from this browser (its cookies, so its lab), with `authorization`.
    async fn call(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let res = request.send().await.expect("sent");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// alice logs in to all four schemes in this lab.
    async fn log_in_everywhere(&self) -> Logins {
        let alice = TestUser::ALICE;
        assert_eq!(self.app.cookie_login(&alice).await.status(), 303);
        assert_eq!(self.app.session_login(&alice).await.status(), 303);
        let (status, token) = self
            .call(
                "POST",
                "/token/api/login",
                None,
                Some(json!({"username": alice.email, "password": alice.password})),
            )
            .await;
        assert_eq!(status, 200, "{token}");
        let (status, pair) = self
            .call(
                "POST",
                "/jwt/api/token",
                None,
                Some(json!({"email": alice.email, "password": alice.password})),
            )
            .await;
        assert_eq!(status, 200, "{pair}");
        let key = token["token"].as_str().expect("a key").to_owned();
        assert!(
            key.len() == 40 && key.bytes().all(|b| b.is_ascii_hexdigit()),
            "still DRF's key"
        );
        let access = pair["access"].as_str().expect("an access token").to_owned();
        assert_eq!(access.split('.').count(), 3, "still a JWT");
        Logins { key, access }
    }

    /// What each scheme's `/me` answers this browser with `logins`: four statuses.
    async fn me_everywhere(&self, logins: &Logins) -> [u16; 4] {
        [
            self.call("GET", "/cookie/api/me", None, None).await.0,
            self.call("GET", "/session/api/me", None, None).await.0,
            self.call(
                "GET",
                "/token/api/me",
                Some(&format!("Token {}", logins.key)),
                None,
            )
            .await
            .0,
            self.call(
                "GET",
                "/jwt/api/me",
                Some(&format!("Bearer {}", logins.access)),
                None,
            )
            .await
            .0,
        ]
    }

    /// This lab's clock offset, in seconds.
    async fn clock_offset(&self) -> i64 {
        let (status, clock) = self.call("GET", "/lab/clock", None, None).await;
        assert_eq!(status, 200);
        clock["offset_seconds"].as_i64().expect("an offset")
    }

    /// The users this lab's `/users` page lists, as its HTML.
    async fn users_page(&self) -> String {
        self.app.page("/users").await.1
    }
}

#[actix_web::test]
async fn a_browser_gets_its_own_lab_on_its_first_page_and_api_clients_stay_in_the_shared_one() {
    let app = spawn_app().await;
    let a = Learner::join(&app).await;
    let again = a
        .app
        .client
        .get(a.app.url("/token"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), 200);
    assert!(
        set_cookie(&again, "authlab_lab").is_none(),
        "one lab per browser"
    );
    let b = Learner::join(&app).await;
    assert_ne!(a.lab, b.lab);
    assert_eq!(a.lab.len(), 32);

    // A client without the cookie (curl, a DRF client, a script) is never given a lab.
    let api = app.get("/token/api/inspect").await;
    assert!(set_cookie(&api, "authlab_lab").is_none());
    assert_eq!(app.classroom.learners().len(), 2);
}

#[actix_web::test]
async fn a_credential_from_one_lab_never_authenticates_in_another_nor_in_the_shared_lab() {
    let app = spawn_app().await;
    let (a, b) = (Learner::join(&app).await, Learner::join(&app).await);
    let from_a = a.log_in_everywhere().await;
    let from_b = b.log_in_everywhere().await;
    assert_eq!(a.me_everywhere(&from_a).await, [200; 4]);
    assert_ne!(
        from_a.key, from_b.key,
        "each lab keeps its own alice and her own key"
    );

    // a's cookies, key and token, sent from b's lab and from the shared lab.
    for lab in [Some(b.lab.as_str()), None] {
        let with_lab = |cookie: String| match lab {
            Some(id) => format!("{cookie}; authlab_lab={id}"),
            None => cookie,
        };
        let inspect = |path: &'static str| a.call("GET", path, None, None);
        let (_, cookie_panel) = inspect("/cookie/api/inspect").await;
        let (_, session_panel) = inspect("/session/api/inspect").await;
        for (panel, path) in [
            (cookie_panel, "/cookie/api/me"),
            (session_panel, "/session/api/me"),
        ] {
            let cookie = format!(
                "{}={}",
                panel["browser"]["name"].as_str().expect("a name"),
                panel["browser"]["value"].as_str().expect("a value")
            );
            let res = app.get_with_cookie(path, &with_lab(cookie)).await;
            assert_eq!(res.status(), 401, "{path} from another lab ({lab:?})");
        }
        for (path, header) in [
            ("/token/api/me", format!("Token {}", from_a.key)),
            ("/jwt/api/me", format!("Bearer {}", from_a.access)),
        ] {
            let mut request = crate::common::bare_client()
                .get(app.url(path))
                .header("Authorization", header);
            if let Some(id) = lab {
                request = request.header("Cookie", format!("authlab_lab={id}"));
            }
            let res = request.send().await.expect("sent");
            assert_eq!(res.status(), 401, "{path} from another lab ({lab:?})");
        }
    }
}

#[actix_web::test]
async fn nothing_one_learner_does_changes_an_answer_another_learner_gets() {
    let app = spawn_app().await;
    let (a, b) = (Learner::join(&app).await, Learner::join(&app).await);
    let b_logins = b.log_in_everywhere().await;
    // b signed someone up before a does anything.
    let res = b
        .app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "erin@example.com"),
                ("username", "erin"),
                ("password", "erin-pass-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, b_sessions) = b.call("GET", "/session/api/inspect", None, None).await;
    let b_rows = b_sessions["server"]["total_rows"].clone();

    let check_b = |after: &'static str| {
        let (b, b_logins, b_rows) = (&b, &b_logins, b_rows.clone());
        async move {
            assert_eq!(
                b.me_everywhere(b_logins).await,
                [200; 4],
                "b still in after a's {after}"
            );
            assert_eq!(b.clock_offset().await, 0, "b's clock after a's {after}");
            assert!(
                b.users_page().await.contains("erin@example.com"),
                "b's sign-up after a's {after}"
            );
            let (_, sessions) = b.call("GET", "/session/api/inspect", None, None).await;
            assert_eq!(
                sessions["server"]["total_rows"], b_rows,
                "b's session rows after a's {after}"
            );
        }
    };

    let a_logins = a.log_in_everywhere().await;
    check_b("logins").await;

    // The lab clock: a's day passes, b's does not.
    assert_eq!(
        a.call("POST", "/lab/clock", None, Some(json!({"advance": "1d"})))
            .await
            .0,
        200
    );
    assert_eq!(a.clock_offset().await, 86_400);
    assert_eq!(
        a.me_everywhere(&a_logins).await,
        [401, 401, 200, 401],
        "a's logins expired"
    );
    check_b("+1 day").await;
    assert_eq!(
        a.call("POST", "/lab/clock", None, Some(json!({"reset": true})))
            .await
            .0,
        200
    );
    check_b("clock reset").await;

    // The login throttle: a locks alice out of a's lab only.
    let mut last = 0;
    for _ in 0..6 {
        last = a
            .call(
                "POST",
                "/token/api/login",
                None,
                Some(json!({"username": "alice@example.com", "password": "wrong"})),
            )
            .await
            .0;
    }
    assert_eq!(last, 429, "a is throttled");
    let (status, _) = b
        .call(
            "POST",
            "/token/api/login",
            None,
            Some(json!({"username": "alice@example.com", "password": TestUser::ALICE.password})),
        )
        .await;
    assert_eq!(status, 200, "alice still logs in in b's lab");
    check_b("wrong passwords").await;

    // Key rotation, a DRF logout, a sign-up and a reset in a's lab.
    assert_eq!(
        a.call("POST", "/lab/rotate-keys", None, Some(json!({})))
            .await
            .0,
        200
    );
    check_b("key rotation").await;
    let (status, _) = a
        .call(
            "POST",
            "/token/api/logout",
            Some(&format!("Token {}", a_logins.key)),
            None,
        )
        .await;
    assert!(status == 200 || status == 401, "a's logout: {status}");
    check_b("DRF logout").await;
    let res = a
        .app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "dave@example.com"),
                ("username", "dave"),
                ("password", "dave-pass-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(a.users_page().await.contains("dave@example.com"));
    assert!(
        !b.users_page().await.contains("dave@example.com"),
        "a's sign-up is not in b's lab"
    );
    assert!(
        !app.page("/users").await.1.contains("dave@example.com"),
        "nor in the shared lab"
    );

    // The cross-scheme and per-scheme lab actions.
    for (path, body) in [
        ("/lab/kept", json!({"logins": 2})),
        ("/lab/two-devices", json!({})),
        ("/lab/matrix", json!({"rotate_keys": true})),
        ("/lab/second-server", json!({})),
        ("/session/lab/load", json!({"count": 50})),
        ("/session/lab/load/clear", json!({})),
        ("/session/lab/load/measure", json!({})),
        ("/cookie/lab/size", json!({})),
        ("/cookie/lab/size/clear", json!({})),
        ("/cookie/lab/replay", json!({"cookie": "copied-value"})),
        ("/session/lab/replay", json!({"cookie": "copied-value"})),
    ] {
        let (status, answer) = a.call("POST", path, None, Some(body)).await;
        assert_eq!(status, 200, "{path}: {answer}");
        check_b(path).await;
    }
    // The JWT labs, a DRF key regenerated, and the lab forms (as bob: a's alice is locked out).
    let password = TestUser::BOB.password;
    let (status, pair) = a
        .call(
            "POST",
            "/jwt/api/lab/default-user",
            None,
            Some(json!({"username": "bob", "password": password})),
        )
        .await;
    assert_eq!(status, 200, "{pair}");
    let bearer = format!("Bearer {}", pair["access"].as_str().unwrap_or_default());
    let (status, grown) = a
        .call(
            "POST",
            "/jwt/api/lab/claims",
            Some(&bearer),
            Some(json!({"claims": {"role": "admin"}})),
        )
        .await;
    assert_eq!(status, 200, "{grown}");
    check_b("JWT labs").await;
    let (_, token) = a
        .call(
            "POST",
            "/token/api/login",
            None,
            Some(json!({"username": TestUser::BOB.email, "password": password})),
        )
        .await;
    let key = format!("Token {}", token["token"].as_str().unwrap_or_default());
    assert_eq!(
        a.call("POST", "/token/api/regenerate", Some(&key), None)
            .await
            .0,
        200
    );
    check_b("key regenerated").await;
    assert_eq!(
        a.app
            .submit_form("/cookie", "/cookie/lab/tamper", &[("value", "edited")])
            .await
            .status(),
        303
    );
    assert_eq!(
        a.app
            .submit_form("/session", "/session/lab/anonymous", &[])
            .await
            .status(),
        303
    );
    check_b("lab forms").await;
    let (status, answer) = a
        .call("POST", "/lab/reset", None, Some(json!({"confirm": true})))
        .await;
    assert_eq!(status, 200, "{answer}");
    check_b("reset").await;
    assert!(
        !a.users_page().await.contains("dave@example.com"),
        "a's reset emptied a's lab"
    );
}

#[actix_web::test]
async fn labs_are_on_when_the_server_is_bound_to_every_address() {
    let app = spawn_app_with(|s| {
        s.bind = "0.0.0.0:0".parse().expect("an address");
    })
    .await;
    let a = Learner::join(&app).await;
    let (status, page) = a.app.page("/jwt").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"lab-bar\""), "the lab clock bar is on");
    assert_eq!(
        a.call("POST", "/lab/clock", None, Some(json!({"advance": "1h"})))
            .await
            .0,
        200
    );
    assert_eq!(a.clock_offset().await, 3_600);
    let b = Learner::join(&app).await;
    assert_eq!(b.clock_offset().await, 0);

    // The shared lab is everyone's without a cookie: on a reachable address its lab actions
    // stay off, as with one shared lab; reading it still works.
    let res = crate::common::bare_client()
        .post(app.url("/lab/clock"))
        .json(&json!({"advance": "1h"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 403);
    let detail = res.json::<Value>().await.expect("JSON")["detail"].clone();
    assert!(
        detail
            .as_str()
            .is_some_and(|d| d.contains("a lab of your own")),
        "{detail}"
    );
    assert_eq!(app.get("/lab/clock").await.status(), 200);
}

#[actix_web::test]
async fn a_full_classroom_gives_a_new_browser_a_clear_page_in_its_language() {
    let app = spawn_app_with(|s| s.max_labs = 1).await;
    let a = Learner::join(&app).await;
    for (lang, title) in [
        ("en", "The classroom is full"),
        ("ko", "빈 실습 공간이 없습니다"),
    ] {
        let res = browser()
            .get(app.url(&format!("/?lang={lang}")))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("answers");
        assert_eq!(res.status(), 503);
        assert!(res.headers().contains_key("retry-after"));
        assert!(set_cookie(&res, "authlab_lab").is_none());
        let page = res.text().await.expect("a page");
        assert!(page.contains(title), "{lang}: {page}");
        assert!(page.contains("1 labs are open") || page.contains("labs are open"));
    }
    assert_eq!(
        a.app.page("/token").await.0,
        200,
        "the learners inside keep working"
    );
    assert_eq!(
        app.get("/token/api/inspect").await.status(),
        200,
        "and API clients"
    );
}

#[actix_web::test]
async fn an_idle_lab_is_removed_with_its_file_and_its_browser_is_told_then_given_a_new_one() {
    let app = spawn_app().await;
    let a = Learner::join(&app).await;
    a.log_in_everywhere().await;
    let file = {
        let mut dir = app.db_path.clone().into_os_string();
        dir.push(".labs");
        std::path::PathBuf::from(dir).join(format!("{}.sqlite3", a.lab))
    };
    assert!(file.is_file(), "{} exists", file.display());
    let later = authlab::classroom::now() + 3 * 3_600;
    assert_eq!(app.classroom.remove_idle(later).await, 1);
    assert!(!file.exists(), "its file went with it");

    let (status, answer) = a.call("GET", "/token/api/inspect", None, None).await;
    assert_eq!(status, 409);
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Reload the page")),
        "{answer}"
    );
    let res = a
        .app
        .client
        .get(a.app.url("/"))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("answers");
    assert_eq!(res.status(), 200);
    let cookie = set_cookie(&res, "authlab_lab").expect("a new lab");
    assert_ne!(cookie_value(&cookie), a.lab);
}

#[actix_web::test]
async fn a_lab_survives_a_restart_of_the_server() {
    let dir = tempfile::tempdir().expect("a dir");
    let db = dir.path().join("authlab.sqlite3");
    let app = spawn_app_on(&db, |_| {}).await;
    let a = Learner::join(&app).await;
    let logins = a.log_in_everywhere().await;
    app.stop().await;
    let again = spawn_app_on(&db, |_| {}).await;
    let res = crate::common::bare_client()
        .get(again.url("/token/api/me"))
        .header("Authorization", format!("Token {}", logins.key))
        .header("Cookie", format!("authlab_lab={}", a.lab))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200, "the lab's file is opened again");
}

#[actix_web::test]
async fn a_private_lab_holds_at_most_20000_load_sessions_and_says_how_to_run_more() {
    let app = spawn_app().await;
    let a = Learner::join(&app).await;
    let (status, answer) = a
        .call(
            "POST",
            "/session/lab/load",
            None,
            Some(json!({"count": 20_000})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = a
        .call("POST", "/session/lab/load", None, Some(json!({"count": 1})))
        .await;
    assert_eq!(status, 400);
    let message = answer["count"][0].as_str().unwrap_or_default();
    assert!(
        message.contains("at most 20000") && message.contains("shared lab"),
        "{message}"
    );
    let (_, html) = a.app.page("/session").await;
    assert!(
        !html.contains("data-load=\"100000\""),
        "no +100,000 button in a private lab"
    );
    assert!(html.contains("id=\"load-cap\""));
    let shared = app.get("/session").await.text().await.expect("a page");
    assert!(
        shared.contains("data-load=\"100000\""),
        "the shared lab keeps it"
    );
}

/// The instructor's browser, signed in with the secret the server was started with.
async fn instructor(app: &TestApp) -> TestApp {
    let me = TestApp::same_server(app, browser());
    let secret = app
        .state
        .settings
        .instructor_secret
        .clone()
        .expect("a secret was generated at start");
    let res = me
        .submit_form(
            "/instructor",
            "/instructor/login",
            &[("secret", secret.as_str())],
        )
        .await;
    assert_eq!(res.status(), 303);
    let cookie = set_cookie(&res, "authlab_instructor").expect("the instructor cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains(&secret), "the cookie is not the secret");
    me
}

#[actix_web::test]
async fn the_instructor_sees_the_class_and_moves_resets_and_rotates_every_lab() {
    let app = spawn_app().await;
    let (a, b) = (Learner::join(&app).await, Learner::join(&app).await);
    let (la, lb) = (a.log_in_everywhere().await, b.log_in_everywhere().await);

    // Without the secret: a page that asks for it, and 403 for every server-wide action.
    let wrong = a
        .app
        .submit_form("/instructor", "/instructor/login", &[("secret", "guess")])
        .await;
    assert_eq!(wrong.status(), 403);
    assert!(set_cookie(&wrong, "authlab_instructor").is_none());
    for (path, body) in [
        ("/instructor/api/clock", json!({"advance": "1h"})),
        ("/instructor/api/reset", json!({"confirm": true})),
        ("/instructor/api/rotate-keys", json!({"confirm": true})),
    ] {
        assert_eq!(
            a.call("POST", path, None, Some(body)).await.0,
            403,
            "{path} by a learner"
        );
    }
    assert_eq!(
        a.call("GET", "/instructor/api/class", None, None).await.0,
        403
    );

    let teacher = instructor(&app).await;
    let class: Value = teacher
        .get("/instructor/api/class")
        .await
        .json()
        .await
        .expect("the class as JSON");
    assert!(class["labs"].as_u64() >= Some(2), "{class}");
    assert!(class["active"].as_u64() >= Some(2), "{class}");
    let scheme = |name: &str| {
        class["schemes"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["scheme"] == name))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        scheme("cookie")["rows"],
        0,
        "a signed cookie keeps nothing on the server"
    );
    for name in ["session", "token", "jwt"] {
        assert!(scheme(name)["rows"].as_i64() >= Some(2), "{name}: {class}");
        assert!(scheme(name)["bytes"].as_i64() > Some(0), "{name}: {class}");
    }
    for name in ["cookie", "session", "token", "jwt"] {
        assert!(
            scheme(name)["requests"].as_u64() > Some(0),
            "{name} requests: {class}"
        );
    }
    let (_, page) = teacher.page("/instructor?lang=ko").await;
    assert!(
        page.contains("반 전체에 적용") && page.contains("발표 모드"),
        "the dashboard in Korean"
    );

    // Rotating every lab's keys ends every JWT and cookie login, never a session or a DRF key.
    assert_eq!(
        teacher
            .post_json("/instructor/api/rotate-keys", &json!({"confirm": true}))
            .await
            .status(),
        200
    );
    assert_eq!(a.me_everywhere(&la).await, [401, 200, 200, 401]);
    assert_eq!(b.me_everywhere(&lb).await, [401, 200, 200, 401]);

    // The class clock moves every lab (an hour: the sessions idle out too).
    let moved = teacher
        .post_json("/instructor/api/clock", &json!({"advance": "1h"}))
        .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(
        (a.clock_offset().await, b.clock_offset().await),
        (3_600, 3_600)
    );
    assert_eq!(
        teacher
            .post_json("/instructor/api/clock", &json!({"reset": true}))
            .await
            .status(),
        200
    );

    // Reset asks first, then empties every lab.
    assert_eq!(
        teacher
            .post_json("/instructor/api/reset", &json!({}))
            .await
            .status(),
        400
    );
    let res = a
        .app
        .submit_form(
            "/signup",
            "/signup",
            &[
                ("email", "frank@example.com"),
                ("username", "frank"),
                ("password", "frank-pass-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        teacher
            .post_json("/instructor/api/reset", &json!({"confirm": true}))
            .await
            .status(),
        200
    );
    assert!(!a.users_page().await.contains("frank@example.com"));
    assert_eq!(a.me_everywhere(&la).await, [401, 401, 401, 401]);
}
