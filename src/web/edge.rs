//! What every request must pass before it reaches a route: a path without control characters (no
//! page has one: 404), a query string whose control characters are white space (a search for
//! `%00` is a search for nothing; PostgreSQL could not even compare a NUL), and a body that keeps
//! arriving. A stalled upload would otherwise hold a connection and its memory for as long as the
//! client likes; the body gets a total deadline and an idle deadline, and running past either
//! answers 408.

use std::future::{Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::EitherBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::http::uri::{PathAndQuery, Uri};
use actix_web::rt::time::{Instant, Sleep, sleep};
use actix_web::web::Bytes;
use actix_web::{HttpMessage, ResponseError};
use futures_util::Stream;
use futures_util::future::{Either, LocalBoxFuture};

use crate::config::BodyDeadlines;
use crate::error::AppError;

/// The middleware (see the module documentation).
pub struct Edge(pub BodyDeadlines);

impl<S, B> Transform<S, ServiceRequest> for Edge
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = EdgeService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(EdgeService {
            service: Rc::new(service),
            deadlines: self.0,
        }))
    }
}

pub struct EdgeService<S> {
    service: Rc<S>,
    deadlines: BodyDeadlines,
}

type EdgeFuture<F, B> = Either<
    futures_util::future::MapOk<F, fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>>,
    LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, actix_web::Error>>,
>;

impl<S, B> Service<ServiceRequest> for EdgeService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = EdgeFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        use futures_util::TryFutureExt;
        if has_control_escape(req.path()) {
            let res = req.into_response(AppError::NotFound.error_response());
            return Either::Right(Box::pin(async move {
                Ok(res.map_into_boxed_body().map_into_right_body())
            }));
        }
        if has_control_escape(req.query_string()) {
            blank_query_controls(&mut req);
        }
        if has_body(&req) {
            let inner = req.take_payload();
            let mut deadlines = self.deadlines;
            if is_upload(&req) {
                deadlines.total = deadlines.upload;
            }
            let watched = Watched::new(inner, deadlines);
            let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
                Box::pin(watched);
            req.set_payload(Payload::from(stream));
        }
        let left: fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> =
            ServiceResponse::map_into_left_body;
        Either::Left(self.service.call(req).map_ok(left))
    }
}

/// A file upload to the media library (the only place that takes files: its screen and the
/// API's `POST /api/v1/media`).
fn is_upload(req: &ServiceRequest) -> bool {
    (req.path().starts_with("/admin/media") || req.path() == "/api/v1/media")
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"))
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// Whether a raw (still percent-encoded) path or query holds an escaped control character
/// (`%00`–`%1F`, `%7F`). The request line cannot carry one unescaped: it would not parse.
fn has_control_escape(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    (0..bytes.len()).any(|i| escaped_control_at(bytes, i))
}

/// Whether `bytes[i..]` starts with `%` and two hex digits that spell a control character.
fn escaped_control_at(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i..i + 3) {
        Some([b'%', hi, lo]) if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() => {
            let value = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
            let v = value(*hi) * 16 + value(*lo);
            v < 0x20 || v == 0x7f
        }
        _ => false,
    }
}

/// Rewrites the query string with each escaped control character as an escaped space, keeping
/// the rest of the URI (an HTTP/2 request carries its authority there).
fn blank_query_controls(req: &mut ServiceRequest) {
    let head = req.head_mut();
    let query = head.uri.query().unwrap_or("").as_bytes();
    let mut clean = Vec::with_capacity(query.len());
    let mut i = 0;
    while i < query.len() {
        if escaped_control_at(query, i) {
            clean.extend_from_slice(b"%20");
            i += 3;
        } else {
            clean.push(query[i]);
            i += 1;
        }
    }
    let path_and_query = [head.uri.path().as_bytes(), b"?", &clean].concat();
    let mut parts = head.uri.clone().into_parts();
    parts.path_and_query = PathAndQuery::try_from(path_and_query).ok();
    match Uri::from_parts(parts) {
        Ok(uri) => head.uri = uri,
        Err(e) => log::debug!("query with control characters kept as sent: {e}"),
    }
}

/// A request body with its two deadlines: the total one counts from the request's arrival, the
/// idle one from the moment the app first asks for the body (it may wait for a session or a
/// connection first) and again after every chunk.
struct Watched {
    inner: Payload,
    idle: Duration,
    idle_timer: Option<Pin<Box<Sleep>>>,
    total_timer: Pin<Box<Sleep>>,
}

impl Watched {
    fn new(inner: Payload, deadlines: BodyDeadlines) -> Watched {
        Watched {
            inner,
            idle: deadlines.idle,
            idle_timer: None,
            total_timer: Box::pin(sleep(deadlines.total)),
        }
    }
}

/// The error a body that ran past its deadline ends with; the form readers answer it with 408.
pub fn timed_out() -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the request body stopped arriving",
    ))
}

impl Stream for Watched {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let idle = this.idle;
        let idle_timer = this.idle_timer.get_or_insert_with(|| Box::pin(sleep(idle)));
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                idle_timer.as_mut().reset(Instant::now() + idle);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let late = this.total_timer.as_mut().poll(cx).is_ready()
                    || idle_timer.as_mut().poll(cx).is_ready();
                if late {
                    Poll::Ready(Some(Err(timed_out())))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_control_escape;

    #[test]
    fn escaped_control_characters_are_found() {
        for bad in [
            "/%00",
            "/glossary/slug%00",
            "/a%1f",
            "/a%7F",
            "q=%00",
            "q=a%09b",
            "q=a%0",
        ] {
            assert_eq!(has_control_escape(bad), !bad.ends_with("%0"), "{bad:?}");
        }
        for good in [
            "/glossary/slug",
            "/caf%C3%A9",
            "q=100%25",
            "q=%",
            "/%2",
            "q=50%+1",
            "/a%+f",
        ] {
            assert!(!has_control_escape(good), "{good:?}");
        }
    }
}
