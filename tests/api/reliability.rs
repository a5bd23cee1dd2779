//! authlab under the faults an operator meets: stalled request bodies, password changes racing
//! logins and each other, databases that cannot serve, rows that expire, signals, a log reader
//! that stops reading.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Body, TestApp, TestUser, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;

async fn quick_app() -> TestApp {
    spawn_app_with(|s| {
        s.login_throttle = authlab::config::Throttle::Off;
        s.body_timeout = "1s".parse().expect("a duration");
    })
    .await
}

/// Sends `head` and `partial` over a raw socket and never sends the rest; returns what the server
/// answered, how long it took, and whether it then closed the connection.
fn stall(port: u16, head: &str, partial: &[u8]) -> (String, Duration, bool) {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let started = Instant::now();
    socket.write_all(head.as_bytes()).expect("head sent");
    socket.write_all(partial).expect("part of the body sent");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match socket.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
        closed,
    )
}

#[actix_web::test]
async fn a_body_that_never_finishes_gets_408_and_its_connection_closed() {
    let app = quick_app().await;
    let port = app.port;
    let cases = [
        (
            "a JSON body shorter than its Content-Length",
            "POST /token/api/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            &b"{\"username\": \"alice@"[..],
        ),
        (
            "a chunked body without its last chunk",
            "POST /jwt/api/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            &b"5\r\n{\"ema\r\n"[..],
        ),
        (
            "a lab action's JSON",
            "POST /lab/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n",
            &b"{\"advance\""[..],
        ),
        (
            "a form",
            "POST /signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 80\r\n\r\n",
            &b"email=x"[..],
        ),
    ];
    for (case, head, partial) in cases {
        let (answer, took, closed) =
            actix_web::rt::task::spawn_blocking(move || stall(port, head, partial))
                .await
                .expect("joined");
        assert!(answer.starts_with("HTTP/1.1 408"), "{case}: {answer:?}");
        assert!(closed, "{case}: the connection is closed after the 408");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{case}: answered after the 1 s body timeout, not before and not much later ({took:?})"
        );
    }
    // A page route, whose error page replaces the 408 on its way out, and a body no route reads.
    let (answer, _, closed) = actix_web::rt::task::spawn_blocking(move || {
        stall(
            port,
            "POST /signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"7\r\nemail=x\r\n",
        )
    })
    .await
    .expect("joined");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(closed, "a chunked form: closed after its 408 page");
    let (answer, took, closed) = actix_web::rt::task::spawn_blocking(move || {
        stall(
            port,
            "POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"5\r\nhello\r\n",
        )
    })
    .await
    .expect("joined");
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer:?}");
    assert!(
        closed && took < Duration::from_secs(5),
        "a body nobody reads: the connection is closed, not drained forever ({took:?})"
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "the server is fine"
    );
    assert_eq!(
        app.state.clock.offset().num_seconds(),
        0,
        "the clock did not move"
    );
}

async fn change_password(app: &TestApp, current: &str, new: &str) -> StatusCode {
    app.submit_form(
        "/account/password",
        "/account/password",
        &[
            ("email", TestUser::ALICE.email),
            ("current_password", current),
            ("new_password", new),
        ],
    )
    .await
    .status()
}

#[actix_web::test]
async fn of_parallel_password_changes_with_the_same_current_password_exactly_one_succeeds() {
    let app = quick_app().await;
    let mut changes = Vec::new();
    for n in 0..10 {
        let browser = TestApp::same_server(&app, common::browser());
        changes.push(actix_web::rt::spawn(async move {
            let new = format!("new-password-{n}");
            (
                change_password(&browser, TestUser::ALICE.password, &new).await,
                new,
            )
        }));
    }
    let mut won = Vec::new();
    for change in changes {
        let (status, new) = change.await.expect("joined");
        if status == StatusCode::OK {
            won.push(new);
        } else {
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "the others are told the current password is wrong"
            );
        }
    }
    assert_eq!(won.len(), 1, "exactly one change took effect: {won:?}");
    let login = |password: String| {
        let app = &app;
        async move {
            app.api(
                "POST",
                "/jwt/api/token",
                None,
                Body::Json(
                    &json!({"email": TestUser::ALICE.email, "password": password}).to_string(),
                ),
            )
            .await
            .status
        }
    };
    assert_eq!(
        login(won[0].clone()).await,
        200,
        "the winner's password logs in"
    );
    assert_eq!(
        app.query_one::<i64>("SELECT password_version FROM users WHERE id = 1"),
        1,
        "one change counted"
    );
}

