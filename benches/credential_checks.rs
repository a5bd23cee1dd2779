//! The credential check of each scheme in isolation, and one argon2id hash (why logins are slow on
//! purpose). Run with `cargo bench`; the load benchmark (`scripts/bench`) measures whole requests.

use std::hint::black_box;

use actix_web::cookie::{Cookie, CookieJar, Key};
use authlab::keys::Keys;
use authlab::schemes::jwt::claims::{self, Claims, Kind};
use authlab::schemes::session::store;
use authlab::schemes::token::store as token_store;
use authlab::users::password;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rusqlite::{Connection, params};

const STATE: &str = r#"{"authlab.login":"{\"user\":{\"id\":1,\"email\":\"alice@example.com\",\"username\":\"alice\"},\"issued_at\":1795753601,\"seal\":\"3cc3394af8135bb6b5df8ea217afd19c\"}","actix_identity.user_id":"\"1\""}"#;

fn signed_cookie(c: &mut Criterion) {
    let key = Keys::derive(&Key::generate(), "authlab_cookie");
    let mut jar = CookieJar::new();
    jar.signed_mut(&key)
        .add(Cookie::new("authlab_cookie", STATE));
    let sent = jar
        .get("authlab_cookie")
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    c.bench_function("signed cookie: verify HMAC and parse the state", |b| {
        b.iter(|| {
            let mut jar = CookieJar::new();
            jar.add_original(Cookie::new("authlab_cookie", black_box(sent.clone())));
            let plain = jar.signed(&key).get("authlab_cookie");
            let state: Option<std::collections::HashMap<String, String>> =
                plain.and_then(|c| serde_json::from_str(c.value()).ok());
            black_box(state)
        })
    });
}

fn database(rows: usize) -> (tempfile::TempDir, authlab::db::Pool) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let pool = authlab::db::open(&dir.path().join("bench.sqlite3")).expect("opens");
    let conn = pool.get().expect("a connection");
    conn.execute_batch("BEGIN").expect("begin");
    {
        let mut users = conn
            .prepare("INSERT INTO users (email, username, password, created_at, updated_at) VALUES (?1, 'u', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
            .expect("sql");
        let mut tokens = conn
            .prepare("INSERT INTO authtoken_token (key, user_id, created) VALUES (?1, ?2, 0)")
            .expect("sql");
        for i in 0..rows {
            users
                .execute(params![format!("user{i}@example.com")])
                .expect("a user");
            tokens
                .execute(params![
                    token_store::generate_key(),
                    conn.last_insert_rowid()
                ])
                .expect("a key");
        }
    }
    conn.execute_batch("COMMIT").expect("commit");
    authlab::schemes::session::load::create_load(&conn, rows, 1_000, 86_400 * 365)
        .expect("sessions");
    conn.execute(
        "INSERT INTO sessions (session_key, state, user_id, created_at, last_seen_at, expires_at) VALUES ('probe', ?1, 1, 1000, 1000, 99999999999)",
        params![STATE],
    )
    .expect("the probe session");
    conn.execute("INSERT OR REPLACE INTO authtoken_token (key, user_id, created) VALUES ('0123456789abcdef0123456789abcdef01234567', 1, 0)", [])
        .expect("the probe key");
    drop(conn);
    (dir, pool)
}

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("database lookup");
    for rows in [10usize, 100_000] {
        let (_dir, pool) = database(rows);
        let conn: r2d2::PooledConnection<_> = pool.get().expect("a connection");
        let conn: &Connection = &conn;
        group.bench_with_input(BenchmarkId::new("session load", rows), &rows, |b, _| {
            b.iter(|| {
                black_box(store::load_live(
                    conn,
                    black_box("probe"),
                    1_030,
                    1_800,
                    28_800,
                ))
            })
        });
        group.bench_with_input(BenchmarkId::new("token lookup", rows), &rows, |b, _| {
            b.iter(|| {
                black_box(authlab::schemes::token::store::account_for_key(
                    conn,
                    black_box("0123456789abcdef0123456789abcdef01234567"),
                ))
            })
        });
    }
    group.finish();
}

fn jwt(c: &mut Criterion) {
    let secret = claims::JwtSecret::new(b"a-benchmark-secret-of-at-least-32-bytes!".to_vec())
        .expect("a secret");
    let token = Claims::new(Kind::Access, 1, 1_000, 300)
        .sign(&secret)
        .expect("a token");
    c.bench_function("jwt: decode and validate an access token", |b| {
        b.iter(|| {
            black_box(claims::verify(
                black_box(&token),
                &secret,
                Some(Kind::Access),
                1_100,
            ))
        })
    });
}

fn argon2(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id (m=19 MiB, t=2, p=1)");
    group.sample_size(10);
    group.bench_function("hash one password", |b| {
        b.iter(|| black_box(password::hash(black_box("alice-pass-123"))))
    });
    group.finish();
}

criterion_group!(benches, signed_cookie, lookups, jwt, argon2);
criterion_main!(benches);
