//! Real-browser tests: Debian's Chromium driven through chromedriver (feature `browser-tests`).
//!
//! Install with `apt-get install -y chromium chromium-driver`, then `cargo test --all-features`.

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestApp, TestUser, spawn_app};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// A chromedriver process, killed when dropped, with a headless Chromium session on a fresh profile.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// A fresh Chromium behind its own chromedriver. The port chromedriver is given may be taken
    /// by a test server in the moment before it binds it: then it starts again on another port.
    async fn start() -> Browser {
        let mut last = String::new();
        for _ in 0..3 {
            match Browser::try_start().await {
                Ok(browser) => return browser,
                Err(e) => last = e,
            }
        }
        panic!("a WebDriver session: {last}");
    }

    async fn try_start() -> Result<Browser, String> {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install -y chromium chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut driver = driver;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() >= deadline {
                let _ = driver.kill();
                return Err("chromedriver did not start listening".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a profile dir");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,720",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                return Err(e.to_string());
            }
        };
        Ok(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    async fn goto(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.expect("navigates");
    }

    /// The text of the element `css` names. A page that re-renders (a reset, a panel re-read)
    /// may replace the element between finding and reading it: it is then found again.
    async fn text_of(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let element = self
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css} appears: {e}"));
            match element.text().await {
                Ok(text) => return text,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{css}: {e}"),
            }
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} exists: {e}"))
            .send_keys(value)
            .await
            .expect("typed");
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} exists: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css} clicked: {e}"));
    }

    async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

#[actix_web::test]
async fn signing_up_in_the_browser_shows_the_new_row_on_users() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.goto(&app, "/signup").await;
    browser.fill("#email", "Frank@Example.com").await;
    browser.fill("#username", "frank").await;
    browser.fill("#password", "frank-pass-123").await;
    browser.click("#submit").await;

    let row = browser.text_of("#user-4").await;
    assert!(row.contains("frank@example.com"), "{row}");
    assert!(row.contains("$argon2id$v=19$m=19456,t=2,p=1$…"), "{row}");
    let url = browser.client.current_url().await.expect("a url");
    assert_eq!(url.path(), "/users");
    browser.close().await;
}

#[actix_web::test]
async fn the_overview_renders_all_four_columns() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.goto(&app, "/").await;
    for (slug, name) in [
        ("cookie", "Cookie"),
        ("session", "Session"),
        ("token", "DRF token"),
        ("jwt", "JWT"),
    ] {
        let column = browser.text_of(&format!("#column-{slug} h2")).await;
        assert_eq!(column, name);
    }
    let no_horizontal_scroll: bool = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .expect("script runs")
        .as_bool()
        .unwrap_or(false);
    assert!(
        no_horizontal_scroll,
        "the overview fits 1280 px without scrolling sideways"
    );
    browser.close().await;
}

#[actix_web::test]
async fn switching_language_from_the_navigation_changes_the_page() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.goto(&app, "/users").await;
    assert_eq!(browser.text_of("main h1").await, "Users");

    browser.click("#lang-ko").await;
    let heading = browser.text_of("main h1").await;
    assert_eq!(heading, "사용자");
    let lang: String = browser
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("script runs")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(lang, "ko");

    browser.goto(&app, "/").await;
    assert_eq!(
        browser.text_of("#overview-heading").await,
        "서버가 사용자를 기억하는 네 가지 방법"
    );
    browser.close().await;
}

async fn cookie_login_in_browser(browser: &Browser, app: &TestApp) {
    browser.goto(app, "/cookie").await;
    browser.fill("#email", "alice@example.com").await;
    browser.fill("#password", TestUser::ALICE.password).await;
    browser.click("#submit").await;
}

#[actix_web::test]
async fn cookie_login_through_the_form_shows_the_protected_page() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    cookie_login_in_browser(&browser, &app).await;
    let who = browser.text_of("#who").await;
    assert!(who.contains("alice@example.com"), "{who}");
    let url = browser.client.current_url().await.expect("a url");
    assert_eq!(url.path(), "/cookie/me");
    let script_sees: String = browser
        .client
        .execute("return document.cookie;", vec![])
        .await
        .expect("script runs")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !script_sees.contains("authlab_cookie"),
        "HttpOnly hides it from script: {script_sees}"
    );
    browser.close().await;
}

#[actix_web::test]
async fn the_size_lab_shows_the_browser_dropping_the_4097_byte_cookie() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.goto(&app, "/cookie").await;
    browser.click("#size-run").await;
    let kept_4096 = browser.text_of("#size-4096 td:last-child").await;
    let kept_4097 = browser.text_of("#size-4097 td:last-child").await;
    let kept_6000 = browser.text_of("#size-6000 td:last-child").await;
    assert_eq!(kept_4096, "kept");
    assert_eq!(kept_4097, "dropped");
    assert_eq!(kept_6000, "dropped");
    browser.close().await;
}

#[actix_web::test]
async fn the_tamper_lab_makes_alice_bob_on_the_naive_route_and_nobody_on_the_signed_one() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    cookie_login_in_browser(&browser, &app).await;
    browser.text_of("#who").await;

    browser.goto(&app, "/lab/vulnerable/naive-cookie").await;
    assert!(
        browser
            .text_of("#naive-who")
            .await
            .contains("alice@example.com")
    );
    browser
        .client
        .find(Locator::Css("#naive-value"))
        .await
        .expect("the editor")
        .clear()
        .await
        .expect("cleared");
    browser.fill("#naive-value", "bob@example.com|user").await;
    browser.click("#naive-save").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let who = browser.text_of("#naive-who").await;
    assert!(
        who.contains("bob@example.com"),
        "the naive route believes the edit: {who}"
    );

    browser.goto(&app, "/cookie").await;
    let field = browser
        .client
        .find(Locator::Css("#tamper-value"))
        .await
        .expect("the signed cookie editor");
    let value = field
        .prop("value")
        .await
        .expect("a value")
        .unwrap_or_default();
    field.clear().await.expect("cleared");
    field
        .send_keys(&value.replace("alice", "bobby"))
        .await
        .expect("typed");
    browser.click("#tamper-submit").await;
    let result = browser.text_of("#tamper-result").await;
    assert!(result.contains("refused"), "{result}");
    assert!(
        browser
            .client
            .find(Locator::Css("#login-form"))
            .await
            .is_ok(),
        "anonymous again"
    );
    browser.close().await;
}