#[actix_web::test]
async fn no_credential_made_with_the_old_password_outlives_a_password_change() {
    let app = quick_app().await;
    // Logins with the old password race one change: each either finished before the change (and
    // the change ended it) or lost the race and got nothing — none may survive it.
    let mut logins = Vec::new();
    for n in 0..24 {
        let browser = TestApp::same_server(&app, common::browser());
        logins.push(actix_web::rt::spawn(async move {
            tokio::time::sleep(Duration::from_millis(8 * n)).await;
            if n % 2 == 0 {
                let got = browser.jwt_login(&TestUser::ALICE).await;
                (None, got.json["refresh"].as_str().map(str::to_owned))
            } else {
                browser.session_login(&TestUser::ALICE).await;
                (Some(browser), None)
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(
        change_password(&app, TestUser::ALICE.password, "a-brand-new-password").await,
        StatusCode::OK
    );
    let mut refreshes = Vec::new();
    let mut sessions = Vec::new();
    for login in logins {
        match login.await.expect("joined") {
            (Some(browser), _) => sessions.push(browser),
            (None, Some(refresh)) => refreshes.push(refresh),
            (None, None) => {}
        }
    }
    for refresh in &refreshes {
        let got = app.jwt_refresh(refresh).await;
        assert_eq!(
            got.status, 401,
            "a refresh token from the old password: {}",
            got.text
        );
    }
    for browser in &sessions {
        let me = browser.get("/session/api/me").await;
        assert_eq!(
            me.status(),
            StatusCode::UNAUTHORIZED,
            "a session from the old password"
        );
    }
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM sessions WHERE user_id = 1"),
        0,
        "no session row of alice's is left"
    );
}

#[test]
fn a_credential_is_written_only_while_the_verified_password_is_current() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let pool = authlab::db::open(&dir.path().join("t.sqlite3")).expect("opens");
    let c = pool.get().expect("a connection");
    c.execute_batch(
        "INSERT INTO users (email, username, password, created_at, updated_at)
         VALUES ('a@example.com', 'a', 'old-hash', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .expect("a user");
    let verified = authlab::users::find(&c, 1)
        .expect("reads")
        .expect("the user");
    let now = chrono::Utc::now();
    assert!(
        authlab::users::set_password(&c, 1, verified.password_version, "new-hash", now)
            .expect("runs")
    );
    assert!(
        !authlab::users::set_password(&c, 1, verified.password_version, "other-hash", now)
            .expect("runs"),
        "a second change that verified the same old password loses"
    );
    let written = authlab::users::while_password_unchanged(&c, &verified, |c| {
        c.execute(
            "INSERT INTO authtoken_token (key, user_id, created) VALUES ('k', 1, 0)",
            [],
        )
    })
    .expect("runs");
    assert_eq!(
        written, None,
        "a login that verified the old password writes nothing"
    );
    let count: i64 = c
        .query_row("SELECT COUNT(*) FROM authtoken_token", [], |r| r.get(0))
        .expect("counts");
    assert_eq!(count, 0);
}

/// Builds authlab on `db` and returns the error it refuses with, and how long that took.
async fn refusal(db: &std::path::Path) -> (String, Duration) {
    let started = Instant::now();
    let built =
        authlab::startup::Application::build(authlab::config::Settings::for_tests(db)).await;
    match built {
        Ok(_) => panic!("{} was accepted", db.display()),
        Err(e) => (format!("{e:#}"), started.elapsed()),
    }
}

#[actix_web::test]
async fn a_database_that_cannot_serve_is_refused_at_once_with_what_to_do() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let missing = dir.path().join("no-such-folder").join("authlab.sqlite3");
    let folder = dir.path().join("a-folder");
    std::fs::create_dir(&folder).expect("a folder");
    let garbage = dir.path().join("garbage.sqlite3");
    std::fs::write(&garbage, vec![0x5a; 8192]).expect("garbage");

    // A real database with data, then damaged in the middle, and another cut in half.
    let good = dir.path().join("good.sqlite3");
    {
        let c = rusqlite::Connection::open(&good).expect("opens");
        c.execute_batch("CREATE TABLE filler (n INTEGER, pad BLOB);")
            .expect("a table");
        for n in 0..400 {
            c.execute(
                "INSERT INTO filler (n, pad) VALUES (?1, ?2)",
                rusqlite::params![n, vec![n as u8; 200]],
            )
            .expect("a row");
        }
    }
    let bytes = std::fs::read(&good).expect("reads");
    let damaged = dir.path().join("damaged.sqlite3");
    let mut broken = bytes.clone();
    let middle = broken.len() / 2;
    broken[middle..middle + 2048].fill(0xa5);
    std::fs::write(&damaged, broken).expect("writes");
    let truncated = dir.path().join("truncated.sqlite3");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).expect("writes");

    for (db, says) in [
        (&missing, "does not exist"),
        (&folder, "is a folder"),
        (&garbage, "not a usable SQLite database"),
        (&damaged, "damaged"),
        (&truncated, "malformed"),
    ] {
        let (error, took) = refusal(db).await;
        assert!(
            error.contains(&db.display().to_string()) || error.contains("no-such-folder"),
            "names the file: {error}"
        );
        assert!(error.contains(says), "{}: {error}", db.display());
        assert!(
            took < Duration::from_secs(2),
            "{}: refused in {took:?}",
            db.display()
        );
    }
    assert!(!missing.exists(), "nothing was created");
}

#[actix_web::test]
async fn two_servers_starting_at_once_on_a_new_database_both_start() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = dir.path().join("fresh.sqlite3");
        let (a, b) = (db.clone(), db.clone());
        let first = actix_web::rt::spawn(async move {
            authlab::startup::Application::build(authlab::config::Settings::for_tests(a))
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
        });
        let second = actix_web::rt::spawn(async move {
            authlab::startup::Application::build(authlab::config::Settings::for_tests(b))
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
        });
        assert_eq!(first.await.expect("joined"), Ok(()));
        assert_eq!(second.await.expect("joined"), Ok(()));
    }
}

#[actix_web::test]
async fn a_port_in_use_is_refused_before_the_database_is_touched() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("never.sqlite3");
    let mut settings = authlab::config::Settings::for_tests(&db);
    settings.bind = taken.local_addr().expect("an address");
    let built = authlab::startup::Application::build(settings).await;
    let error = built.err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(error.contains("cannot listen on"), "{error}");
    assert!(!db.exists(), "the database was not created");
}

