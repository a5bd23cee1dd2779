//! Behaviour under load: when every password-hashing place is taken, a login or sign-up is turned
//! away at once with 503 and `Retry-After`, changes nothing, and works again once the backlog drains.
//! (Its own test binary: filling the one process-wide backlog would turn other tests away too.)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use authlab::users::hashing::{self, BACKLOG_PER_THREAD, BUSY_RETRY_AFTER_SECS};
use common::{Body, bare_client, spawn_app};

/// alice's login body, as the username login reads it.
static ALICE_BODY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| common::login_body("username", &common::TestUser::ALICE));

#[actix_web::test]
async fn a_full_hashing_backlog_turns_logins_away_until_it_drains() {
    let app = spawn_app().await;

    // Take every place with hashes that wait behind a closed gate.
    let gate = Arc::new(tokio::sync::RwLock::new(()));
    let closed = gate.write().await;
    let places = BACKLOG_PER_THREAD * hashing::hashing_threads();
    let entered = Arc::new(AtomicUsize::new(0));
    let held: Vec<_> = (0..places)
        .map(|_| {
            let (gate, entered) = (Arc::clone(&gate), Arc::clone(&entered));
            actix_web::rt::spawn(async move {
                // Counted in the poll that takes the place (off_thread enters before it first
                // waits), and the test runs on one thread: a count of `places` means all are taken.
                let hash = authlab::users::hashing::off_thread(move || drop(gate.blocking_read()));
                entered.fetch_add(1, Ordering::SeqCst);
                hash.await
            })
        })
        .collect();
    while entered.load(Ordering::SeqCst) < places {
        tokio::task::yield_now().await;
    }

    let res = tokio::time::timeout(
        Duration::from_secs(10),
        bare_client()
            .post(app.url("/token/api/login"))
            .header("Content-Type", "application/json")
            .body(ALICE_BODY.as_str())
            .send(),
    )
    .await
    .expect("turned away at once, not queued")
    .expect("request sent");
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some(BUSY_RETRY_AFTER_SECS.to_string().as_str())
    );
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    assert_eq!(
        body["detail"],
        format!(
            "The server is busy checking other passwords. Try again in {BUSY_RETRY_AFTER_SECS} seconds."
        )
    );

    // A page explains it in the reader's language.
    let users_before = app.user_count();
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        app.submit_form(
            "/signup?lang=ko",
            "/signup",
            &[
                ("email", "dave@example.com"),
                ("username", "dave"),
                ("password", "dave-pass-123"),
            ],
        ),
    )
    .await
    .expect("turned away at once");
    assert_eq!(res.status().as_u16(), 503);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("서버가 바쁨"), "{html}");

    // Nothing changed: no key was made, no user was added.
    assert_eq!(
        app.query_one::<i64>("SELECT COUNT(*) FROM authtoken_token"),
        0
    );
    assert_eq!(app.user_count(), users_before);

    // Open the gate: the held hashes finish, their places come back, logins work again.
    drop(closed);
    for handle in held {
        assert!(matches!(handle.await, Ok(Ok(()))));
    }
    let got = app
        .api("POST", "/token/api/login", None, Body::Json(&ALICE_BODY))
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
}