async fn session_login_in_browser(browser: &Browser, app: &TestApp) {
    browser.goto(app, "/session").await;
    browser.fill("#email", "alice@example.com").await;
    browser.fill("#password", TestUser::ALICE.password).await;
    browser.click("#submit").await;
    browser.text_of("#who").await;
}

#[actix_web::test]
async fn revoking_a_session_from_a_second_browser_logs_the_first_one_out() {
    let app = spawn_app().await;
    let first = Browser::start().await;
    let second = Browser::start().await;
    session_login_in_browser(&first, &app).await;
    join_lab_of(&second, &first, &app).await;
    session_login_in_browser(&second, &app).await;

    second.goto(&app, "/session/devices").await;
    let rows = second
        .client
        .find_all(Locator::Css("#devices tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2, "two browsers, two sessions");
    let other = second
        .client
        .find(Locator::Css(
            "#devices tbody tr:not(.highlight) form button",
        ))
        .await
        .expect("the other browser's revoke button");
    other.click().await.expect("clicked");
    second.text_of("#revoked").await;

    first.goto(&app, "/session/me").await;
    first.text_of("#login-form").await;
    let url = first.client.current_url().await.expect("a url");
    assert_eq!(
        url.path(),
        "/session",
        "the revoked browser is sent to log in again"
    );

    second.goto(&app, "/session/me").await;
    assert!(second.text_of("#who").await.contains("alice@example.com"));
    first.close().await;
    second.close().await;
}

#[actix_web::test]
async fn the_session_page_fills_its_server_panel_with_the_stored_row() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    session_login_in_browser(&browser, &app).await;
    let row = browser.text_of("#session-row").await;
    assert!(row.contains("alice@example.com"), "{row}");
    let totals = browser.text_of("#session-totals").await;
    assert!(
        totals.contains("Session rows on the whole server: 1 "),
        "{totals}"
    );
    browser.close().await;
}

async fn wait_for_text(browser: &Browser, css: &str, needle: &str) -> String {
    wait_for_text_within(browser, css, needle, 10).await
}

/// [`wait_for_text`] for a lab that takes long (many logins, each hashing a password).
async fn wait_for_text_within(browser: &Browser, css: &str, needle: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = browser.text_of(css).await;
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed {needle:?}; last: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Logs alice in through the login form of `page` (whatever form it shows) and waits until
/// `who` names her.
async fn log_in_as_alice(browser: &Browser, app: &TestApp, page: &str, who: &str) {
    browser.goto(app, page).await;
    browser.fill("#email", TestUser::ALICE.email).await;
    browser.fill("#password", TestUser::ALICE.password).await;
    browser.click("#submit").await;
    wait_for_text(browser, who, TestUser::ALICE.email).await;
}

#[actix_web::test]
async fn token_login_keeps_the_key_in_local_storage_and_regenerate_kills_the_old_one() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    log_in_as_alice(&browser, &app, "/token", "#token-who").await;

    let stored: String = stored(&browser, "authlab.token").await;
    assert_eq!(stored.len(), 40);
    assert_eq!(browser.text_of("#browser-token").await, stored);
    assert!(
        browser
            .text_of("#wire-header")
            .await
            .starts_with("Authorization: Token ")
    );

    browser.click("#regenerate").await;
    wait_for_text(&browser, "#theft-result", "New key").await;
    browser.click("#old-key-check").await;
    let answer = wait_for_text(&browser, "#theft-result", "HTTP").await;
    assert!(answer.contains("HTTP 401"), "{answer}");
    assert!(answer.contains("Invalid token."), "{answer}");
    browser.close().await;
}

#[actix_web::test]
async fn after_a_script_login_the_form_is_gone_and_the_second_device_lab_has_its_own_fields() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    for (page, who) in [("/token", "#token-who"), ("/jwt", "#jwt-who")] {
        log_in_as_alice(&browser, &app, page, who).await;
        let form = browser
            .client
            .find(Locator::Css("form.login"))
            .await
            .expect("the form is in the page");
        assert!(
            !form.is_displayed().await.expect("asks"),
            "{page}: the login form is hidden once signed in"
        );
    }
    browser.goto(&app, "/token").await;
    wait_for_text(&browser, "#token-who", "alice@example.com").await;
    browser
        .fill("#device-password", TestUser::ALICE.password)
        .await;
    browser.click("#device-login").await;
    let answer = wait_for_text(&browser, "#device-result", "same").await;
    assert!(answer.contains("same key"), "{answer}");
    browser.click("#device-check").await;
    let answer = wait_for_text(&browser, "#device-result", "HTTP").await;
    assert!(answer.contains("HTTP 200"), "{answer}");
    browser.close().await;
}

#[actix_web::test]
async fn the_jwt_page_decodes_the_tokens_counts_down_and_refreshes_by_itself() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    log_in_as_alice(&browser, &app, "/jwt", "#jwt-who").await;

    let parts = browser
        .client
        .find_all(Locator::Css("#access-parts span"))
        .await
        .expect("parts");
    assert_eq!(parts.len(), 3, "header, payload, signature");
    assert_eq!(
        parts[0].text().await.expect("text"),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    );
    let payload = browser.text_of("#access-payload").await;
    assert!(
        payload.contains("\"token_type\": \"access\""),
        "decoded without a key: {payload}"
    );
    assert!(
        browser
            .text_of("#countdown-access")
            .await
            .contains("expires in")
    );
    let refresh_left = browser.text_of("#countdown-refresh").await;
    assert!(
        refresh_left.starts_with("expires in 23 h 59 min") || refresh_left == "expires in 1 d",
        "a day reads in hours: {refresh_left}"
    );
    let first_access: String = stored(&browser, "authlab.jwt.access").await;

    let bar_before = browser.text_of("#lab-now").await;
    browser.click("#expire-access").await;
    let result = wait_for_text(&browser, "#expiry-result", "new access token").await;
    assert!(result.contains("HTTP 401"), "{result}");
    assert!(result.contains("HTTP 200"), "{result}");
    assert!(
        !result.contains("+00:00"),
        "the time is written for people: {result}"
    );
    let bar_after = browser.text_of("#lab-now").await;
    assert_ne!(
        bar_before, bar_after,
        "the clock bar follows the server's lab clock"
    );
    let now = lab_clock(&app, &browser).await.now();
    let recent: Vec<String> = (0..5)
        .map(|back| {
            (now - chrono::Duration::seconds(back))
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        })
        .collect();
    assert!(
        recent.contains(&bar_after),
        "and shows its time: {bar_after} {recent:?}"
    );
    let second_access: String = stored(&browser, "authlab.jwt.access").await;
    assert_ne!(
        first_access, second_access,
        "the page refreshed the pair by itself"
    );
    browser.close().await;
}

