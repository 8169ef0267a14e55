//! Public pages as HTTP sees them: validators (ETag, Last-Modified), conditional requests (304),
//! and an in-process cache of rendered pages.
//!
//! The cache keeps each page gzip-compressed only, as Varnish does: browsers and crawlers all
//! accept gzip and get the stored bytes as they are, a page takes a third of the memory (so three
//! times as many fit), and the rare client that does not accept gzip gets the page inflated.
//!
//! An entry is valid for one `Stamp`: the site's content version (bumped by every content or
//! settings write, on any instance) and the schedule epoch (moves when a scheduled page goes
//! live). When the stamp moves, the whole cache is dropped: no write can leave a stale page behind,
//! and a draft is never served because only visible pages are ever stored.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::sync::{Arc, RwLock};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::stamp::Stamp;

/// Browsers keep pages but revalidate each time (a 304 when nothing changed), so an editor
/// never sees a stale page after saving.
pub const HTML_CACHE_CONTROL: &str = "public, no-cache";

/// What a client may hold of a page: its ETag and Last-Modified. Known before rendering (from the
/// in-memory tree), so a conditional request is answered without a query or a render. Any content
/// write moves the content version, so the ETag changes whenever anything on the page may have.
/// Kept as header values: a cached page sends them without formatting anything.
pub struct Validators {
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
}

impl Validators {
    pub fn new(stamp: Stamp, page_id: i32, updated_at: NaiveDateTime) -> Validators {
        let etag = format!(
            "\"p{page_id}-{}-{}\"",
            stamp.content_version, stamp.schedule_epoch
        );
        let seconds = u64::try_from(updated_at.and_utc().timestamp()).unwrap_or(0);
        let modified = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
        Validators {
            // Digits, quotes and a dash, and an HTTP date: always valid header values.
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"p\"")),
            last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(modified))
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
        }
    }
}

/// A rendered page, gzip-compressed.
pub struct Entry {
    pub validators: Validators,
    gzip: Bytes,
}

impl Entry {
    pub fn new(html: &str, validators: Validators) -> Entry {
        Entry {
            validators,
            gzip: gzip(html.as_bytes()),
        }
    }

    fn plain(&self) -> std::io::Result<Bytes> {
        let mut html = Vec::with_capacity(self.gzip.len() * 4);
        GzDecoder::new(&self.gzip[..]).read_to_end(&mut html)?;
        Ok(Bytes::from(html))
    }

    fn size(&self) -> usize {
        self.gzip.len() + self.validators.etag.len() + self.validators.last_modified.len() + 128
    }
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut gz = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(bytes);
    let mut out = gz.finish().unwrap_or_default();
    // `Bytes` keeps a Vec's spare capacity: up to as much again as the page, which the cache's
    // budget would not see.
    out.shrink_to_fit();
    Bytes::from(out)
}

struct Inner {
    stamp: Option<Stamp>,
    entries: HashMap<String, Arc<Entry>>,
    /// The keys, for picking one to evict when over budget.
    order: VecDeque<String>,
    bytes: usize,
}

pub struct PageCache {
    budget: usize,
    inner: RwLock<Inner>,
}

impl PageCache {
    /// A cache holding at most `budget` bytes; 0 disables it.
    pub fn new(budget: usize) -> PageCache {
        PageCache {
            budget,
            inner: RwLock::new(Inner {
                stamp: None,
                entries: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    pub fn get(&self, key: &str, stamp: Stamp) -> Option<Arc<Entry>> {
        if !self.enabled() {
            return None;
        }
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if inner.stamp != Some(stamp) {
            return None;
        }
        inner.entries.get(key).cloned()
    }

    pub fn put(&self, key: &str, stamp: Stamp, entry: Arc<Entry>) {
        let size = entry.size();
        if !self.enabled() || size > self.budget {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.stamp != Some(stamp) {
            inner.entries.clear();
            inner.order.clear();
            inner.bytes = 0;
            inner.stamp = Some(stamp);
        }
        if let Some(old) = inner.entries.insert(key.to_owned(), entry) {
            inner.bytes -= old.size();
        } else {
            inner.order.push_back(key.to_owned());
        }
        inner.bytes += size;
        // Evict at random rather than the oldest: a crawler or a load test that walks more pages
        // than fit in a loop would otherwise miss every time (random keeps ~budget/set of hits).
        // The page just stored (at the back) stays.
        while inner.bytes > self.budget && inner.order.len() > 1 {
            let victim = rand::random_range(0..inner.order.len() - 1);
            let Some(key) = inner.order.swap_remove_back(victim) else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&key) {
                inner.bytes -= gone.size();
            }
        }
    }

    /// Bytes held now (for tests and the benchmark).
    pub fn bytes(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).bytes
    }

    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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
        return page(entry.gzip.clone(), true, v);
    }
    match entry.plain() {
        Ok(html) => page(html, false, v),
        Err(e) => {
            log::error!("a cached page does not inflate: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

impl PageCache {
    /// The response for a page just rendered: kept (compressed) when the cache is on, and sent
    /// compressed to clients that accept it.
    pub fn store_and_respond(
        &self,
        req: &HttpRequest,
        key: &str,
        stamp: Stamp,
        html: String,
        validators: Validators,
    ) -> HttpResponse {
        let gzipped = accepts_gzip(req);
        if !self.enabled() {
            let body = if gzipped {
                gzip(html.as_bytes())
            } else {
                Bytes::from(html)
            };
            return page(body, gzipped, &validators);
        }
        let entry = Arc::new(Entry::new(&html, validators));
        self.put(key, stamp, Arc::clone(&entry));
        let body = if gzipped {
            entry.gzip.clone()
        } else {
            Bytes::from(html)
        };
        page(body, gzipped, &entry.validators)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Arc<Entry> {
        let t = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        let stamp = Stamp {
            content_version: 1,
            schedule_epoch: 0,
        };
        // Scrambled letters (the same each time), which gzip cannot squeeze to nothing.
        let text: String = (0..n)
            .map(|i| char::from(b'a' + ((i * 7919 + i / 26 * 31) % 26) as u8))
            .collect();
        Arc::new(Entry::new(&text, Validators::new(stamp, 1, t)))
    }

    #[test]
    fn bounded_and_dropped_when_the_stamp_moves() {
        let s1 = Stamp {
            content_version: 1,
            schedule_epoch: 0,
        };
        let cache = PageCache::new(3 * entry(1000).size());
        for i in 0..10 {
            cache.put(&format!("/p{i}"), s1, entry(1000));
            assert!(cache.bytes() <= 3 * entry(1000).size());
        }
        assert_eq!(cache.len(), 3, "others evicted");
        assert!(cache.get("/p9", s1).is_some(), "the newest page stays");
        let s2 = Stamp {
            content_version: 2,
            schedule_epoch: 0,
        };
        assert!(
            cache.get("/p9", s2).is_none(),
            "a new content version misses"
        );
        cache.put("/p1", s2, entry(10));
        assert_eq!(cache.len(), 1, "and drops the rest");
        let off = PageCache::new(0);
        off.put("/x", s1, entry(10));
        assert!(off.get("/x", s1).is_none());
    }
}
