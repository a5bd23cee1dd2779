//! `/compare`: the four schemes side by side, live — the page instructors put on the projector.

use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::pages::labs::agent::Column;
use crate::pages::labs::matrix::Event;
use crate::schemes::scheme::Scheme;
use crate::web::error::AppError;
use crate::web::page::{PageCtx, render};

/// `GET /compare`.
#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    ctx: PageCtx,
    schemes: Vec<(&'static str, String)>,
    events: Vec<(&'static str, String, String)>,
    columns: Vec<(&'static str, String)>,
}

/// `GET /compare`: the page; its script fills the columns from each scheme's inspect route.
pub async fn page(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::of(&req);
    let schemes = Scheme::ALL
        .iter()
        .map(|s| (s.slug(), ctx.t(format!("scheme.{}.name", s.slug()))))
        .collect();
    let events = Event::ALL
        .iter()
        .map(|e| {
            let key = e.slug();
            (
                key,
                ctx.t(format!("compare.matrix.event.{key}")),
                ctx.t(format!("compare.matrix.explain.{key}")),
            )
        })
        .collect();
    let columns = Column::ALL
        .iter()
        .map(|c| {
            let key = c.slug();
            (key, ctx.t(format!("compare.matrix.column.{key}")))
        })
        .collect();
    render(ComparePage {
        ctx,
        schemes,
        events,
        columns,
    })
}

/// The catalog keys this page builds at run time (the catalog test checks them too).
pub fn dynamic_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for e in Event::ALL {
        keys.push(format!("compare.matrix.event.{}", e.slug()));
        keys.push(format!("compare.matrix.explain.{}", e.slug()));
    }
    for c in Column::ALL {
        keys.push(format!("compare.matrix.column.{}", c.slug()));
    }
    keys
}
