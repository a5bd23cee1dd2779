//! `/instructor`: the class at a glance for whoever has the instructor secret — learners active,
//! and per scheme what the server holds for the whole class (rows, bytes) and what its requests
//! cost (the notes' "sessions load the server", at classroom scale) — and the server-wide
//! actions: the class clock, reset every lab, rotate every lab's keys. Presenter mode is a link
//! from here to any page with `?present=1` (`static/presenter.js`).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::challenges::store::Progress;
use crate::challenges::{Challenge, State};
use crate::classroom::{Classroom, Lab, SCHEMES};
use crate::config::Settings;
use crate::db::Db;
use crate::pages::labs::{ClockChange, Confirm, apply_clock, reset_lab, rotate};
use crate::schemes::{jwt, session, token};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::page::PageCtx;

/// The cookie that says this browser gave the instructor secret.
const INSTRUCTOR_COOKIE: &str = "authlab_instructor";

/// A lab used in the last five minutes counts as active.
const ACTIVE_SECS: i64 = 300;

/// What the instructor cookie holds: HMAC-SHA256(secret, purpose), so the secret itself never
/// sits in a cookie and a new secret (a restart without `--instructor-secret`) ends every one.
fn pass_for(settings: &Settings) -> Option<String> {
    let secret = settings.instructor_secret.as_deref()?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(b"authlab instructor");
    Some(crate::web::hex(&mac.finalize().into_bytes()))
}

/// Whether this request comes from the instructor's browser.
fn is_instructor(req: &HttpRequest, settings: &Settings) -> bool {
    let (Some(expected), Some(sent)) = (pass_for(settings), req.cookie(INSTRUCTOR_COOKIE)) else {
        return false;
    };
    // The cookie is a password.
    same_in_constant_time(&expected, sent.value())
}

/// Whether `a` and `b` are equal, compared in time that does not depend on where they differ.
fn same_in_constant_time(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refuse() -> AppError {
    AppError::Forbidden(
        "Only the instructor can do this: log in at /instructor with the instructor secret.".into(),
    )
}

/// The sign-in form, or the dashboard once signed in.
#[derive(Template, WebTemplate)]
#[template(path = "instructor.html")]
pub struct InstructorPage {
    ctx: PageCtx,
    error: Option<String>,
    /// The class's figures, once the instructor is signed in.
    class: Option<Class>,
}

/// `GET /instructor`.
pub async fn page(
    ctx: PageCtx,
    req: HttpRequest,
    settings: web::Data<Settings>,
    classroom: web::Data<Classroom>,
) -> Result<InstructorPage, AppError> {
    let class = if is_instructor(&req, &settings) {
        Some(class_of(&classroom).await?)
    } else {
        None
    };
    Ok(InstructorPage {
        ctx,
        error: None,
        class,
    })
}

/// The sign-in form's one field.
#[derive(Debug, Deserialize)]
pub struct SecretForm {
    #[serde(default)]
    secret: String,
}

/// `POST /instructor/login`: the secret, once, for a cookie that lasts the browser session.
pub async fn login(
    ctx: PageCtx,
    settings: web::Data<Settings>,
    CsrfForm(form): CsrfForm<SecretForm>,
) -> Result<HttpResponse, AppError> {
    let given = form.secret.trim();
    let right = settings
        .instructor_secret
        .as_deref()
        .is_some_and(|secret| !given.is_empty() && same_in_constant_time(given, secret));
    let Some(pass) = pass_for(&settings).filter(|_| right) else {
        let page = InstructorPage {
            error: Some(ctx.t("instructor.wrong_secret")),
            ctx,
            class: None,
        };
        let html = page
            .render()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
        return Ok(HttpResponse::Forbidden()
            .content_type("text/html; charset=utf-8")
            .body(html));
    };
    let cookie = Cookie::build(INSTRUCTOR_COOKIE, pass)
        .path("/")
        .http_only(true)
        .secure(settings.secure_cookies())
        .same_site(SameSite::Strict)
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/instructor"))
        .cookie(cookie)
        .finish())
}

/// What the server holds for the whole class in one scheme, and what its requests cost.
#[derive(Debug, Clone, Serialize)]
pub struct SchemeLoad {
    /// `cookie`, `session`, `token` or `jwt`.
    pub scheme: &'static str,
    /// Rows the server keeps, over every lab.
    pub rows: i64,
    /// Bytes of those rows.
    pub bytes: i64,
    /// Requests answered on the scheme's routes.
    pub requests: u64,
    /// Their mean server time, in milliseconds.
    pub mean_ms: f64,
}

/// The class at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Class {
    /// Learners' labs open now.
    pub labs: usize,
    /// Of which used in the last five minutes.
    pub active: usize,
    /// `--max-labs`.
    pub max_labs: usize,
    /// Per scheme, in the order of [`SCHEMES`].
    pub schemes: Vec<SchemeLoad>,
    /// Per challenge: how many labs solved it, and how many started it.
    pub challenges: Vec<ClassChallenge>,
}

/// One challenge across the class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassChallenge {
    /// Its id.
    pub id: &'static str,
    /// Labs that solved it.
    pub solved: usize,
    /// Labs that started it without solving it yet.
    pub started: usize,
}