#[actix_web::test]
async fn two_tabs_refreshing_together_stay_logged_in_and_a_late_replay_ends_the_family() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.goto(&app, "/jwt?lang=ko").await;
    assert!(
        browser
            .text_of("#lab-two-tabs h3")
            .await
            .contains("탭 두 개")
    );
    log_in_as_alice(&browser, &app, "/jwt?lang=en", "#jwt-who").await;

    browser.click("#tabs-race").await;
    let raced = wait_for_text(&browser, "#tabs-result", "still accepts").await;
    assert!(
        raced.contains("Tab 1: HTTP 200 · Tab 2: HTTP 200"),
        "{raced}"
    );
    assert!(
        raced.contains("the same refresh token"),
        "one chain: {raced}"
    );
    assert!(
        raced.contains("accepts: 1."),
        "one live refresh token: {raced}"
    );

    browser.click("#tabs-late").await;
    let late = wait_for_text(&browser, "#tabs-result", "Token is blacklisted").await;
    assert!(late.contains("HTTP 401"), "{late}");
    assert!(
        late.contains("accepts: 0."),
        "the whole family fell: {late}"
    );
    browser.close().await;
}

async fn login_everywhere_in_browser(browser: &Browser, app: &TestApp) {
    browser.goto(app, "/compare").await;
    browser.fill("#password", TestUser::ALICE.password).await;
    browser.click("#login-all-submit").await;
    for slug in ["cookie", "session", "token", "jwt"] {
        wait_for_text(browser, &format!("#col-{slug}-who"), "alice@example.com").await;
    }
}

#[actix_web::test]
async fn one_login_signs_in_to_all_four_and_the_page_fits_a_projector() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    login_everywhere_in_browser(&browser, &app).await;
    browser.click("#request-all").await;
    for slug in ["cookie", "session", "token", "jwt"] {
        wait_for_text(&browser, &format!("#col-{slug}-answer"), "200").await;
    }
    assert_eq!(browser.text_of("#col-token-expiry").await, "never");
    let fits: bool = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .expect("script runs")
        .as_bool()
        .unwrap_or(false);
    assert!(fits, "no horizontal scrolling at 1280×720");
    browser.goto(&app, "/compare").await;
    wait_for_text(&browser, "#col-jwt-who", "alice@example.com").await;
    let png = browser.client.screenshot().await.expect("a screenshot");
    std::fs::write(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/compare.png"),
        png,
    )
    .expect("the screenshot is saved for the README");
    browser.close().await;
}

#[actix_web::test]
async fn reset_signs_the_browser_out_everywhere_and_clears_local_storage() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    login_everywhere_in_browser(&browser, &app).await;
    browser
        .client
        .execute("window.confirm = function () { return true; };", vec![])
        .await
        .expect("script runs");
    browser.click("#reset").await;
    for slug in ["cookie", "session", "token", "jwt"] {
        wait_for_text(&browser, &format!("#col-{slug}-who"), "not signed in").await;
    }
    let left: i64 = browser
        .client
        .execute("return localStorage.length;", vec![])
        .await
        .expect("script runs")
        .as_i64()
        .unwrap_or(-1);
    assert_eq!(left, 0, "localStorage is empty");
    browser.close().await;
}

#[actix_web::test]
async fn the_second_server_lab_shows_only_the_jwt_claims_passing_elsewhere() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.goto(&app, "/compare").await;
    browser.click("#second-server-run").await;
    let shown = wait_for_text(&browser, "#second-server-result", "✓ 200").await;
    assert_eq!(
        shown.matches('✓').count(),
        1,
        "only the claims pass: {shown}"
    );
    assert_eq!(shown.matches('✗').count(), 5, "{shown}");
    assert!(shown.contains("User not found"), "{shown}");
    browser.close().await;
}

/// Local storage item `name` of the page.
/// Moves the lab clock of the lab `browser` is in (its own private lab), as its clock bar does.
async fn move_lab_clock(browser: &Browser, by: &str) {
    let status = browser
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1];
             fetch('/lab/clock', { method: 'POST', headers: { 'Content-Type': 'application/json' },
               body: JSON.stringify({ advance: arguments[0] }) }).then(function (r) { done(r.status); });",
            vec![json!(by)],
        )
        .await
        .expect("the clock moves");
    assert_eq!(status, json!(200));
}

/// The clock of the private lab `browser` is in.
async fn lab_clock(app: &TestApp, browser: &Browser) -> authlab::clock::Clock {
    let code = run_js(
        browser,
        "return document.body.getAttribute('data-lab');",
        vec![],
    )
    .await;
    let code = code.as_str().unwrap_or_default().to_owned();
    app.classroom
        .learners()
        .into_iter()
        .find(|lab| lab.id == code)
        .map(|lab| lab.state.clock.clone())
        .unwrap_or_else(|| panic!("the browser's lab {code:?} is open"))
}

