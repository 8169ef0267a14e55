//! Visitors' read answers kept for the current content version and schedule (the stamp), like
//! rendered pages: a repeated `GET` without a token is a lookup, not a query and a
//! serialisation. Only answers marked `public` are kept (what every visitor gets alike); a
//! token's answers, writes and problems never are.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};

use crate::caches::{ApiAnswer, ApiCache};
use crate::stamp::Stamp;
use crate::web::conditional::lists_tag;

/// The headers a kept answer carries again (CORS is the edge's, per request).
const KEPT: [header::HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::CACHE_CONTROL,
    header::ETAG,
    header::LINK,
    header::VARY,
];

/// The cache key of a request whose answer may be kept: a visitor's `GET`.
pub fn key(req: &ServiceRequest) -> Option<String> {
    let visitor = !req.headers().contains_key(header::AUTHORIZATION);
    (req.method() == Method::GET && visitor)
        .then(|| format!("{}?{}", req.path(), req.query_string()))
}

/// The kept answer to `key`, or a 304 when the client has it already.
pub fn hit(
    cache: &ApiCache,
    req: &ServiceRequest,
    key: &str,
    stamp: Stamp,
) -> Option<HttpResponse> {
    let answer = cache.get(key, stamp)?;
    let etag = answer
        .headers
        .iter()
        .find(|(n, _)| *n == header::ETAG)
        .and_then(|(_, v)| v.to_str().ok());
    let sent = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let fresh = matches!((etag, sent), (Some(tag), Some(sent)) if lists_tag(sent, tag));
    let mut res = HttpResponse::build(if fresh {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    });
    for (name, value) in &answer.headers {
        if !(fresh && *name == header::CONTENT_TYPE) {
            res.insert_header((name.clone(), value.clone()));
        }
    }
    Some(if fresh {
        res.finish()
    } else {
        res.body(answer.body.clone())
    })
}

/// Whether every visitor would get `res` alike: a 200 marked `public`.
pub fn keepable<B>(res: &ServiceResponse<B>, cache: &ApiCache) -> bool {
    let public = res
        .headers()
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes().starts_with(b"public"));
    res.status() == StatusCode::OK && public && cache.enabled()
}

/// Keeps `res` (`keepable`) under `key`, and gives it back.
pub async fn keep<B: MessageBody + 'static>(
    cache: &ApiCache,
    key: &str,
    stamp: Stamp,
    res: ServiceResponse<B>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (req, res) = res.into_parts();
    let headers: Vec<_> = KEPT
        .iter()
        .filter_map(|n| res.headers().get(n).map(|v| (n.clone(), v.clone())))
        .collect();
    let (head, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("the answer could not be read"))?;
    let answer = Arc::new(ApiAnswer {
        body: body.clone(),
        headers,
    });
    cache.put(key, stamp, answer);
    Ok(ServiceResponse::new(
        req,
        head.set_body(body).map_into_boxed_body(),
    ))
}
