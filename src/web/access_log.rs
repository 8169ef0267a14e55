//! The request id and the access log. Every response carries `X-Request-Id`: the one a proxy
//! sent, when it is a plain token, else one made here. Each request is logged once, with its
//! route pattern (`/admin/pages/{id}`; `page` for a page view), the path without its query
//! string and with one-time tokens cut out, the status and the time it took: a text line, or
//! the fields of a JSON line (`logging`). `/healthz` and `/readyz` are not logged.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use futures_util::future::LocalBoxFuture;

use crate::logging::{ACCESS, Format};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Whether requests are counted (a Prometheus recorder is installed: `GALLEY_METRICS_BIND`).
pub static METRICS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The middleware (see the module documentation).
pub struct AccessLog {
    pub format: Format,
}

impl<S, B> Transform<S, ServiceRequest> for AccessLog
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = AccessLogService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AccessLogService {
            service: Rc::new(service),
            format: self.format,
            // The logger formats nothing when the level hides the access log: neither do we.
            enabled: log::log_enabled!(target: ACCESS, log::Level::Info),
        }))
    }
}

pub struct AccessLogService<S> {
    service: Rc<S>,
    format: Format,
    enabled: bool,
}

/// A proxy's request id is kept when it is a plain token of sensible length.
fn plain_token(value: &HeaderValue) -> Option<&str> {
    let s = value.to_str().ok()?;
    let plain = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then_some(s)
}

/// A new id: this process's random prefix and a counter (unique across instances, and cheap).
fn new_id() -> Arc<str> {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| crate::tokens::random_token().chars().take(10).collect());
    format!("{prefix}-{:x}", NEXT.fetch_add(1, Ordering::Relaxed)).into()
}

/// The path as the access log shows it: without the query string, and with one-time tokens
/// (password links) cut out, so no secret reaches the logs.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/account/set-password/") {
        Some(_) => "/account/set-password/[token]".to_owned(),
        None => path.to_owned(),
    }
}

impl<S, B> Service<ServiceRequest> for AccessLogService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<ServiceResponse<B>, actix_web::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let id = match req.headers().get(&X_REQUEST_ID).and_then(plain_token) {
            Some(given) => Arc::from(given),
            None => new_id(),
        };
        let probe = matches!(req.path(), "/healthz" | "/readyz");
        let measured = METRICS.load(Ordering::Relaxed) && !probe;
        let logged = (self.enabled && !probe).then(|| {
            let client = req
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            (req.method().to_string(), loggable_path(req.path()), client)
        });
        let (start, format) = (Instant::now(), self.format);
        let fut = self.service.call(req);
        Box::pin(async move {
            let mut res = fut.await?;
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(X_REQUEST_ID, value);
            }
            if logged.is_none() && !measured {
                return Ok(res);
            }
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "page".to_owned());
            let status = res.status().as_u16();
            let elapsed = start.elapsed().as_secs_f64();
            if measured {
                // Only the methods there are: any token is a method to actix, and each label
                // value would be a series for ever.
                let method: &'static str = match res.request().method().as_str() {
                    "GET" => "GET",
                    "HEAD" => "HEAD",
                    "POST" => "POST",
                    "PUT" => "PUT",
                    "PATCH" => "PATCH",
                    "DELETE" => "DELETE",
                    "OPTIONS" => "OPTIONS",
                    _ => "other",
                };
                metrics::counter!(
                    "galley_http_requests_total",
                    "method" => method,
                    "route" => route.clone(),
                    "status" => status.to_string()
                )
                .increment(1);
                metrics::histogram!("galley_http_request_duration_seconds", "route" => route.clone())
                    .record(elapsed);
            }
            if let Some((method, path, client)) = logged {
                let ms = elapsed * 1000.0;
                match format {
                    Format::Text => log::info!(
                        target: ACCESS,
                        "{client} \"{method} {path}\" {status} {ms:.3}ms route={route} id={id}"
                    ),
                    Format::Json => log::info!(
                        target: ACCESS,
                        "{}",
                        serde_json::json!({
                            "request_id": &*id,
                            "method": method,
                            "route": route,
                            "path": path,
                            "status": status,
                            "duration_ms": (ms * 1000.0).round() / 1000.0,
                            "client": client,
                        })
                    ),
                }
            }
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_tokens_never_reach_the_log() {
        assert_eq!(
            loggable_path("/account/set-password/abc123secret"),
            "/account/set-password/[token]"
        );
        assert_eq!(loggable_path("/glossary/slug"), "/glossary/slug");
    }

    #[test]
    fn a_proxys_id_is_kept_only_when_plain() {
        assert_eq!(
            plain_token(&HeaderValue::from_static("abc-123_x.y")),
            Some("abc-123_x.y")
        );
        assert_eq!(plain_token(&HeaderValue::from_static("a b")), None);
        assert_eq!(plain_token(&HeaderValue::from_static("")), None);
        let long = "x".repeat(65);
        assert_eq!(plain_token(&HeaderValue::from_str(&long).unwrap()), None);
        assert_ne!(new_id(), new_id());
    }
}