/// Puts `second` in the lab `first` is in, through the join page a learner uses (the link the
/// lab bar leads to), so the two are one learner's two devices.
async fn join_lab_of(second: &Browser, first: &Browser, app: &TestApp) {
    let code = run_js(
        first,
        "return document.body.getAttribute('data-lab');",
        vec![],
    )
    .await;
    let code = code
        .as_str()
        .filter(|c| !c.is_empty())
        .expect("the first browser is in a lab");
    second.goto(app, &format!("/lab/join?code={code}")).await;
    second.click("#join-submit").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = run_js(
            second,
            "return document.body.getAttribute('data-lab');",
            vec![],
        )
        .await;
        if now.as_str() == Some(code) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the second browser joined the lab"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn stored(browser: &Browser, name: &str) -> String {
    browser
        .client
        .execute(
            "return localStorage.getItem(arguments[0]) || '';",
            vec![json!(name)],
        )
        .await
        .expect("script runs")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[actix_web::test]
async fn the_jwt_panels_follow_the_pair_through_a_refresh_by_itself_and_keep_the_logged_out_row() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    log_in_as_alice(&browser, &app, "/jwt", "#jwt-who").await;
    let first = stored(&browser, "authlab.jwt.access").await;

    // Two seconds before the access token runs out, then the page is left to watch it expire.
    move_lab_clock(&browser, "298s").await;
    browser.goto(&app, "/jwt").await;
    wait_for_text(&browser, "#jwt-who", "alice@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let second = loop {
        let now = stored(&browser, "authlab.jwt.access").await;
        if now != first && !now.is_empty() {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "the page never refreshed by itself"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    wait_for_text(&browser, "#access-parts", &second[second.len() - 20..]).await;
    assert_eq!(
        browser.text_of("#access-parts").await,
        second,
        "the decoder follows"
    );
    assert_eq!(
        browser.text_of("#wire-header").await,
        format!("Authorization: Bearer {second}"),
        "and so does the wire panel"
    );

    // The refresh token held now: after logout its own row stays in view, struck through.
    let held: String = browser
        .client
        .execute(
            "return JSON.parse(atob(localStorage.getItem('authlab.jwt.refresh').split('.')[1].replace(/-/g,'+').replace(/_/g,'/'))).jti;",
            vec![],
        )
        .await
        .expect("script runs")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    browser.click("#jwt-logout").await;
    let today = lab_clock(&app, &browser)
        .await
        .now()
        .format("%Y-%m-%d")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let struck: Vec<String> = browser
            .client
            .execute(
                "return Array.from(document.querySelectorAll('#refresh-rows tbody tr.blacklisted')).map(tr => tr.querySelector('code.value, code').textContent + ' ' + tr.textContent);",
                vec![],
            )
            .await
            .expect("script runs")
            .as_array()
            .map(|rows| rows.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if struck
            .iter()
            .any(|row| row.contains(&held) && row.contains(&today))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the row just blacklisted ({held}) is not shown with its date: {struck:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.close().await;
}

#[actix_web::test]
async fn the_hijack_lab_ends_with_the_stolen_copy_refused_in_the_page_s_language() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    log_in_as_alice(&browser, &app, "/session?lang=ko", "#who").await;
    browser.click("#stolen-keep").await;
    browser.click("#stolen-replay").await;
    wait_for_text(&browser, "#stolen-answer", "HTTP 200").await;

    browser.goto(&app, "/session/devices").await;
    browser.click("tr.highlight form button").await;
    let url = browser.client.current_url().await.expect("a url");
    assert_eq!(url.path(), "/session");
    assert_eq!(url.fragment(), Some("lab-hijack-replay"));
    browser.click("#stolen-replay").await;
    let answer = wait_for_text(&browser, "#stolen-answer", "HTTP 401").await;
    assert!(
        answer.contains("서버에 이 ID의 세션이 없습니다"),
        "the refusal says what happened, in Korean: {answer}"
    );
    browser.close().await;
}

/// Words that a table on the page breaks across two lines (long values aside, which wrap on
/// purpose once opened), and `th` cells that take more than one line.
const BROKEN_WORDS: &str = r#"
// Lines a range covers: boxes whose tops differ by less than half a line are one line (an
// inline <code> sits a pixel or two off its text).
function lines(range) {
  const tops = Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => r.top).sort((a, b) => a - b);
  let count = 0, last = -1e9;
  for (const top of tops) { if (top - last > 8) { count++; last = top; } }
  return count;
}
const broken = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  const el = node.parentElement;
  if (!el || !el.closest('table') || el.closest('code.value, pre, details.long-value')) continue;
  if (el.offsetParent === null) continue;
  const re = /\S+/g;
  let m;
  while ((m = re.exec(node.data))) {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    if (lines(range) > 1) broken.push(m[0]);
  }
}
document.querySelectorAll('.table-wrap').forEach(wrap => {
  if (wrap.offsetParent !== null && wrap.scrollWidth > wrap.clientWidth + 1) {
    broken.push('scrolls sideways: ' + (wrap.querySelector('table') || wrap).id);
  }
});
document.querySelectorAll('thead th, table.kv th').forEach(th => {
  if (th.offsetParent === null || th.rowSpan > 1) return;
  const range = document.createRange();
  range.selectNodeContents(th);
  if (lines(range) > 1) broken.push('th: ' + th.textContent.trim());
});
return broken;
"#;

#[actix_web::test]
async fn every_table_reads_at_1280_without_words_broken_in_the_middle_in_both_languages() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    login_everywhere_in_browser(&browser, &app).await;
    let res = app
        .post_json("/session/lab/load", &json!({"count": 10}))
        .await;
    assert!(res.status().is_success());
    for lang in ["en", "ko"] {
        for path in [
            "/compare",
            "/jwt",
            "/token",
            "/session",
            "/session/devices",
            "/cookie",
            "/users",
            "/",
        ] {
            browser.goto(&app, &format!("{path}?lang={lang}")).await;
            tokio::time::sleep(Duration::from_millis(700)).await;
            if path == "/session" {
                browser.click("#load-measure").await;
                wait_for_text(&browser, "#load-costs tbody", "µs").await;
            }
            let broken = browser
                .client
                .execute(BROKEN_WORDS, vec![])
                .await
                .expect("script runs");
            assert_eq!(
                broken,
                json!([]),
                "{path}?lang={lang}: words broken mid-word"
            );
        }
    }
    browser.goto(&app, "/compare").await;
    // The answer text a run writes into each cell: a <small> in a matrix cell.
    let size: f64 = browser
        .client
        .execute(
            "const small = document.createElement('small'); small.textContent = '401'; document.querySelector('table.matrix td[id^=\"m-\"]').appendChild(small); return parseFloat(getComputedStyle(small).fontSize);",
            vec![],
        )
        .await
        .expect("script runs")
        .as_f64()
        .unwrap_or_default();
    assert!(
        size >= 16.0,
        "matrix cells read from the back of a room: {size}px"
    );
    browser.close().await;
}