#[test]
fn a_start_up_error_is_one_line_and_exit_2_even_with_backtraces_on() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authlab"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--db",
            "/no/such/folder/authlab.sqlite3",
        ])
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/no/such/folder"), "{stderr}");
    assert!(
        !stderr.contains("backtrace") && !stderr.contains("Stack"),
        "{stderr}"
    );
}

#[actix_web::test]
async fn the_sweep_deletes_what_expired_on_the_app_clock_and_the_session_page_says_so() {
    let app = quick_app().await;
    app.session_login(&TestUser::ALICE).await;
    let pair = app.jwt_login(&TestUser::ALICE).await;
    assert_eq!(pair.status, 200);
    let pool = authlab::db::open(&app.db_path).expect("the database");
    let sweep = || authlab::pages::sweep::sweep(&pool, &app.state.clock, &app.state.last_sweep);

    let nothing = sweep().await.expect("sweeps");
    assert_eq!(
        (nothing.sessions, nothing.refresh_tokens),
        (0, 0),
        "nothing has expired yet"
    );

    // Past the session's idle timeout (30 min), then past the refresh token's day.
    app.state
        .clock
        .advance(chrono::Duration::minutes(31))
        .expect("moves");
    let first = sweep().await.expect("sweeps");
    assert!(first.sessions >= 1, "{first:?}");
    assert_eq!(first.refresh_tokens, 0);
    app.state
        .clock
        .advance(chrono::Duration::days(1))
        .expect("moves");
    let second = sweep().await.expect("sweeps");
    assert_eq!(second.refresh_tokens, 1, "{second:?}");
    assert_eq!(app.query_one::<i64>("SELECT COUNT(*) FROM sessions"), 0);
    // Expired on the lab clock only: kept, blacklisted, until it expires in real time too.
    assert_eq!(
        app.query_one::<i64>(
            "SELECT COUNT(*) FROM jwt_outstanding o JOIN jwt_blacklisted b ON b.outstanding_id = o.id"
        ),
        1
    );
    // One that expired in real time is deleted.
    app.execute("UPDATE jwt_outstanding SET expires_at = 1");
    let third = sweep().await.expect("sweeps");
    assert_eq!(third.refresh_tokens, 1, "{third:?}");
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM jwt_outstanding"),
        0
    );

    let panel = app
        .get("/session/panel")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        panel.contains("Sessions deleted: 0. Refresh tokens ended: 1."),
        "the session page shows the last sweep: {panel}"
    );
}

