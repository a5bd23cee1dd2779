//! `Application::build` binds the server (port 0 in tests) and `configure` mounts every route.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{NormalizePath, TrailingSlash, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::classroom::{self, Classroom, Lab};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::keys::{KeyRing, Keys};
use crate::pages::sweep;
use crate::state::{AppState, Peer, PeerFuture};
use crate::users::throttle::LoginThrottle;
use crate::users::{self, password};
use crate::web::deadline::{self, BodyTimeout};
use crate::web::drf::JSON_LIMIT;
use crate::web::request_span::RequestSpan;
use crate::web::{csrf, error, security, timing};
use crate::{i18n, pages, schemes};

/// A bound, not yet running server.
pub struct Application {
    /// The CSRF challenge's "another site", when it listens.
    another_site: Option<actix_web::dev::ServerHandle>,
    /// The instructor secret made at start (none when one was given).
    generated_secret: Option<String>,
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    classroom: web::Data<Classroom>,
}

impl Application {
    /// Binds the listener (first, so a port in use touches no database), opens, checks and
    /// migrates the database, seeds the demo users, loads the keys and starts the periodic sweep.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let pool = db::open(&settings.db)?;
        if !settings.no_demo_users {
            users::demo::seed(&pool, &Clock::default()).await?;
        }
        password::prepare().await?;
        let keys = Keys::load(&settings, &pool)?;
        let local_addr = listener.local_addr()?;
        let port = local_addr.port();
        let body_timeout = BodyTimeout(settings.body_timeout.get().to_std()?);
        let sweep_every = settings.sweep_every.get().to_std()?;
        let mut settings = settings;
        let generated_secret = match settings.instructor_secret.as_deref().map(str::trim) {
            Some(given) if !given.is_empty() => None,
            _ => {
                let secret = crate::web::random_hex(12);
                settings.instructor_secret = Some(secret.clone());
                Some(secret)
            }
        };
        let another_site = if settings.lab_enabled() {
            bind_another_site(&settings, port)
        } else {
            None
        };
        let settings = std::sync::Arc::new(settings);
        let state = web::Data::new(AppState {
            local_addr,
            throttle: LoginThrottle::new(settings.login_throttle),
            clock: Clock::default(),
            keyring: std::sync::Arc::new(KeyRing::new(keys)),
            settings,
            last_sweep: std::sync::Arc::default(),
            launch_peer: std::sync::Arc::new(launch_peer),
            lab: String::new(),
            another_site: another_site
                .as_ref()
                .and_then(|l| l.local_addr().ok())
                .map(|a| a.port()),
            one_run: std::sync::Arc::default(),
        });
        let pool = web::Data::new(pool);
        let classroom =
            web::Data::new(Classroom::open(Lab::shared(state.clone(), pool.clone())).await?);
        if !sweep_every.is_zero() {
            actix_web::rt::spawn(sweep::every(sweep_every, classroom.clone()));
        }
        let app_state = state.clone();
        // The pieces the shared HTTP layer reads, each on its own: `web` knows no AppState.
        let settings = web::Data::from(std::sync::Arc::clone(&state.settings));
        let keyring = web::Data::from(std::sync::Arc::clone(&state.keyring));
        let clock = web::Data::new(state.clock.clone());
        let labs = classroom.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(settings.clone())
                .app_data(keyring.clone())
                .app_data(clock.clone())
                .app_data(pool.clone())
                .app_data(labs.clone())
                .app_data(schemes::drf_default::HOOK)
                .app_data(body_timeout)
                .configure(configure(&app_state, pool.get_ref()))
                .wrap(from_fn(security::admit))
                .wrap(from_fn(error::render_errors))
                .wrap(from_fn(csrf::ensure_seed))
                .wrap(from_fn(i18n::remember_choice))
                .wrap(from_fn(timing::server_timing))
                .wrap(from_fn(pages::challenges::observe))
                .wrap(from_fn(security::headers))
                .wrap(NormalizePath::new(TrailingSlash::Trim))
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(from_fn(deadline::body_deadline))
                .wrap(from_fn(classroom::select))
        })
        .listen(listener)?
        // SIGINT and SIGTERM both drain in-flight requests (actix's own handling drops them on
        // SIGINT): `run_until_stopped` listens for both and stops gracefully.
        .disable_signals()
        .shutdown_timeout(30)
        .run();
        Ok(Application {
            another_site: another_site.and_then(|listener| serve_another_site(listener, port)),
            generated_secret,
            port,
            server,
            state,
            classroom,
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

    /// The port of "another site" (the CSRF challenge), when it listens.
    pub fn another_site_port(&self) -> Option<u16> {
        self.state.another_site
    }

    /// The instructor secret this start generated, to print once (none when it was given).
    pub fn generated_instructor_secret(&self) -> Option<&str> {
        self.generated_secret.as_deref()
    }

    /// Every lab: the shared one and the learners' (tests open and close them).
    pub fn classroom(&self) -> web::Data<Classroom> {
        self.classroom.clone()
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped: by [`Application::handle`], or by SIGINT or SIGTERM, after which
    /// requests in flight are answered (within the shutdown timeout) before it returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let another_site = self.another_site.clone();
        actix_web::rt::spawn(async move {
            stop_signal().await;
            tracing::info!(
                "stopping: answering the requests in flight first (again to stop at once)"
            );
            let graceful = handle.clone();
            actix_web::rt::spawn(async move { graceful.stop(true).await });
            stop_signal().await;
            handle.stop(false).await;
        });
        let served = self.server.await;
        if let Some(site) = another_site {
            site.stop(false).await;
        }
        served
    }
}

/// Binds "another site" (the CSRF challenge's second origin) on the port after authlab's, or on
/// any free port when that one is taken; none (with a warning) when neither binds.
fn bind_another_site(settings: &Settings, port: u16) -> Option<TcpListener> {
    let ip = settings.bind.ip();
    TcpListener::bind((ip, port.saturating_add(1)))
        .or_else(|_| TcpListener::bind((ip, 0)))
        .map_err(|e| tracing::warn!("another site (the CSRF challenge) is off: {e}"))
        .ok()
}

/// Starts serving "another site" on `listener` (once authlab itself is built, so a failed start
/// leaves nothing running); `port` is authlab's, for the page to name it.
fn serve_another_site(listener: TcpListener, port: u16) -> Option<actix_web::dev::ServerHandle> {
    use crate::pages::labs::another_site::{self, AuthlabPort, Published};
    let pages = web::Data::new(Published::default());
    let authlab = web::Data::new(AuthlabPort(port));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(pages.clone())
            .app_data(authlab.clone())
            .configure(another_site::configure)
    })
    .workers(1)
    .listen(listener)
    .map_err(|e| tracing::warn!("another site (the CSRF challenge) is off: {e}"))
    .ok()?
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Some(handle)
}

/// Builds and starts another authlab (the second-server lab's peer); only this module can.
fn launch_peer(settings: Settings) -> PeerFuture {
    Box::pin(async move {
        let app = Application::build(settings).await?;
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], app.port()));
        let handle = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        Ok(Peer { address, handle })
    })
}

/// Resolves at the first SIGINT or SIGTERM (Ctrl-C only, where there are no Unix signals).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
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
                .error_handler(|err, req| error::json_error(err, req).into()),
        )
        .app_data(web::FormConfig::default().limit(16 * 1024))
        .app_data(web::PayloadConfig::default().limit(64 * 1024));
        pages::mount(cfg);
        schemes::cookie::mount(cfg, state);
        schemes::session::mount(cfg, state, pool);
        schemes::token::mount(cfg);
        schemes::jwt::mount(cfg);
        pages::mount_patterns(cfg);
        cfg.default_service(web::to(error::not_found));
    }
}
