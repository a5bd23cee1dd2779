//! Middleware: a request body must arrive in full within the body timeout. A client that sends
//! fewer bytes than its `Content-Length`, or a chunked body without its last chunk, gets 408 once
//! the time is up and its connection is closed, so stalled clients cannot pile up open
//! connections until the server runs out of them. A body the route answered without reading to
//! its end closes its connection too. Requests without a body pass untouched. It is the outermost
//! layer, so that no other layer's answer can replace the one that holds the unread body.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_core::Stream;

/// How long a request body may take to arrive (registered as app data).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// The error a body gets when its time is up.
const TIMED_OUT: &str = "the request body did not arrive in time";

/// Whether a payload error is this middleware's timeout.
pub fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// The middleware; see the module docs.
pub async fn body_deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = req.app_data::<BodyTimeout>().map(|t| t.0);
    let headers = req.headers();
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|len| len.as_bytes() != b"0");
    let Some(limit) = limit.filter(|_| has_body) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let abandoned = Rc::new(RefCell::new(None));
    let (http_req, payload) = req.into_parts();
    let stream = Deadline {
        inner: Some(payload),
        sleep: Box::pin(tokio::time::sleep(limit)),
        abandoned: Rc::clone(&abandoned),
    };
    let req = ServiceRequest::from_parts(
        http_req,
        Payload::Stream {
            payload: Box::pin(stream),
        },
    );
    let mut res = next.call(req).await?.map_into_boxed_body();
    let Some(unread) = abandoned.borrow_mut().take() else {
        return Ok(res);
    };
    res.response_mut()
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    // The unread body stays held until the answer is written: actix closes a connection whose
    // body is unfinished and still wanted, where a dropped one would be drained — forever, from
    // a client that stalls.
    Ok(res.map_body(|_, body| {
        BoxBody::new(Holding {
            body,
            _unread: unread,
        })
    }))
}

/// The body stream, ended with a timeout error once `sleep` fires; the unread rest is handed to
/// `abandoned`.
struct Deadline {
    inner: Option<Payload>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    abandoned: Rc<RefCell<Option<Payload>>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if let Poll::Ready(item) = Pin::new(inner).poll_next(cx) {
            if item.is_none() {
                // The whole body arrived: nothing is left to hold.
                self.inner = None;
            }
            return Poll::Ready(item);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let unread = self.inner.take();
                *self.abandoned.borrow_mut() = unread;
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    TIMED_OUT,
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Deadline {
    /// A body given up before it ended — the route answered without reading it all (a 404, a
    /// 405, a refusal) — is handed over too, so that its connection is closed rather than left
    /// draining a client that may never finish.
    fn drop(&mut self) {
        if let Some(unread) = self.inner.take() {
            *self.abandoned.borrow_mut() = Some(unread);
        }
    }
}

/// A response body that keeps the unread request body alive until it has been written.
struct Holding {
    body: BoxBody,
    _unread: Payload,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}
