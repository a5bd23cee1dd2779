//! Private labs: every browser gets a lab of its own the first time it opens a page — its own
//! SQLite file (so its own alice, bob and carol, sign-ups, sessions, DRF keys and refresh
//! tokens), its own lab clock, keys and login throttle — chosen on each request by the HttpOnly
//! `authlab_lab` cookie. A request without that cookie (curl, a DRF client, the recorded
//! contract) is in the shared default lab, as before.
//!
//! The lab is handed to the handlers by putting its `AppState`, clock, key ring and pool in front
//! of the app's own (`ServiceRequest::add_data_container`), so every `web::Data<AppState>` a
//! handler takes is its lab's, and by [`crate::state::in_lab`] for what runs outside a handler
//! (the session store).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use anyhow::Context;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::keys::{KeyRing, Keys};
use crate::state::{AppState, LastSweep};
use crate::users::throttle::LoginThrottle;
use crate::web::error::AppError;

pub use crate::state::LAB_COOKIE;

/// Characters of a lab id: 128 random bits as lowercase hex.
const ID_CHARS: usize = 32;

/// One lab: the state its handlers see.
pub struct Lab {
    /// Its id (the `authlab_lab` cookie's value); empty for the shared default lab.
    pub id: String,
    /// Its settings, clock, keys, throttle and the server's shared pieces.
    pub state: web::Data<AppState>,
    /// Its database.
    pub pool: web::Data<Pool>,
    clock: web::Data<Clock>,
    keyring: web::Data<KeyRing>,
    /// Its file (none for the default lab, whose file is the server's `--db`).
    path: Option<PathBuf>,
    /// Real time (Unix seconds) of its last request: idle labs are removed.
    last_seen: AtomicI64,
    /// Requests made in it: a lab whose browser never came back (one request) is the first to
    /// give its place up when the classroom is full.
    requests: AtomicU64,
    /// Requests answered in it, per scheme, and their summed `total` time (the instructor page).
    pub traffic: Traffic,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Requests a lab made to each scheme's routes, and what they cost on the server.
#[derive(Debug, Default)]
pub struct Traffic {
    counts: [AtomicU64; 4],
    micros: [AtomicU64; 4],
}

/// The schemes in the order [`Traffic`] counts them.
pub const SCHEMES: [&str; 4] = ["cookie", "session", "token", "jwt"];

impl Traffic {
    /// Counts one request to `path` that took `micros` on the server.
    pub fn record(&self, path: &str, micros: u64) {
        let scheme = path.trim_start_matches('/').split('/').next().unwrap_or("");
        if let Some(i) = SCHEMES.iter().position(|s| *s == scheme) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
            self.micros[i].fetch_add(micros, Ordering::Relaxed);
        }
    }

    /// Requests and microseconds of scheme `i` (an index into [`SCHEMES`]).
    pub fn of(&self, i: usize) -> (u64, u64) {
        (
            self.counts[i].load(Ordering::Relaxed),
            self.micros[i].load(Ordering::Relaxed),
        )
    }
}

impl Lab {
    /// The shared default lab, over the server's own state and database.
    pub fn shared(state: web::Data<AppState>, pool: web::Data<Pool>) -> Lab {
        Lab::new(state, pool, None)
    }

    /// The lab of `state` (its id is `state.lab`) over `pool`, kept in `path`.
    fn new(state: web::Data<AppState>, pool: web::Data<Pool>, path: Option<PathBuf>) -> Lab {
        Lab {
            id: state.lab.clone(),
            clock: web::Data::new(state.clock.clone()),
            keyring: web::Data::from(Arc::clone(&state.keyring)),
            state,
            pool,
            path,
            last_seen: AtomicI64::new(now()),
            requests: AtomicU64::new(0),
            traffic: Traffic::default(),
        }
    }

    /// Whether this is a learner's private lab.
    pub fn is_private(&self) -> bool {
        !self.id.is_empty()
    }

    /// Real time of its last request (Unix seconds).
    pub fn last_seen(&self) -> i64 {
        self.last_seen.load(Ordering::Relaxed)
    }

    fn container(&self) -> Extensions {
        let mut data = Extensions::new();
        data.insert(self.state.clone());
        data.insert(self.pool.clone());
        data.insert(self.clock.clone());
        data.insert(self.keyring.clone());
        data
    }
}

