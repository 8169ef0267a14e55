//! Public pages as HTTP sees them: conditional requests (ETag and Last-Modified, 304), and the
//! response for a page from the page cache, gzip as stored or inflated for the rare client that
//! does not accept it.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::caches::{Entry, PageCache, Validators, gzip};
use crate::stamp::Stamp;

/// Browsers keep pages but revalidate each time (a 304 when nothing changed), so an editor
/// never sees a stale page after saving.
pub const HTML_CACHE_CONTROL: &str = "public, no-cache";

fn header(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Whether the client already has this version (If-None-Match wins over If-Modified-Since).
pub fn not_modified(req: &HttpRequest, v: &Validators) -> bool {
    if let Some(tags) = header(req, header::IF_NONE_MATCH) {
        return tags
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/").as_bytes() == v.etag.as_bytes());
    }
    header(req, header::IF_MODIFIED_SINCE)
        .is_some_and(|since| since.as_bytes() == v.last_modified.as_bytes())
}

/// Whether an `If-None-Match` list names `etag`, by weak comparison (RFC 9110: `W/` does not
/// matter).
pub fn lists_tag(tags: &str, etag: &str) -> bool {
    let etag = etag.trim_start_matches("W/");
    tags.split(',')
        .any(|t| t.trim().trim_start_matches("W/") == etag)
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    header(req, header::ACCEPT_ENCODING).is_some_and(|v| {
        v.split(',').any(|part| {
            let mut bits = part.split(';').map(str::trim);
            bits.next()
                .is_some_and(|enc| enc.eq_ignore_ascii_case("gzip"))
                && !bits.any(|p| p.replace(' ', "") == "q=0")
        })
    })
}

fn with_validators(mut res: HttpResponse, v: &Validators) -> HttpResponse {
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(HTML_CACHE_CONTROL),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(header::ETAG, v.etag.clone());
    headers.insert(header::LAST_MODIFIED, v.last_modified.clone());
    res
}

/// 304 Not Modified, with the validators.
pub fn respond_not_modified(v: &Validators) -> HttpResponse {
    with_validators(HttpResponse::NotModified().finish(), v)
}

fn page(body: Bytes, gzipped: bool, v: &Validators) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type("text/html; charset=utf-8");
    if gzipped {
        res.insert_header((header::CONTENT_ENCODING, "gzip"));
    }
    with_validators(res.body(body), v)
}

/// The response for a cached `entry`: 304 when the client's copy is current, else the stored
/// gzip bytes, or the page inflated for a client that does not accept gzip.
pub fn respond(req: &HttpRequest, entry: &Entry) -> HttpResponse {
    let v = &entry.validators;
    if not_modified(req, v) {
        return respond_not_modified(v);
    }
    if accepts_gzip(req) {
        return page(entry.gzip().clone(), true, v);
    }
    match entry.plain() {
        Ok(html) => page(html, false, v),
        Err(e) => {
            log::error!("a cached page does not inflate: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The response for a page just rendered: kept (compressed) in `cache` when it is on, and sent
/// compressed to clients that accept it.
pub fn store_and_respond(
    cache: &PageCache,
    req: &HttpRequest,
    key: &str,
    stamp: Stamp,
    html: String,
    validators: Validators,
) -> HttpResponse {
    let gzipped = accepts_gzip(req);
    if !cache.enabled() {
        let body = if gzipped {
            gzip(html.as_bytes())
        } else {
            Bytes::from(html)
        };
        return page(body, gzipped, &validators);
    }
    let entry = Arc::new(Entry::new(&html, validators));
    cache.put(key, stamp, Arc::clone(&entry));
    let body = if gzipped {
        entry.gzip().clone()
    } else {
        Bytes::from(html)
    };
    page(body, gzipped, &entry.validators)
}
