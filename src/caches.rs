//! The in-process caches, each valid for one `Stamp`: rendered public pages, hot media files and
//! recent search results. When the stamp moves (any content or settings write on any instance, or a scheduled
//! page going live), a cache drops everything at once: no write can leave a stale entry behind.
//!
//! The page cache keeps each page gzip-compressed only, as Varnish does: browsers and crawlers all
//! accept gzip and get the stored bytes as they are, a page takes a third of the memory (so three
//! times as many fit), and the rare client that does not accept gzip gets the page inflated. A
//! draft is never served from it, because only visible pages are ever stored.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::sync::{Arc, RwLock};

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use chrono::NaiveDateTime;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::stamp::Stamp;

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

    /// The stored bytes, as gzip clients get them.
    pub fn gzip(&self) -> &Bytes {
        &self.gzip
    }

    /// The page inflated, for a client that does not accept gzip.
    pub fn plain(&self) -> std::io::Result<Bytes> {
        let mut html = Vec::with_capacity(self.gzip.len() * 4);
        GzDecoder::new(&self.gzip[..]).read_to_end(&mut html)?;
        Ok(Bytes::from(html))
    }

    fn size(&self) -> usize {
        self.gzip.len() + self.validators.etag.len() + self.validators.last_modified.len() + 128
    }
}

/// `bytes`, gzip-compressed, in a buffer no larger than needed.
pub fn gzip(bytes: &[u8]) -> Bytes {
    let mut gz = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(bytes);
    let mut out = gz.finish().unwrap_or_default();
    // `Bytes` keeps a Vec's spare capacity: up to as much again as the page, which the cache's
    // budget would not see.
    out.shrink_to_fit();
    Bytes::from(out)
}

/// A visitor's answer from the JSON API: its body and the headers that go with it.
pub struct ApiAnswer {
    pub body: Bytes,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Weighed for ApiAnswer {
    fn size(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        self.body.len() + headers + 128
    }
}

/// Visitors' answers from the JSON API, for the current content version.
pub type ApiCache = StampedCache<ApiAnswer>;

/// What a cache needs of an entry: the bytes it holds.
pub trait Weighed {
    fn size(&self) -> usize;
}

impl Weighed for Entry {
    fn size(&self) -> usize {
        Entry::size(self)
    }
}

struct Inner<E> {
    stamp: Option<Stamp>,
    entries: HashMap<String, Arc<E>>,
    /// The keys, for picking one to evict when over budget.
    order: VecDeque<String>,
    bytes: usize,
}

/// A cache of entries by key for one stamp, bounded by bytes.
pub struct StampedCache<E> {
    budget: usize,
    inner: RwLock<Inner<E>>,
    /// Its name in the metrics (`page`, `media`).
    name: &'static str,
}

/// Rendered public pages.
pub type PageCache = StampedCache<Entry>;

impl<E: Weighed> StampedCache<E> {
    /// A cache holding at most `budget` bytes; 0 disables it.
    pub fn new(budget: usize) -> StampedCache<E> {
        StampedCache::named(budget, "page")
    }