#[actix_web::test]
async fn after_key_rotation_in_the_matrix_every_compare_column_reads_its_state_again() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    login_everywhere_in_browser(&browser, &app).await;
    browser.click("#request-all").await;
    wait_for_text(&browser, "#col-jwt-answer", "200").await;
    browser.click("#matrix-rotate").await;
    browser.click("#matrix-run").await;
    wait_for_text_within(&browser, "#col-cookie-who", "rotated", 60).await;
    wait_for_text(&browser, "#col-jwt-who", "not signed in").await;
    assert_eq!(
        browser.text_of("#col-jwt-answer").await,
        "—",
        "no answer left from before"
    );
    let page = browser.text_of("body").await;
    assert!(!page.contains("undefined"), "{page}");
    assert_eq!(
        browser.text_of("#col-jwt-holds").await,
        "nothing",
        "the dead pair was dropped"
    );
    browser.close().await;
}

/// Runs `script` in the page and returns its value.
async fn run_js(
    browser: &Browser,
    script: &str,
    args: Vec<serde_json::Value>,
) -> serde_json::Value {
    browser
        .client
        .execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script runs: {script}: {e}"))
}

/// The inspector's exchanges, oldest first.
async fn exchanges(browser: &Browser) -> Vec<serde_json::Value> {
    let list = run_js(
        browser,
        "return window.authlab.inspector.exchanges();",
        vec![],
    )
    .await;
    list.as_array().cloned().unwrap_or_default()
}

/// The newest answered exchange with `method` and `path`, waiting for it.
async fn exchange(browser: &Browser, method: &str, path: &str) -> serde_json::Value {
    exchange_carrying(browser, method, path, "").await
}

