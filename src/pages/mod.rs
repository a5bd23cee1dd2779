//! The shared pages — overview, sign-up, users, the API description — plus `/healthz`, `/api/ping`, the lab actions and static files.

pub mod account;
pub mod challenges;
pub mod compare;
pub mod diagram;
pub mod home;
pub mod instructor;
pub mod labs;
pub mod openapi;
pub mod signup;
pub mod sweep;
pub mod users;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::web::error::AppError;

/// Mounts the shared routes.
pub fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").get(home::overview))
        .service(
            web::resource("/signup")
                .get(signup::form)
                .post(signup::submit),
        )
        .service(web::resource("/users").get(users::list))
        .service(web::resource("/compare").get(compare::page))
        .service(
            web::resource("/account/password")
                .get(account::form)
                .post(account::submit),
        )
        .service(web::resource("/healthz").get(healthz))
        .service(web::resource("/api").get(openapi::page))
        .service(web::resource("/api/openapi.json").get(openapi::document))
        .service(
            web::resource("/api/ping")
                .wrap(actix_web::middleware::from_fn(crate::web::drf::negotiate))
                .get(ping)
                .route(
                    web::route()
                        .method(actix_web::http::Method::OPTIONS)
                        .to(ping_options),
                ),
        );
    labs::mount(cfg);
    cfg.service(
        web::resource("/challenges")
            .guard(crate::web::lab_only())
            .get(challenges::list),
    )
    .service(
        web::resource("/lab/progress")
            .guard(crate::web::lab_only())
            .get(challenges::progress),
    )
    .service(
        web::resource("/lab/progress/clear")
            .guard(crate::web::lab_only())
            .post(challenges::clear),
    )
    .service(
        web::resource("/instructor")
            .guard(crate::web::lab_only())
            .get(instructor::page),
    )
    .service(
        web::resource("/instructor/login")
            .guard(crate::web::lab_only())
            .post(instructor::login),
    )
    .service(
        web::resource("/instructor/api/class")
            .guard(crate::web::lab_only())
            .get(instructor::class),
    )
    .service(
        web::resource("/instructor/api/clock")
            .guard(crate::web::lab_only())
            .post(instructor::class_clock),
    )
    .service(
        web::resource("/instructor/api/reset")
            .guard(crate::web::lab_only())
            .post(instructor::reset_all),
    )
    .service(
        web::resource("/instructor/api/rotate-keys")
            .guard(crate::web::lab_only())
            .post(instructor::rotate_all),
    );
}

/// Mounts the routes with path parameters. They go last: matching them costs a pattern match,
/// which every request to a route registered after them would pay.
pub fn mount_patterns(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/challenges/{id}")
            .guard(crate::web::lab_only())
            .get(challenges::one),
    )
    .service(
        web::resource("/lab/progress/{id}/hint")
            .guard(crate::web::lab_only())
            .post(challenges::hint),
    )
    .service(
        web::resource("/lab/progress/{id}/solution")
            .guard(crate::web::lab_only())
            .post(challenges::solution),
    )
    .service(web::resource("/diagram/{name}").get(diagram::diagram))
    .service(web::resource("/static/{file}").get(static_file));
}

/// `GET /healthz`: no authentication, no query — the benchmarks' baseline.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

/// `GET /api/ping`: the reference Django project's ping view (CONTRACT.md cases 1–2). It has no
/// authentication classes, so any `Authorization` header is ignored.
async fn ping() -> HttpResponse {
    crate::web::drf::json_ok(json!({ "ping": "pong" }))
}

/// The reference's `OPTIONS` answer for its ping view.
const PING_METADATA: &str = r#"{"name":"Ping","description":"Unauthenticated baseline.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}"#;

/// `OPTIONS /api/ping`.
async fn ping_options() -> HttpResponse {
    crate::web::drf::metadata(PING_METADATA, "GET, OPTIONS")
}

const JS: &str = "text/javascript; charset=utf-8";

/// The files under `static/`, compiled in so the binary runs from anywhere.
const STATIC_FILES: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    ),
    ("common.js", JS, include_str!("../../static/common.js")),
    ("cookie.js", JS, include_str!("../../static/cookie.js")),
    ("stolen.js", JS, include_str!("../../static/stolen.js")),
    ("session.js", JS, include_str!("../../static/session.js")),
    ("token.js", JS, include_str!("../../static/token.js")),
    ("jwt.js", JS, include_str!("../../static/jwt.js")),
    ("compare.js", JS, include_str!("../../static/compare.js")),
    (
        "challenges.js",
        JS,
        include_str!("../../static/challenges.js"),
    ),
    (
        "workbench.js",
        JS,
        include_str!("../../static/workbench.js"),
    ),
    (
        "inspector.js",
        JS,
        include_str!("../../static/inspector.js"),
    ),
    (
        "instructor.js",
        JS,
        include_str!("../../static/instructor.js"),
    ),
    (
        "presenter.js",
        JS,
        include_str!("../../static/presenter.js"),
    ),
];

async fn static_file(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) = STATIC_FILES
        .iter()
        .find(|(file, _, _)| *file == name.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().content_type(*content_type).body(*body))
}