    /// `new`, with its name in the metrics.
    pub fn named(budget: usize, name: &'static str) -> StampedCache<E> {
        StampedCache {
            name,
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

    pub fn get(&self, key: &str, stamp: Stamp) -> Option<Arc<E>> {
        if !self.enabled() {
            return None;
        }
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let found = (inner.stamp == Some(stamp))
            .then(|| inner.entries.get(key).cloned())
            .flatten();
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("galley_cache_lookups_total", "cache" => self.name, "outcome" => outcome)
            .increment(1);
        found
    }

    pub fn put(&self, key: &str, stamp: Stamp, entry: Arc<E>) {
        let size = entry.size();
        if !self.enabled() || size > self.budget {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.stamp.is_some_and(|held| held > stamp) {
            // Made by a request that began before the last change: stale already.
            return;
        }
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
        // The entry just stored (at the back) stays.
        while inner.bytes > self.budget && inner.order.len() > 1 {
            let victim = rand::random_range(0..inner.order.len() - 1);
            let Some(key) = inner.order.swap_remove_back(victim) else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&key) {
                inner.bytes -= gone.size();
                metrics::counter!("galley_cache_evictions_total", "cache" => self.name)
                    .increment(1);
            }
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Bytes held now (for tests, the benchmark and the metrics).
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

/// A file as the media library serves it: the bytes and the headers that go with them.
pub struct File {
    pub bytes: Bytes,
    pub etag: HeaderValue,
    pub content_type: &'static str,
    /// `attachment; filename=...` for documents.
    pub disposition: Option<HeaderValue>,
}

impl Weighed for File {
    fn size(&self) -> usize {
        self.bytes.len() + self.etag.len() + 128
    }
}

/// Hot media files (renditions and documents), by URL path.
pub type FileCache = StampedCache<File>;

/// Recent public search results, for the current content version and schedule: visitors repeat
/// the same searches, and a repeated search then costs no query. Bounded by entry count.
pub struct ResultCache {
    inner: RwLock<(Option<Stamp>, Results)>,
}

/// Ranked page ids by query.
type Results = HashMap<String, Arc<Vec<i32>>>;

impl ResultCache {
    pub const MAX_ENTRIES: usize = 1000;

    pub fn new() -> ResultCache {
        ResultCache {
            inner: RwLock::new((None, HashMap::new())),
        }
    }

    pub fn get(&self, key: &str, stamp: Stamp) -> Option<Arc<Vec<i32>>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if inner.0 != Some(stamp) {
            return None;
        }
        inner.1.get(key).cloned()
    }

    pub fn put(&self, key: String, stamp: Stamp, ids: Arc<Vec<i32>>) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.0 != Some(stamp) || inner.1.len() >= Self::MAX_ENTRIES {
            inner.1.clear();
            inner.0 = Some(stamp);
        }
        inner.1.insert(key, ids);
    }
}

impl Default for ResultCache {
    fn default() -> Self {
        ResultCache::new()
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

/// Requests per key (a client address) in fixed one-minute windows: what the JSON API allows
/// each address. Per instance, in memory; a window's counts go with it, and a minute holds at
/// most `MAX_KEYS` addresses (past that, new ones wait for the next minute), so a flood of
/// addresses cannot grow it.
pub struct RateLimiter {
    per_minute: u32,
    windows: std::sync::Mutex<(u64, HashMap<String, u32>)>,
}

/// Addresses one minute of the rate limit keeps count of.
pub const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    /// `per_minute` 0: no limit.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            windows: std::sync::Mutex::new((0, HashMap::new())),
        }
    }

    /// Counts a request from `key` at `unix_seconds`: `Err(seconds)` to wait when over the limit.
    pub fn check(&self, key: &str, unix_seconds: u64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let minute = unix_seconds / 60;
        let mut guard = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let (window, counts) = &mut *guard;
        if *window != minute {
            *window = minute;
            *counts = HashMap::new();
        }
        if counts.len() >= MAX_KEYS && !counts.contains_key(key) {
            return Err(60 - unix_seconds % 60);
        }
        let n = counts.entry(key.to_owned()).or_insert(0);
        if *n >= self.per_minute {
            return Err(60 - unix_seconds % 60);
        }
        *n += 1;
        Ok(())
    }
}

#[cfg(test)]
mod rate_tests {
    use super::RateLimiter;

    #[test]
    fn an_address_over_its_minute_waits_for_the_next() {
        let limiter = RateLimiter::new(2);
        assert_eq!(limiter.check("a", 120), Ok(()));
        assert_eq!(limiter.check("a", 130), Ok(()));
        assert_eq!(limiter.check("a", 135), Err(45));
        assert_eq!(limiter.check("b", 135), Ok(()), "per address");
        assert_eq!(limiter.check("a", 180), Ok(()), "a new minute");
        assert_eq!(RateLimiter::new(0).check("a", 1), Ok(()));
    }
}