/// Real time, Unix seconds: how idleness is judged (the lab clocks are the learners' to move).
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Why no lab could be made.
#[derive(Debug, thiserror::Error)]
pub enum NoLab {
    /// `--max-labs` labs are open.
    #[error("the classroom is full")]
    Full,
    /// The file could not be made or opened.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Every lab on this server.
pub struct Classroom {
    default: Arc<Lab>,
    labs: Mutex<HashMap<String, Arc<Lab>>>,
    dir: PathBuf,
    template: PathBuf,
    settings: Arc<Settings>,
    /// Whether browsers get private labs (off with `--shared-lab`).
    pub private: bool,
}

impl std::fmt::Debug for Classroom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classroom")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Classroom {
    /// The classroom around the default lab: learners' labs live in `<db>.labs/`, each made by
    /// copying `template.sqlite3` there (migrated, demo users seeded once at start).
    pub async fn open(default: Lab) -> anyhow::Result<Classroom> {
        let settings = Arc::clone(&default.state.settings);
        let mut dir = settings.db.clone().into_os_string();
        dir.push(".labs");
        let dir = PathBuf::from(dir);
        let template = dir.join("template.sqlite3");
        let private = settings.private_labs();
        if private {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot make the labs folder {}", dir.display()))?;
            let (t, d) = (template.clone(), dir.clone());
            let pool = tokio::task::spawn_blocking(move || -> anyhow::Result<Pool> {
                for name in [
                    "template.sqlite3",
                    "template.sqlite3-wal",
                    "template.sqlite3-shm",
                ] {
                    let _ = std::fs::remove_file(d.join(name));
                }
                let pool = db::open(&t)?;
                Ok(pool)
            })
            .await??;
            if !settings.no_demo_users {
                crate::users::demo::seed(&pool, &Clock::default()).await?;
            }
            tokio::task::spawn_blocking(move || {
                db::with_conn(&pool, |c| {
                    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                })
            })
            .await???;
        }
        Ok(Classroom {
            default: Arc::new(default),
            labs: Mutex::default(),
            dir,
            template,
            settings,
            private,
        })
    }

    /// `--max-labs`.
    pub fn max_labs(&self) -> usize {
        self.settings.max_labs
    }

    /// The shared default lab.
    pub fn default_lab(&self) -> &Arc<Lab> {
        &self.default
    }

    /// The learners' labs open now.
    pub fn learners(&self) -> Vec<Arc<Lab>> {
        self.lock().values().cloned().collect()
    }

