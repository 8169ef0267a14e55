//! Static assets, embedded in the binary. URLs carry a content hash (`?v=`), so a changed file
//! gets a new URL and every asset can be cached for a year; ETags answer revalidation.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use include_dir::{Dir, include_dir};

static STATIC_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

pub struct Asset {
    pub body: &'static [u8],
    pub hash: String,
    /// `/static/{name}?v={hash}`, made once: every page prints two.
    pub url: String,
    pub content_type: &'static str,
}

static ASSETS: LazyLock<HashMap<String, Asset>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    collect(&STATIC_DIR, &mut map);
    map
});

fn collect(dir: &'static Dir<'static>, map: &mut HashMap<String, Asset>) {
    for file in dir.files() {
        let name = file.path().to_string_lossy().replace('\\', "/");
        let body = file.contents();
        let hash = fnv1a(body);
        map.insert(
            name.clone(),
            Asset {
                body,
                url: format!("/static/{name}?v={hash}"),
                hash,
                content_type: content_type(&name),
            },
        );
    }
    for sub in dir.dirs() {
        collect(sub, map);
    }
}

/// A stable, non-cryptographic content hash: the same bytes give the same URL on every instance.
fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")[..12].to_owned()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The versioned URL of an asset, e.g. `/static/css/site.css?v=3f2a...`.
pub fn url(name: &str) -> Cow<'static, str> {
    match ASSETS.get(name) {
        Some(a) => Cow::Borrowed(&a.url),
        None => Cow::Owned(format!("/static/{name}")),
    }
}

pub async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(asset) = ASSETS.get(name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let etag = format!("\"{}\"", asset.hash);
    let versioned = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("v").cloned())
        .is_some_and(|v| v == asset.hash);
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if matches {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.body)
    };
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    res
}