async fn class_of(classroom: &Classroom) -> Result<Class, AppError> {
    let learners = classroom.learners();
    let now = crate::classroom::now();
    let mut rows = [(0i64, 0i64); 4];
    let mut traffic = [(0u64, 0u64); 4];
    let mut challenges: Vec<ClassChallenge> = Challenge::ALL
        .iter()
        .map(|c| ClassChallenge {
            id: c.id(),
            solved: 0,
            started: 0,
        })
        .collect();
    for lab in classroom.all() {
        let (kept, progress) = held(&lab).await?;
        // The class's progress is its learners' (the shared lab is anyone's curl), unless every
        // browser shares that one lab.
        let counted = lab.is_private() || !classroom.private;
        for (row, p) in challenges.iter_mut().zip(progress).filter(|_| counted) {
            match p.state {
                State::Solved => row.solved += 1,
                State::Started => row.started += 1,
                State::NotStarted => {}
            }
        }
        for (i, (r, b)) in kept.into_iter().enumerate() {
            rows[i].0 += r;
            rows[i].1 += b;
            let (count, micros) = lab.traffic.of(i);
            traffic[i].0 += count;
            traffic[i].1 += micros;
        }
    }
    let schemes = SCHEMES
        .iter()
        .enumerate()
        .map(|(i, scheme)| SchemeLoad {
            scheme,
            rows: rows[i].0,
            bytes: rows[i].1,
            requests: traffic[i].0,
            mean_ms: if traffic[i].0 == 0 {
                0.0
            } else {
                traffic[i].1 as f64 / traffic[i].0 as f64 / 1_000.0
            },
        })
        .collect();
    Ok(Class {
        active: learners
            .iter()
            .filter(|lab| lab.last_seen() >= now - ACTIVE_SECS)
            .count(),
        labs: learners.len(),
        max_labs: classroom.max_labs(),
        schemes,
        challenges,
    })
}

/// What one lab's server side holds per scheme: (rows, bytes), a signed cookie keeping nothing;
/// and its progress through the challenges.
async fn held(lab: &Lab) -> Result<([(i64, i64); 4], Vec<Progress>), AppError> {
    let now = lab.state.clock.unix();
    let kept = Db::new(lab.pool.get_ref().clone())
        .read(move |c| -> rusqlite::Result<_> {
            let sessions = session::store::totals(c, now)?;
            Ok((
                [
                    (0, 0),
                    (sessions.rows, sessions.bytes),
                    token::store::kept_total(c)?,
                    jwt::store::kept_total(c)?,
                ],
                crate::challenges::store::all(c)?,
            ))
        })
        .await??;
    Ok(kept)
}

/// `GET /instructor/api/class`: [`Class`] as JSON (the page polls it).
pub async fn class(
    req: HttpRequest,
    settings: web::Data<Settings>,
    classroom: web::Data<Classroom>,
) -> Result<HttpResponse, AppError> {
    if !is_instructor(&req, &settings) {
        return Err(refuse());
    }
    Ok(HttpResponse::Ok().json(class_of(&classroom).await?))
}

/// `POST /instructor/api/clock` `{"advance": "1h"}` or `{"reset": true}`: every lab's clock.
pub async fn class_clock(
    req: HttpRequest,
    settings: web::Data<Settings>,
    classroom: web::Data<Classroom>,
    change: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    if !is_instructor(&req, &settings) {
        return Err(refuse());
    }
    let mut moved = 0;
    for lab in classroom.all() {
        let change: ClockChange = serde_json::from_value(change.0.clone())
            .map_err(|e| AppError::Invalid(json!({ "non_field_errors": [e.to_string()] })))?;
        apply_clock(&lab.state, lab.pool.get_ref(), change).await?;
        moved += 1;
    }
    Ok(HttpResponse::Ok().json(json!({ "labs": moved })))
}

/// The gate of a server-wide action: the instructor, and `{"confirm": true}`.
fn confirmed(
    req: &HttpRequest,
    settings: &Settings,
    body: &Confirm,
    what: &str,
) -> Result<(), AppError> {
    if !is_instructor(req, settings) {
        return Err(refuse());
    }
    if !body.confirm {
        return Err(AppError::Invalid(json!({
            "confirm": [format!("Send {{\"confirm\": true}} to {what}.")]
        })));
    }
    Ok(())
}

/// `POST /instructor/api/reset` `{"confirm": true}`: every lab starts again.
pub async fn reset_all(
    req: HttpRequest,
    settings: web::Data<Settings>,
    classroom: web::Data<Classroom>,
    body: web::Json<Confirm>,
) -> Result<HttpResponse, AppError> {
    confirmed(&req, &settings, &body, "reset every lab of the class")?;
    let labs = classroom.all();
    for lab in &labs {
        reset_lab(&lab.state, lab.pool.get_ref().clone()).await?;
    }
    Ok(HttpResponse::Ok().json(json!({ "labs": labs.len() })))
}

/// `POST /instructor/api/rotate-keys` `{"confirm": true}`: every lab's login seal and JWT
/// secret are replaced: every signed cookie login and every JWT in the class ends at once.
pub async fn rotate_all(
    req: HttpRequest,
    settings: web::Data<Settings>,
    classroom: web::Data<Classroom>,
    body: web::Json<Confirm>,
) -> Result<HttpResponse, AppError> {
    confirmed(&req, &settings, &body, "rotate every lab's keys")?;
    let labs = classroom.all();
    for lab in &labs {
        rotate(&lab.state, lab.pool.get_ref().clone()).await?;
    }
    Ok(HttpResponse::Ok().json(json!({ "labs": labs.len() })))
}
