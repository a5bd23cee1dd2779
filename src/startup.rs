//! `Application::build` binds the server (port 0 in tests) and `configure` mounts every route.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{NormalizePath, TrailingSlash, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::keys::Keys;
use crate::users::throttle::LoginThrottle;
use crate::users::{self, NewUser, password};
use crate::web::{csrf, error, security, timing};
use crate::{i18n, pages, schemes};

/// Largest JSON body any route accepts.
pub const JSON_LIMIT: usize = 32 * 1024;

/// What every handler can reach: settings, the lab clock, the keys and the login throttle.
#[derive(Debug)]
pub struct AppState {
    /// The settings the server started with.
    pub settings: Settings,
    /// The one clock every expiry decision reads.
    pub clock: Clock,
    /// Cookie, JWT and CSRF keys (the rotation lab swaps the cookie and JWT ones).
    keys: std::sync::RwLock<std::sync::Arc<Keys>>,
    /// Failed-login bookkeeping.
    pub throttle: LoginThrottle,
    /// The address the server is bound to (labs replay requests against it).
    pub local_addr: std::net::SocketAddr,
}

impl AppState {
    /// The keys in force now (a cheap shared handle: requests read them on every check).
    pub fn keys(&self) -> std::sync::Arc<Keys> {
        match self.keys.read() {
            Ok(keys) => std::sync::Arc::clone(&keys),
            Err(poisoned) => std::sync::Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts new keys in force (the key-rotation lab).
    pub fn set_keys(&self, keys: Keys) {
        let keys = std::sync::Arc::new(keys);
        match self.keys.write() {
            Ok(mut current) => *current = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
    }
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Opens and migrates the database, seeds the demo users, loads the keys and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let pool = db::open(&settings.db)?;
        if !settings.no_demo_users {
            seed_demo_users(&pool, &Clock::default()).await?;
        }
        password::prepare().await?;
        let keys = Keys::load(&settings, &pool)?;
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let local_addr = listener.local_addr()?;
        let port = local_addr.port();
        let state = web::Data::new(AppState {
            local_addr,
            throttle: LoginThrottle::new(settings.login_throttle),
            clock: Clock::default(),
            keys: std::sync::RwLock::new(std::sync::Arc::new(keys)),
            settings,
        });
        let pool = web::Data::new(pool);
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(pool.clone())
                .configure(configure(&app_state, pool.get_ref()))
                .wrap(from_fn(security::admit))
                .wrap(from_fn(error::render_errors))
                .wrap(from_fn(csrf::ensure_seed))
                .wrap(from_fn(i18n::remember_choice))
                .wrap(from_fn(timing::server_timing))
                .wrap(from_fn(security::headers))
                .wrap(NormalizePath::new(TrailingSlash::Trim))
                .wrap(TracingLogger::default())
        })
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state, so tests can move the clock or read the keys.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Mounts every route: shared pages, the lab actions (when on) and the four schemes.
pub fn configure<'a>(
    state: &'a AppState,
    pool: &'a Pool,
) -> impl FnOnce(&mut web::ServiceConfig) + 'a {
    move |cfg| {
        cfg.app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(|err, req| pages::json_error(err, req).into()),
        )
        .app_data(web::FormConfig::default().limit(16 * 1024))
        .app_data(web::PayloadConfig::default().limit(64 * 1024));
        pages::mount(cfg);
        schemes::mount(cfg, state, pool);
        pages::mount_patterns(cfg);
        cfg.default_service(web::to(error::not_found));
    }
}

/// Creates the demo users that are missing (a restart never duplicates them). Hashing runs on the
/// password threads, like every other hash.
pub async fn seed_demo_users(pool: &Pool, clock: &Clock) -> anyhow::Result<()> {
    for (email, username, secret, active) in users::DEMO_USERS {
        let email = users::Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
        let exists = db::with_conn(pool, |c| users::find_by_email(c, email.as_str()))??.is_some();
        if exists {
            continue;
        }
        let new = NewUser {
            email,
            username: username.to_owned(),
            password_hash: password::off_thread(move || password::hash(secret)).await??,
            is_active: active,
        };
        match db::with_conn(pool, |c| users::insert(c, &new, clock.now()))? {
            Ok(_) | Err(users::InsertError::DuplicateEmail) => {}
            Err(users::InsertError::Db(e)) => return Err(e.into()),
        }
    }
    Ok(())
}
