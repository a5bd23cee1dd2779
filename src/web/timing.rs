//! The `Server-Timing` header that reports the request's [`Meter`] on every response.
//!
//! `auth;dur=…;desc="…"` is the time the credential check took and what it was;
//! `db;dur=…;desc="N queries"` is the time spent in `Db::run` and how many statements ran.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::meter::Meter;

/// Middleware: gives each request a meter and adds `Server-Timing` to its response.
pub async fn server_timing(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let meter = Arc::new(Meter::default());
    let mut res = Meter::scope(meter.clone(), next.call(req)).await?;
    if let Ok(value) = HeaderValue::from_str(&meter.header_value(started.elapsed())) {
        res.headers_mut()
            .insert(HeaderName::from_static("server-timing"), value);
    }
    Ok(res)
}