/// [`exchange`], for one whose request carries `needle` (a cookie's name, say).
async fn exchange_carrying(
    browser: &Browser,
    method: &str,
    path: &str,
    needle: &str,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = exchanges(browser).await.into_iter().rev().find(|x| {
            x["request"]["method"] == method
                && x["request"]["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with(path))
                && x["response"].is_object()
                && x["request"].to_string().contains(needle)
        });
        if let Some(x) = found {
            return x;
        }
        assert!(
            Instant::now() < deadline,
            "the inspector never listed {method} {path}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a curl command copied from the page (its `data-copy`) and returns status and body.
fn run_curl(command: &str) -> (u16, String) {
    let (status, _, body) = run_curl_whole(command);
    (status, body)
}

/// [`run_curl`], with the response headers as curl printed them.
fn run_curl_whole(command: &str) -> (u16, String, String) {
    assert!(command.starts_with("curl -i "), "a curl command: {command}");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} -s --max-time 10"))
        .output()
        .expect("curl runs (apt-get install -y curl)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("curl printed a status line: {text:?} {:?}", out.stderr));
    (status, head.to_owned(), body.to_owned())
}

/// The copy-as-curl command of exchange `id`, as its button holds it.
async fn curl_of(browser: &Browser, id: i64) -> String {
    let selector = format!("#request-log tr[data-exchange=\"{id}\"] .copy-curl");
    let value = run_js(
        browser,
        "var b = document.querySelector(arguments[0]); return b ? b.getAttribute('data-copy') : null;",
        vec![json!(selector)],
    )
    .await;
    value
        .as_str()
        .unwrap_or_else(|| panic!("{selector} is listed"))
        .to_owned()
}

/// Opens exchange `id` in the inspector, edits it with `edits` (field name → value) and sends
/// it again, as a tester does with the form; returns the resent exchange once answered.
async fn resend(browser: &Browser, id: i64, edits: &[(&str, &str)]) -> serde_json::Value {
    let before = exchanges(browser).await.len();
    run_js(
        browser,
        "var row = document.querySelector('#request-log tr[data-exchange=\"' + arguments[0] + '\"]');
         if (!row.nextElementSibling || !row.nextElementSibling.classList.contains('exchange-detail')) {
           row.querySelector('.open-exchange').click();
         }
         var detail = document.querySelector('#request-log tr[data-exchange=\"' + arguments[0] + '\"] + tr');
         if (!detail.querySelector('form.resend')) { detail.querySelector('.edit-resend').click(); }",
        vec![json!(id)],
    )
    .await;
    let edits: serde_json::Map<String, serde_json::Value> = edits
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    run_js(
        browser,
        "var form = document.querySelector('#request-log tr[data-exchange=\"' + arguments[0] + '\"] + tr form.resend');
         var edits = arguments[1];
         Object.keys(edits).forEach(function (name) { form.elements[name].value = edits[name]; });
         form.querySelector('button[type=submit]').click();",
        vec![json!(id), json!(edits)],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = exchanges(browser).await;
        if list.len() > before {
            let last = list.last().cloned().expect("one more");
            assert_eq!(last["via"], "resend");
            assert_eq!(last["resendOf"], id);
            return last;
        }
        assert!(
            Instant::now() < deadline,
            "the resend of #{id} never answered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the inspector shows of exchange `id` once opened (both sides, original and resent).
async fn detail_text(browser: &Browser, id: i64) -> String {
    wait_for_text(
        browser,
        &format!("#request-log tr[data-exchange=\"{id}\"] + tr.exchange-detail"),
        "HTTP/1.1",
    )
    .await
}

/// Checks the HAR export against HAR 1.2: the fields each object must have, their types, and
/// that every entry's `time` is the sum of its timings.
async fn check_har(browser: &Browser) -> serde_json::Value {
    // One synchronous script, so no request lands between the export and the count.
    let both = run_js(
        browser,
        "var i = window.authlab.inspector; return [i.har(), i.exchanges().length];",
        vec![],
    )
    .await;
    let har = both[0].clone();
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "authlab");
    assert!(
        log["creator"]["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    let page = &log["pages"][0];
    assert!(page["id"].is_string() && page["title"].is_string() && page["pageTimings"].is_object());
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(
        Some(entries.len() as u64),
        both[1].as_u64(),
        "every listed exchange is in the HAR"
    );
    assert!(!entries.is_empty(), "the HAR holds the page's requests");
    for entry in entries {
        chrono::DateTime::parse_from_rfc3339(entry["startedDateTime"].as_str().expect("a date"))
            .expect("startedDateTime is ISO 8601");
        assert_eq!(entry["pageref"], page["id"]);
        let request = &entry["request"];
        let response = &entry["response"];
        for (object, fields) in [
            (request, &["method", "url", "httpVersion"][..]),
            (response, &["statusText", "httpVersion", "redirectURL"][..]),
        ] {
            for field in fields {
                assert!(object[field].is_string(), "{field} in {object}");
            }
            for list in ["cookies", "headers"] {
                assert!(object[list].is_array(), "{list} in {object}");
            }
            assert!(object["headersSize"].is_i64() && object["bodySize"].is_i64());
        }
        assert!(request["queryString"].is_array());
        assert!(response["status"].is_u64());
        assert!(
            response["content"]["size"].is_i64() && response["content"]["mimeType"].is_string()
        );
        if let Some(post) = request.get("postData") {
            assert!(post["mimeType"].is_string() && post["text"].is_string());
        }
        assert!(entry["cache"].is_object());
        let timings = &entry["timings"];
        let mut sum = 0.0;
        for phase in ["send", "wait", "receive"] {
            let value = timings[phase]
                .as_f64()
                .unwrap_or_else(|| panic!("timings.{phase}"));
            assert!(value >= 0.0, "timings.{phase} is {value}");
            sum += value;
        }
        let time = entry["time"].as_f64().expect("time");
        assert!(
            (time - sum).abs() < 0.01,
            "time {time} is not the sum of its timings {sum}"
        );
    }
    assert!(
        entries
            .iter()
            .any(|e| e["_serverTiming"].is_array() && e["timings"]["wait"].as_f64() > Some(0.0)),
        "Server-Timing became the entries' wait"
    );
    har
}

fn body_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("a JSON body: {text:?}: {e}"))
}

#[actix_web::test]
async fn the_inspector_lists_resends_copies_as_curl_and_exports_har_on_every_scheme_page_in_both_languages()
 {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    for (lang, heading, form_note, no_jwt, your_password) in [
        (
            "en",
            "Requests this page made",
            "The browser posted this form itself",
            "This browser holds no JWT",
            "YOUR-PASSWORD",
        ),
        (
            "ko",
            "이 페이지가 보낸 요청",
            "이 폼은 브라우저가 직접 제출했기",
            "이 브라우저에는 JWT가 없습니다",
            "비밀번호",
        ),
    ] {
        browser.goto(&app, &format!("/cookie?lang={lang}")).await;
        run_js(
            &browser,
            "sessionStorage.clear(); localStorage.clear();",
            vec![],
        )
        .await;
        browser
            .client
            .delete_all_cookies()
            .await
            .expect("cookies cleared");

        // Cookie: a form the browser posts itself, completed on the page it leads to.
        log_in_as_alice(&browser, &app, &format!("/cookie?lang={lang}"), "#who").await;
        assert_eq!(browser.text_of("#inspector h2").await, heading);
        let login = exchange(&browser, "POST", "/cookie/login").await;
        assert_eq!(login["via"], "form");
        assert_eq!(login["response"]["status"], 303);
        let set_cookies: Vec<&str> = login["response"]["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .filter(|h| h["name"] == "Set-Cookie")
            .filter_map(|h| h["value"].as_str())
            .collect();
        assert!(
            set_cookies.len() == 1 && set_cookies[0].starts_with("authlab_cookie="),
            "the login's one Set-Cookie, read from the cookies the browser now holds: {set_cookies:?}"
        );
        let login_id = login["id"].as_i64().expect("an id");
        // The copied form login, with the password typed where it says so, logs in from a terminal.
        let curl = curl_of(&browser, login_id).await;
        assert!(
            curl.contains(your_password) && !curl.contains(TestUser::ALICE.password),
            "{curl}"
        );
        let (status, head, _) =
            run_curl_whole(&curl.replace(your_password, TestUser::ALICE.password));
        assert_eq!(status, 303, "{head}");
        assert!(
            head.to_lowercase().contains("set-cookie: authlab_cookie="),
            "{head}"
        );
        let resent = resend(
            &browser,
            login_id,
            &[
                ("method", "GET"),
                ("url", "/cookie/api/me"),
                ("body", ""),
                ("credential", "cookies"),
            ],
        )
        .await;
        assert_eq!(resent["response"]["status"], 200, "{resent}");
        let detail = detail_text(&browser, login_id).await;
        assert!(
            detail.contains(form_note),
            "{lang}: the form is explained: {detail}"
        );
        assert!(
            detail.contains(TestUser::ALICE.email),
            "the resent answer beside the original"
        );
        let curl = curl_of(&browser, resent["id"].as_i64().expect("id")).await;
        assert!(
            curl.contains(" -b '") && curl.contains("authlab_cookie="),
            "the copied command carries the cookie: {curl}"
        );
        let (status, body) = run_curl(&curl);
        assert_eq!(status, 200);
        assert_eq!(
            body_json(&body),
            body_json(resent["response"]["body"].as_str().expect("body"))
        );
        let refused = resend(
            &browser,
            resent["id"].as_i64().expect("id"),
            &[("credential", "none")],
        )
        .await;
        assert_eq!(
            refused["response"]["status"], 401,
            "the same request without the cookie"
        );
        check_har(&browser).await;

        // Session: the page's own fetch of its server panel carries the sessionid.
        log_in_as_alice(&browser, &app, &format!("/session?lang={lang}"), "#who").await;
        let panel = exchange_carrying(&browser, "GET", "/session/panel", "sessionid=").await;
        let curl = curl_of(&browser, panel["id"].as_i64().expect("id")).await;
        assert!(curl.contains("sessionid="), "{curl}");
        let (status, body) = run_curl(&curl);
        assert_eq!(status, 200);
        assert!(
            body.contains("alice"),
            "curl reaches the same session: {body}"
        );
        let me = resend(
            &browser,
            panel["id"].as_i64().expect("id"),
            &[("url", "/session/api/me"), ("credential", "cookies")],
        )
        .await;
        assert_eq!(me["response"]["status"], 200);
        check_har(&browser).await;

        // Token: script requests, whole, and the same request with other credentials.
        log_in_as_alice(&browser, &app, &format!("/token?lang={lang}"), "#token-who").await;
        let kept = run_js(
            &browser,
            "return sessionStorage.getItem('authlab.inspector');",
            vec![],
        )
        .await;
        assert!(
            !kept
                .as_str()
                .unwrap_or_default()
                .contains(TestUser::ALICE.password),
            "no password is kept in the list"
        );
        let token_login = exchange(&browser, "POST", "/token/api/login").await;
        let curl = curl_of(&browser, token_login["id"].as_i64().expect("id")).await;
        let (status, body) = run_curl(&curl.replace(your_password, TestUser::ALICE.password));
        assert_eq!(
            status, 200,
            "the copied JSON login, password typed in: {curl}"
        );
        assert_eq!(body_json(&body)["token"].as_str().map(str::len), Some(40));
        let token_me = exchange(&browser, "GET", "/token/api/me").await;
        let id = token_me["id"].as_i64().expect("id");
        let curl = curl_of(&browser, id).await;
        assert!(curl.contains("-H 'Authorization: Token "), "{curl}");
        let (status, body) = run_curl(&curl);
        assert_eq!(status, 200);
        assert_eq!(
            body_json(&body),
            body_json(token_me["response"]["body"].as_str().expect("body"))
        );
        let none = resend(&browser, id, &[("credential", "none")]).await;
        assert_eq!(none["response"]["status"], 401);
        let detail = detail_text(&browser, id).await;
        assert!(
            detail.contains("Authentication credentials were not provided."),
            "{detail}"
        );
        assert!(
            detail.to_lowercase().contains("www-authenticate"),
            "{detail}"
        );
        // No JWT yet: the resend form says so in the page's language and sends nothing.
        let count = exchanges(&browser).await.len();
        run_js(
            &browser,
            "var form = document.querySelector('#request-log tr[data-exchange=\"' + arguments[0] + '\"] + tr form.resend');
             form.elements.credential.value = 'jwt'; form.querySelector('button[type=submit]').click();",
            vec![json!(id)],
        )
        .await;
        wait_for_text(&browser, "form.resend .form-error", no_jwt).await;
        assert_eq!(exchanges(&browser).await.len(), count);
        check_har(&browser).await;

        // JWT: the same /me with a DRF key is refused; with the Bearer token it passes.
        log_in_as_alice(&browser, &app, &format!("/jwt?lang={lang}"), "#jwt-who").await;
        let jwt_me = exchange(&browser, "GET", "/jwt/api/me").await;
        let id = jwt_me["id"].as_i64().expect("id");
        let (status, body) = run_curl(&curl_of(&browser, id).await);
        assert_eq!(status, 200);
        assert_eq!(
            body_json(&body),
            body_json(jwt_me["response"]["body"].as_str().expect("body"))
        );
        let with_key = resend(&browser, id, &[("credential", "token")]).await;
        assert_eq!(
            with_key["response"]["status"], 401,
            "a DRF key is no Bearer token"
        );
        let with_jwt = resend(&browser, id, &[("credential", "jwt")]).await;
        assert_eq!(with_jwt["response"]["status"], 200);
        check_har(&browser).await;

        // Compare: every column's requests are listed, and the export button makes the file.
        browser.goto(&app, &format!("/compare?lang={lang}")).await;
        exchange(&browser, "GET", "/jwt/api/inspect").await;
        let har = check_har(&browser).await;
        let urls: Vec<&str> = har["log"]["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(|e| e["request"]["url"].as_str())
            .collect();
        for path in [
            "/cookie/api/inspect",
            "/session/api/inspect",
            "/token/api/inspect",
        ] {
            assert!(urls.iter().any(|u| u.ends_with(path)), "{path} in the HAR");
        }
        run_js(
            &browser,
            "window.__downloads = []; var click = HTMLAnchorElement.prototype.click;
             HTMLAnchorElement.prototype.click = function () { window.__downloads.push(this.download); return click.call(this); };
             document.getElementById('inspector-har').click();",
            vec![],
        )
        .await;
        let downloads = run_js(&browser, "return window.__downloads;", vec![]).await;
        assert_eq!(downloads, json!(["authlab-compare.har"]));
    }
    browser.close().await;
}

#[actix_web::test]
async fn the_instructor_page_and_presenter_mode_work_in_both_languages_at_1280() {
    let app = spawn_app().await;
    let secret = app
        .state
        .settings
        .instructor_secret
        .clone()
        .expect("a generated secret");
    let browser = Browser::start().await;
    for (lang, learners, moved, step_two) in [
        ("en", "learners active", "The clock of", "Step 2 of"),
        ("ko", "학습자", "시계를 움직였습니다", "단계 중 2단계"),
    ] {
        browser
            .goto(&app, &format!("/instructor?lang={lang}"))
            .await;
        if run_js(
            &browser,
            "return !!document.getElementById('instructor-secret');",
            vec![],
        )
        .await
            == json!(true)
        {
            browser.fill("#instructor-secret", &secret).await;
            browser.click("#instructor-submit").await;
        }
        wait_for_text(&browser, "#class-learners", learners).await;
        assert!(browser.text_of("#load-session").await.contains(' '));
        browser.click("[data-class-clock=\"1h\"]").await;
        wait_for_text(&browser, "#class-answer", moved).await;
        let width = run_js(
            &browser,
            "return document.documentElement.scrollWidth;",
            vec![],
        )
        .await;
        assert!(
            width.as_u64() <= Some(1280),
            "{lang}: the dashboard fits 1280 px ({width})"
        );
        browser.click("[data-class-clock=\"reset\"]").await;

        // Presenter mode: one step at a time, moved with the keyboard.
        browser
            .goto(&app, &format!("/cookie?present=1&lang={lang}"))
            .await;
        run_js(&browser, "sessionStorage.clear();", vec![]).await;
        browser
            .goto(&app, &format!("/cookie?present=1&lang={lang}"))
            .await;
        let first = browser.text_of("#presenter-step").await;
        assert!(first.contains('1'), "{lang}: {first}");
        browser
            .client
            .find(Locator::Css("body"))
            .await
            .expect("the page")
            .send_keys("\u{E014}")
            .await
            .expect("the right arrow");
        wait_for_text(&browser, "#presenter-step", step_two).await;
        let shown = run_js(
            &browser,
            "var steps = document.querySelectorAll('main .present-hidden').length;
             return [steps, document.documentElement.scrollWidth, parseFloat(getComputedStyle(document.body).fontSize)];",
            vec![],
        )
        .await;
        assert!(
            shown[0].as_u64() >= Some(3),
            "{lang}: the other steps are hidden: {shown}"
        );
        assert!(
            shown[1].as_u64() <= Some(1280),
            "{lang}: fits 1280 px: {shown}"
        );
        assert!(
            shown[2].as_f64() >= Some(20.0),
            "{lang}: large type: {shown}"
        );
    }
    browser.close().await;
}

/// Sets a textarea or input as typing would, firing its `input` event.
async fn type_into(browser: &Browser, css: &str, value: &str) {
    run_js(
        browser,
        "var el = document.querySelector(arguments[0]); el.value = arguments[1]; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await;
}

/// The workbench's count of the `Authorization` line's bytes.
async fn auth_bytes(browser: &Browser) -> usize {
    browser
        .text_of("#wb-auth-bytes")
        .await
        .trim()
        .parse::<usize>()
        .expect("a number")
}

/// This browser's lab's progress, as the page reads it.
async fn browser_progress(browser: &Browser, id: &str) -> serde_json::Value {
    let all = browser
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1]; fetch('/lab/progress').then(function (r) { return r.json(); }).then(done);",
            vec![],
        )
        .await
        .expect("progress");
    all["challenges"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["id"] == id))
        .cloned()
        .unwrap_or_default()
}

#[actix_web::test]
async fn the_workbench_decodes_verifies_re_signs_and_sends_a_token_authlab_did_not_issue_in_both_languages()
 {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    const JWT_IO: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    for (lang, verified) in [("en", "Signature verified"), ("ko", "")] {
        browser
            .goto(&app, &format!("/jwt/workbench?lang={lang}"))
            .await;
        type_into(&browser, "#wb-token", JWT_IO).await;
        let header = run_js(
            &browser,
            "return document.getElementById('wb-header').value;",
            vec![],
        )
        .await;
        assert!(
            header.as_str().unwrap_or_default().contains("HS256"),
            "{header}"
        );
        let payload = run_js(
            &browser,
            "return document.getElementById('wb-payload').value;",
            vec![],
        )
        .await;
        assert!(
            payload.as_str().unwrap_or_default().contains("John Doe"),
            "{payload}"
        );
        // Decoded without a key; verified with jwt.io's secret, refused with another.
        type_into(&browser, "#wb-secret", "your-256-bit-secret").await;
        let state = browser.text_of("#wb-verify-state").await;
        if !verified.is_empty() {
            assert!(state.contains(verified), "{state}");
        }
        let good = state.clone();
        type_into(&browser, "#wb-secret", "not-the-secret").await;
        assert_ne!(browser.text_of("#wb-verify-state").await, good);
        // The header line's size, byte for byte, and its growth with a claim.
        type_into(&browser, "#wb-secret", "your-256-bit-secret").await;
        assert_eq!(
            auth_bytes(&browser).await,
            "Authorization: Bearer ".len() + JWT_IO.len()
        );
        let built = run_js(&browser, "return window.workbench.built();", vec![]).await;
        assert_eq!(
            built,
            json!(JWT_IO),
            "signed again with its own secret: the same token"
        );
        type_into(
            &browser,
            "#wb-payload",
            r#"{"sub":"1234567890","name":"John Doe","iat":1516239022,"course":"authlab"}"#,
        )
        .await;
        assert!(auth_bytes(&browser).await > "Authorization: Bearer ".len() + JWT_IO.len());
        // Sent where the learner asks: this server refuses a token it did not sign.
        run_js(
            &browser,
            "document.getElementById('wb-target').value = 'POST /jwt/api/token/verify';",
            vec![],
        )
        .await;
        browser.click("#wb-send").await;
        let answer = wait_for_text(&browser, "#wb-answer", "401").await;
        assert!(answer.contains("token_not_valid"), "{answer}");
    }
    // Unsigned, with a role, against the naive verifier: the alg-none challenge, by hand.
    log_in_as_alice(&browser, &app, "/jwt", "#jwt-who").await;
    browser.goto(&app, "/jwt/workbench").await;
    browser.click("#wb-load-mine").await;
    let payload = run_js(
        &browser,
        "return document.getElementById('wb-payload').value;",
        vec![],
    )
    .await;
    let mut claims: serde_json::Value =
        serde_json::from_str(payload.as_str().unwrap_or_default()).expect("the payload is JSON");
    claims["role"] = json!("admin");
    type_into(&browser, "#wb-payload", &claims.to_string()).await;
    browser.click("#wb-alg-none").await;
    let built = run_js(&browser, "return window.workbench.built();", vec![]).await;
    assert!(built.as_str().unwrap_or_default().ends_with('.'), "{built}");
    assert_eq!(
        browser_progress(&browser, "alg-none").await["solved"],
        false
    );
    run_js(
        &browser,
        "document.getElementById('wb-target').value = 'GET /lab/vulnerable/jwt/alg-none/me';",
        vec![],
    )
    .await;
    browser.click("#wb-send").await;
    let answer = wait_for_text(&browser, "#wb-answer", "200").await;
    assert!(answer.contains("\"admin\": true"), "{answer}");
    assert_eq!(browser_progress(&browser, "alg-none").await["solved"], true);
    browser.close().await;
}

#[actix_web::test]
async fn script_injected_into_the_xss_page_steals_the_local_storage_token_but_not_the_http_only_cookie()
 {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    session_login_in_browser(&browser, &app).await;
    log_in_as_alice(&browser, &app, "/token", "#token-who").await;
    assert_eq!(
        browser_progress(&browser, "xss-token").await["state"],
        "not_started"
    );
    let injected = "<img src=x onerror=\"fetch('/lab/vulnerable/xss/collect',{method:'POST',body:localStorage.getItem('authlab.token')+' '+document.cookie}).then(function(r){return r.json()}).then(function(a){document.title='stolen:'+a.solved+':'+a.http_only_cookie_seen})\">";
    // The learner's own search: typed into the page's form, as the challenge says.
    browser.goto(&app, "/lab/vulnerable/xss").await;
    browser.fill("#xss-q", injected).await;
    run_js(
        &browser,
        "document.getElementById('xss-search').submit();",
        vec![],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let title = loop {
        let title = browser.client.title().await.unwrap_or_default();
        if title.starts_with("stolen:") || Instant::now() > deadline {
            break title;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        title, "stolen:true:false",
        "the token left, the HttpOnly cookies did not"
    );
    assert_eq!(
        browser_progress(&browser, "xss-token").await["solved"],
        true
    );
    // The same words on a real page stay words.
    browser
        .goto(
            &app,
            &format!(
                "/cookie?next={}",
                percent_encoding::utf8_percent_encode(injected, percent_encoding::NON_ALPHANUMERIC)
            ),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !browser
            .client
            .title()
            .await
            .unwrap_or_default()
            .starts_with("stolen:")
    );
    browser.close().await;
}
