//! `/lab/join`: the same private lab in a second browser (a phone, a private window): the lab
//! bar shows a link with the lab's code; the other browser opens it and confirms, and from then
//! on both are in one lab — two devices of one learner, as the two-device lessons need.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::classroom::{Classroom, LAB_COOKIE};
use crate::config::Settings;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::page::PageCtx;

/// `?code=` from the lab bar's link.
#[derive(Debug, Deserialize)]
pub struct Code {
    #[serde(default)]
    code: String,
}

/// The join page: the code, a button, and what joining means.
#[derive(Template, WebTemplate)]
#[template(path = "lab_join.html")]
pub struct JoinPage {
    ctx: PageCtx,
    code: String,
    error: Option<String>,
    /// `scheme://host` of this server, for the link the page shows.
    origin: String,
}

fn origin(req: &actix_web::HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `GET /lab/join?code=…`: shows the code to confirm (a GET changes nothing).
pub async fn form(ctx: PageCtx, req: actix_web::HttpRequest, query: web::Query<Code>) -> JoinPage {
    JoinPage {
        code: query.into_inner().code.trim().to_owned(),
        error: None,
        origin: origin(&req),
        ctx,
    }
}

/// `POST /lab/join` `code=…`: puts this browser in that lab, when it is open.
pub async fn join(
    ctx: PageCtx,
    req: actix_web::HttpRequest,
    classroom: web::Data<Classroom>,
    settings: web::Data<Settings>,
    CsrfForm(form): CsrfForm<Code>,
) -> Result<HttpResponse, AppError> {
    let code = form.code.trim().to_ascii_lowercase();
    if !classroom.is_open(&code).await {
        let page = JoinPage {
            error: Some(ctx.t("lab.join.unknown")),
            code,
            origin: origin(&req),
            ctx,
        };
        let html = page
            .render()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
        return Ok(HttpResponse::NotFound()
            .content_type("text/html; charset=utf-8")
            .body(html));
    }
    let cookie = Cookie::build(LAB_COOKIE, code)
        .path("/")
        .http_only(true)
        .secure(settings.secure_cookies())
        .same_site(SameSite::Lax)
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, "/?joined=1"))
        .cookie(cookie)
        .finish())
}