    /// Every lab: the default one first.
    pub fn all(&self) -> Vec<Arc<Lab>> {
        let mut all = vec![Arc::clone(&self.default)];
        all.extend(self.learners());
        all
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Lab>>> {
        self.labs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The open lab `id`, or one whose file is still on disk (a restart), reopened.
    async fn find(&self, id: &str) -> Option<Arc<Lab>> {
        if !valid_id(id) {
            return None;
        }
        if let Some(lab) = self.lock().get(id) {
            // Seen now, under the lock the idle sweep takes: it cannot remove a lab in use.
            lab.last_seen.store(now(), Ordering::Relaxed);
            return Some(Arc::clone(lab));
        }
        let path = self.dir.join(format!("{id}.sqlite3"));
        if !path.is_file() {
            return None;
        }
        self.open_lab(id.to_owned(), path, false).await.ok()
    }

    /// Whether lab `id` is open (or still on disk): what a second browser may join.
    pub async fn is_open(&self, id: &str) -> bool {
        self.private && self.find(id).await.is_some()
    }

    /// A new lab, unless `--max-labs` are open.
    pub async fn create(&self) -> Result<Arc<Lab>, NoLab> {
        if !self.make_room() {
            return Err(NoLab::Full);
        }
        let id = crate::web::random_hex(ID_CHARS / 2);
        let path = self.dir.join(format!("{id}.sqlite3"));
        match self.open_lab(id, path, true).await {
            Ok(lab) => Ok(lab),
            Err(e) if matches!(e.downcast_ref::<NoLab>(), Some(NoLab::Full)) => Err(NoLab::Full),
            Err(e) => Err(NoLab::Failed(e)),
        }
    }

    /// Whether a new lab fits: when `--max-labs` are open, the labs whose browser never came
    /// back (one request, a minute ago or more: a script without a cookie jar, a browser that
    /// refuses cookies) give their places up first.
    fn make_room(&self) -> bool {
        let max = self.settings.max_labs;
        let mut labs = self.lock();
        if labs.len() < max {
            return true;
        }
        let cutoff = now() - 60;
        let abandoned: Vec<String> = labs
            .iter()
            .filter(|(_, lab)| {
                lab.requests.load(Ordering::Relaxed) <= 1 && lab.last_seen() < cutoff
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in abandoned {
            if let Some(path) = labs.remove(&id).and_then(|lab| lab.path.clone()) {
                tokio::task::spawn_blocking(move || remove_lab_files(&path));
            }
            if labs.len() < max {
                return true;
            }
        }
        labs.len() < max
    }

    async fn open_lab(&self, id: String, path: PathBuf, fresh: bool) -> anyhow::Result<Arc<Lab>> {
        let (template, file) = (self.template.clone(), path.clone());
        let server = self.default.state.keys();
        let pool = tokio::task::spawn_blocking(move || -> anyhow::Result<(Pool, Keys)> {
            if fresh {
                std::fs::copy(&template, &file)
                    .with_context(|| format!("cannot make the lab file {}", file.display()))?;
            }
            let pool = db::open_small(&file, !fresh)?;
            let keys = Keys::for_lab(&server, &pool)?;
            Ok((pool, keys))
        })
        .await
        .context("the blocking pool")??;
        let (pool, keys) = pool;
        let shared = &self.default.state;
        let state = web::Data::new(AppState {
            settings: Arc::clone(&shared.settings),
            clock: Clock::default(),
            keyring: Arc::new(KeyRing::new(keys)),
            throttle: LoginThrottle::new(shared.settings.login_throttle),
            local_addr: shared.local_addr,
            last_sweep: Arc::new(LastSweep::default()),
            launch_peer: Arc::clone(&shared.launch_peer),
            lab: id.clone(),
            another_site: shared.another_site,
            one_run: Arc::default(),
        });
        let lab = Arc::new(Lab::new(state, web::Data::new(pool), Some(path)));
        let mut labs = self.lock();
        // The cap again, under the lock that inserts: labs made at the same moment cannot pass it.
        if fresh && labs.len() >= self.settings.max_labs {
            drop(labs);
            let file = lab.path.clone();
            drop(lab);
            if let Some(file) = file {
                tokio::task::spawn_blocking(move || remove_lab_files(&file));
            }
            anyhow::bail!(NoLab::Full);
        }
        // A lab reopened from disk by two requests at once: the first one in wins.
        let lab = Arc::clone(labs.entry(id).or_insert(lab));
        Ok(lab)
    }

    /// Removes the labs idle for `--lab-idle` by real time `now` (Unix seconds), their files
    /// too; returns how many.
    pub async fn remove_idle(&self, now: i64) -> usize {
        let idle = self.settings.lab_idle.get().num_seconds();
        let cutoff = now - idle;
        let gone: Vec<Arc<Lab>> = {
            let mut labs = self.lock();
            // Only a lab no request holds: a request in flight keeps its lab (and its file).
            let ids: Vec<String> = labs
                .iter()
                .filter(|(_, lab)| lab.last_seen() < cutoff && Arc::strong_count(lab) == 1)
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| labs.remove(id)).collect()
        };
        let count = gone.len();
        for lab in gone {
            if let Some(path) = lab.path.clone() {
                drop(lab);
                let _ = tokio::task::spawn_blocking(move || remove_lab_files(&path)).await;
            }
        }
        // Files of labs not open since a restart, unused as long: removed too.
        let (dir, open): (PathBuf, Vec<String>) =
            (self.dir.clone(), self.lock().keys().cloned().collect());
        let idle = std::time::Duration::from_secs(u64::try_from(idle).unwrap_or(0));
        let _ = tokio::task::spawn_blocking(move || {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(id) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                let stale = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > idle);
                if path.extension().is_some_and(|e| e == "sqlite3")
                    && valid_id(id)
                    && !open.iter().any(|o| o == id)
                    && stale
                {
                    remove_lab_files(&path);
                }
            }
        })
        .await;
        count
    }
}

/// Deletes a lab's file and its WAL companions.
fn remove_lab_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

fn valid_id(id: &str) -> bool {
    id.len() == ID_CHARS && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A page a browser navigates to (not a script's fetch, an image or a stylesheet): what opens a
/// lab for a browser that has none.
fn is_navigation(req: &ServiceRequest) -> bool {
    (req.method() == actix_web::http::Method::GET || req.method() == actix_web::http::Method::HEAD)
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// A request that changes a lab (the lab actions and the load lab), not one that reads it.
fn is_lab_action(req: &ServiceRequest) -> bool {
    let path = req.path();
    !req.method().is_safe()
        && (path.starts_with("/lab/") || path.contains("/lab/"))
        && path != "/lab/join"
}

/// Middleware (outermost): puts the request in its browser's lab, opening one for a browser's
/// first page; a request without a lab cookie stays in the default lab.
pub async fn select(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(classroom) = req.app_data::<web::Data<Classroom>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if !classroom.private {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let wanted = req
        .cookie(LAB_COOKIE)
        .map(|c| c.value().to_owned())
        .or_else(|| {
            req.headers()
                .get(crate::web::LAB_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    let found = match wanted.as_deref() {
        Some(id) => classroom.find(id).await,
        None => None,
    };
    let (lab, fresh) = match found {
        Some(lab) => (lab, false),
        // The join page opens no lab: the browser is about to take one it was given.
        None if is_navigation(&req) && req.path() != "/lab/join" => {
            match classroom.create().await {
                Ok(lab) => (lab, true),
                Err(NoLab::Full) => {
                    let full = AppError::LabsFull(classroom.settings.max_labs);
                    let page = crate::web::error::topic_page(req.request(), &full, "labs_full");
                    return Ok(req.into_response(page).map_into_right_body());
                }
                Err(NoLab::Failed(e)) => {
                    return Ok(req
                        .error_response(AppError::Internal(e))
                        .map_into_right_body());
                }
            }
        }
        None if wanted.is_some() => {
            let gone = AppError::LabGone;
            return Ok(req.error_response(gone).map_into_right_body());
        }
        None => {
            // The shared lab is everyone's without a cookie (curl, DRF clients): its lab actions
            // keep the rule of one shared lab — a loopback address, or --lab on purpose.
            if is_lab_action(&req) && !classroom.settings.shared_lab_actions() {
                let refused = AppError::Forbidden(
                    "Lab actions in the shared lab (no authlab_lab cookie) are off on this address: \
                     open a page in a browser to get a lab of your own, or send its X-Authlab-Lab header."
                        .into(),
                );
                return Ok(req.error_response(refused).map_into_right_body());
            }
            return Ok(next.call(req).await?.map_into_left_body());
        }
    };
    lab.last_seen.store(now(), Ordering::Relaxed);
    lab.requests.fetch_add(1, Ordering::Relaxed);
    req.extensions_mut().insert(crate::web::LabId {
        cookie: LAB_COOKIE,
        id: lab.id.clone(),
        fresh,
    });
    req.add_data_container(std::rc::Rc::new(lab.container()));
    let path = req.path().to_owned();
    let started = std::time::Instant::now();
    let pool = lab.pool.get_ref().clone();
    let clock = lab.state.clock.clone();
    let mut res = crate::state::in_lab(pool, clock, next.call(req)).await?;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    lab.traffic.record(&path, micros);
    if fresh {
        let cookie = Cookie::build(LAB_COOKIE, lab.id.clone())
            .path("/")
            .http_only(true)
            .secure(classroom.settings.secure_cookies())
            .same_site(SameSite::Lax)
            .finish();
        if let Err(e) = res.response_mut().add_cookie(&cookie) {
            return Ok(res.error_response(e).map_into_right_body());
        }
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::valid_id;

    #[test]
    fn only_32_lowercase_hex_characters_name_a_lab() {
        assert!(valid_id("0123456789abcdef0123456789abcdef"));
        assert!(!valid_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!valid_id("../../etc/passwd0123456789abcdef0"));
        assert!(!valid_id("short"));
    }
}
