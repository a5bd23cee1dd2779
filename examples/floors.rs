//! The libraries' floor: a bench-only server (not a product route) that mounts, on the same
//! actix-web, the bare library path under each of authlab's credential checks, so `scripts/bench`
//! can say how much authlab's own code costs on top of what the libraries cost.
//!
//! - `GET /cookie/me`: `SessionMiddleware` + `IdentityMiddleware` over `CookieSessionStore`, a
//!   handler that only reads `Identity::id()` (log in first with `POST /cookie/login`);
//! - `GET /session/me`: the same over authlab's SQLite session store (`POST /session/login`);
//! - `GET /jwt/claims`: only `jsonwebtoken::decode` of the `Bearer` token (`GET /jwt/token` mints one);
//! - `GET /token/me`: one indexed SQLite lookup of a DRF key through the same pool;
//! - `GET /jwt/me`: `jsonwebtoken::decode` and then one indexed lookup of the user;
//! - `GET /healthz`: nothing at all.
//!
//! `cargo run --release --example floors -- 127.0.0.1:18081 /tmp/floors.sqlite3`

use std::sync::LazyLock;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, time};
use actix_web::http::header;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use authlab::clock::Clock;
use authlab::db::Pool;
use authlab::schemes::session::store::SqliteSessionStore;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rusqlite::OptionalExtension;

/// The floor server's JWT secret (a benchmark's, not a secret).
const SECRET: &[u8] = b"the-floor-benchmark-secret-of-32-bytes!!";
/// The DRF key `GET /token/me` looks up.
pub const KEY: &str = "0123456789abcdef0123456789abcdef01234567";

static DECODING: LazyLock<DecodingKey> =
    LazyLock::new(|| DecodingKey::from_secret(SECRET).unwrap_or_else(|e| panic!("a key: {e}")));
static VALIDATION: LazyLock<Validation> = LazyLock::new(|| {
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = 0;
    v.validate_exp = false;
    v.set_required_spec_claims(&["exp"]);
    v
});

fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn decoded(req: &HttpRequest) -> Option<serde_json::Value> {
    jsonwebtoken::decode::<serde_json::Value>(bearer(req)?, &DECODING, &VALIDATION)
        .ok()
        .map(|data| data.claims)
}

fn lookup<T>(
    pool: &Pool,
    sql: &str,
    param: &dyn rusqlite::ToSql,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Option<T> {
    let conn = pool.get().ok()?;
    let mut stmt = conn.prepare_cached(sql).ok()?;
    stmt.query_row([param], row).optional().ok()?
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn login(req: HttpRequest) -> HttpResponse {
    match Identity::login(&req.extensions(), "1".to_owned()) {
        Ok(_) => HttpResponse::Ok().body("logged in"),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn identity_me(id: Option<Identity>) -> HttpResponse {
    match id.and_then(|i| i.id().ok()) {
        Some(id) => HttpResponse::Ok().body(id),
        None => HttpResponse::Unauthorized().finish(),
    }
}

async fn mint() -> HttpResponse {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({"token_type": "access", "exp": now + 3_600, "iat": now, "jti": "floor", "user_id": "1"});
    match EncodingKey::from_secret(SECRET)
        .and_then(|key| jsonwebtoken::encode(&Header::default(), &claims, &key))
    {
        Ok(token) => HttpResponse::Ok().body(token),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn claims(req: HttpRequest) -> HttpResponse {
    match decoded(&req) {
        Some(claims) => HttpResponse::Ok().json(claims),
        None => HttpResponse::Unauthorized().finish(),
    }
}

const USER_BY_ID: &str = "SELECT email FROM users WHERE id = ?1";

async fn jwt_me(req: HttpRequest, pool: web::Data<Pool>) -> HttpResponse {
    let id: Option<i64> = decoded(&req).and_then(|c| {
        c.get("user_id")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
    });
    match id.and_then(|id| lookup(&pool, USER_BY_ID, &id, |r| r.get::<_, String>(0))) {
        Some(email) => HttpResponse::Ok().body(email),
        None => HttpResponse::Unauthorized().finish(),
    }
}

async fn token_me(req: HttpRequest, pool: web::Data<Pool>) -> HttpResponse {
    let key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Token "))
        .unwrap_or_default()
        .to_owned();
    let sql =
        "SELECT u.email FROM authtoken_token t JOIN users u ON u.id = t.user_id WHERE t.key = ?1";
    match lookup(&pool, sql, &key, |r| r.get::<_, String>(0)) {
        Some(email) => HttpResponse::Ok().body(email),
        None => HttpResponse::Unauthorized().finish(),
    }
}

fn sessions<S: actix_session::storage::SessionStore + 'static>(
    store: S,
    key: &Key,
    name: &str,
) -> SessionMiddleware<S> {
    SessionMiddleware::builder(store, key.clone())
        .cookie_name(name.to_owned())
        .cookie_content_security(CookieContentSecurity::Signed)
        .cookie_secure(false)
        .session_lifecycle(PersistentSession::default().session_ttl(time::Duration::hours(8)))
        .build()
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:18081".into());
    let db = args.next().unwrap_or_else(|| "floors.sqlite3".into());
    let pool = authlab::db::open(std::path::Path::new(&db))?;
    authlab::db::with_conn(&pool, |c| {
        c.execute_batch(&format!(
            "INSERT OR IGNORE INTO users (id, email, username, password, is_active, is_staff, created_at, updated_at)
             VALUES (1, 'alice@example.com', 'alice', 'x', 1, 0, 0, 0);
             INSERT OR IGNORE INTO authtoken_token (key, user_id, created) VALUES ('{KEY}', 1, 0);"
        ))
    })??;
    let key = Key::generate();
    let pool = web::Data::new(pool);
    println!("floors serving on http://{bind}");
    HttpServer::new(move || {
        let store = SqliteSessionStore::new(
            pool.get_ref().clone(),
            Clock::default(),
            chrono::Duration::minutes(30),
            chrono::Duration::hours(8),
        );
        App::new()
            .app_data(pool.clone())
            .route("/healthz", web::get().to(healthz))
            .service(
                web::scope("/cookie")
                    .route("/login", web::post().to(login))
                    .route("/me", web::get().to(identity_me))
                    .wrap(IdentityMiddleware::default())
                    .wrap(sessions(
                        CookieSessionStore::default(),
                        &key,
                        "floor_cookie",
                    )),
            )
            .service(
                web::scope("/session")
                    .route("/login", web::post().to(login))
                    .route("/me", web::get().to(identity_me))
                    .wrap(IdentityMiddleware::default())
                    .wrap(sessions(store, &key, "floor_session")),
            )
            .route("/jwt/token", web::get().to(mint))
            .route("/jwt/claims", web::get().to(claims))
            .route("/jwt/me", web::get().to(jwt_me))
            .route("/token/me", web::get().to(token_me))
    })
    .bind(bind)?
    .run()
    .await?;
    Ok(())
}
