//! `/signup`: create a user of the custom user model, with inline validation errors.

use actix_web::{HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::db::Db;
use crate::state::AppState;
use crate::users::auth::hash_password;
use crate::users::{self, Email, InsertError, NewUser, password};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::page::PageCtx;

/// The sign-up form as submitted.
#[derive(Debug, Default, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `GET /signup` and a refused `POST /signup`.
#[derive(Template, WebTemplate)]
#[template(path = "users/signup.html")]
pub struct SignupPage {
    ctx: PageCtx,
    email: String,
    username: String,
    email_error: Option<String>,
    username_error: Option<String>,
    password_error: Option<String>,
}

/// `GET /signup`: the empty form.
pub async fn form(ctx: PageCtx) -> SignupPage {
    SignupPage {
        ctx,
        email: String::new(),
        username: String::new(),
        email_error: None,
        username_error: None,
        password_error: None,
    }
}

/// `POST /signup`: creates the user and shows it on `/users`, or re-renders the form with errors (400).
pub async fn submit(
    ctx: PageCtx,
    db: Db,
    state: web::Data<AppState>,
    CsrfForm(input): CsrfForm<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let email = Email::parse(&input.email);
    let username = users::validate_username(&input.username);
    let length = password::check_new(&input.password);
    let mut page = SignupPage {
        email_error: email.as_ref().err().map(|e| ctx.t(e.key())),
        username_error: username.as_ref().err().map(|e| ctx.t(e.key())),
        password_error: length.err().map(|e| ctx.t(e.key())),
        email: input.email.trim().to_owned(),
        username: input.username.trim().to_owned(),
        ctx,
    };
    let (Ok(email), Ok(username), Ok(())) = (email, username, length) else {
        return refused(page);
    };
    let password_hash = hash_password(input.password).await?;
    let new = NewUser {
        email,
        username,
        password_hash,
        is_active: true,
    };
    let now = state.clock.now();
    match db.run(move |c| users::insert(c, &new, now)).await? {
        Ok(user) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", format!("/users?new={}", user.id)))
            .finish()),
        Err(InsertError::DuplicateEmail) => {
            page.email_error = Some(page.ctx.t("form.error.email_taken"));
            refused(page)
        }
        Err(InsertError::Db(e)) => Err(e.into()),
    }
}

fn refused(page: SignupPage) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(HttpResponse::BadRequest()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