#[actix_web::test]
async fn moving_the_lab_clock_sweeps_so_putting_it_back_revives_nothing() {
    let app = quick_app().await;
    app.session_login(&TestUser::ALICE).await;
    assert_eq!(app.get("/session/api/me").await.status(), StatusCode::OK);
    let expired = app.jwt_login(&TestUser::ALICE).await.json["refresh"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let logged_out = app.jwt_login(&TestUser::ALICE).await.json["refresh"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let logout = app
        .api(
            "POST",
            "/jwt/api/token/blacklist",
            None,
            Body::Json(&json!({"refresh": logged_out}).to_string()),
        )
        .await;
    assert_eq!(logout.status, 200);

    app.advance_clock("2d").await;
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.jwt_refresh(&expired).await.status, 401);
    let back = app.post_json("/lab/clock", &json!({"reset": true})).await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(
        app.get("/session/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "the expired session stays dead"
    );
    assert_eq!(
        app.jwt_refresh(&expired).await.status,
        401,
        "the expired refresh token stays dead"
    );
    assert_eq!(
        app.jwt_refresh(&logged_out).await.status,
        401,
        "the logged-out one too"
    );
}

/// Starts the real binary on a free port with a fresh database; stdout is piped (and not read).
fn spawn_binary(dir: &std::path::Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_authlab"))
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--login-throttle",
            "off",
        ])
        .arg("--db")
        .arg(dir.join("bin.sqlite3"))
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    // The port is bound before the database is opened: wait until it answers, not until it accepts.
    let started = Instant::now();
    while !healthy(port) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the binary did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

fn healthy(port: u16) -> bool {
    let Ok(mut socket) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = socket.set_read_timeout(Some(Duration::from_secs(2)));
    if socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

#[actix_web::test]
async fn sigint_lets_the_requests_in_flight_finish() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (mut child, port) = spawn_binary(dir.path());
    let mut logins = Vec::new();
    for _ in 0..12 {
        logins.push(actix_web::rt::spawn(async move {
            common::bare_client()
                .post(format!("http://127.0.0.1:{port}/token/api/login"))
                .json(&json!({"username": TestUser::ALICE.email, "password": TestUser::ALICE.password}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let mut answers = Vec::new();
    for login in logins {
        answers.push(login.await.expect("joined").map_err(|e| e.to_string()));
    }
    assert!(
        answers.iter().all(|a| a == &Ok(200)),
        "every login in flight got its answer: {answers:?}"
    );
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status:?}");
}

#[actix_web::test]
async fn a_log_reader_that_stops_reading_never_blocks_a_request_and_client_errors_are_not_errors() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (mut child, port) = spawn_binary(dir.path());
    let client = common::bare_client();
    let started = Instant::now();
    // Far more log lines than a pipe holds, with nobody reading the pipe.
    for n in 0..1_500 {
        let path = if n % 3 == 0 {
            "/no-such-page"
        } else {
            "/healthz"
        };
        let res = client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .send()
            .await
            .expect("answered");
        assert!(res.status().as_u16() < 500);
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "1,500 requests took {:?}",
        started.elapsed()
    );
    // Malformed input, then read what was logged.
    let bad = client
        .post(format!("http://127.0.0.1:{port}/token/api/login"))
        .header("Content-Type", "application/json")
        .body("{oops")
        .send()
        .await
        .expect("answered");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut logged = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut logged);
    }
    let _ = child.wait();
    assert!(!logged.is_empty(), "something was logged");
    assert!(
        !logged.contains("ERROR"),
        "client errors are not logged as errors: {}",
        logged
            .lines()
            .find(|l| l.contains("ERROR"))
            .unwrap_or_default()
    );
}

/// Unmounts a bind mount when dropped.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[actix_web::test]
async fn a_database_on_a_read_only_mount_is_refused_as_unwritable() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (rw, ro) = (dir.path().join("rw"), dir.path().join("ro"));
    std::fs::create_dir(&rw).expect("a folder");
    std::fs::create_dir(&ro).expect("a folder");
    rusqlite::Connection::open(rw.join("db.sqlite3"))
        .and_then(|c| c.execute_batch("CREATE TABLE t (x);"))
        .expect("a database");
    let mounted = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new("mount")
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !mounted(&["--bind".as_ref(), rw.as_os_str(), ro.as_os_str()]) {
        eprintln!("skipped: this machine does not let the test bind-mount (it needs root)");
        return;
    }
    let _unmount = Mounted(ro.clone());
    assert!(
        mounted(&["-o".as_ref(), "remount,ro,bind".as_ref(), ro.as_os_str()]),
        "remounted read-only"
    );
    for db in [ro.join("db.sqlite3"), ro.join("new.sqlite3")] {
        let (error, took) = refusal(&db).await;
        assert!(error.contains("cannot be written"), "{error}");
        assert!(error.contains(&db.display().to_string()), "{error}");
        assert!(took < Duration::from_secs(2), "refused in {took:?}");
    }
}
