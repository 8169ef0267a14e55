//! Renditions: the allow-list of what a URL may ask for (configured widths never wider than the
//! image, fill crops around the focal point, the original; in the image's own format or WebP),
//! the standard ones made after an upload (by `jobs`), making them, and making one on demand,
//! once, under a limit.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use diesel::prelude::*;

use crate::db::schema::{media, rendition_jobs, renditions};
use crate::db::{DbConnection, DbPool};
use crate::media::imaging::{self, Cut, Encoding};
use crate::media::library::Media;
use crate::media::store::BlobStore;

/// The fill crops, by use: social images (Open Graph's 1.91:1), hub cards, library thumbnails.
pub const SOCIAL: (u32, u32) = (1200, 630);
pub const CARD: (u32, u32) = (640, 360);
pub const THUMB: (u32, u32) = (240, 240);
const FILLS: [(u32, u32); 3] = [SOCIAL, CARD, THUMB];
/// The site's icons (favicon, home-screen icons), square, always PNG, made when first asked for.
pub const ICONS: [u32; 4] = [32, 180, 192, 512];

/// Renditions made on demand at one time by one instance.
const ON_DEMAND_LIMIT: usize = 2;

/// What a rendition URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Spec {
    Original,
    Width(u32),
    Fill(u32, u32),
}

impl Spec {
    /// `original`, `w640`, `fill-1200x630`.
    pub fn parse(s: &str) -> Option<Spec> {
        if s == "original" {
            return Some(Spec::Original);
        }
        let number = |t: &str| -> Option<u32> {
            (!t.is_empty()
                && t.len() <= 5
                && t.bytes().all(|b| b.is_ascii_digit())
                && !t.starts_with('0'))
            .then(|| t.parse().ok())
            .flatten()
        };
        if let Some(w) = s.strip_prefix('w') {
            return number(w).map(Spec::Width);
        }
        let (w, h) = s.strip_prefix("fill-")?.split_once('x')?;
        Some(Spec::Fill(number(w)?, number(h)?))
    }

    pub fn name(self) -> String {
        match self {
            Spec::Original => "original".into(),
            Spec::Width(w) => format!("w{w}"),
            Spec::Fill(w, h) => format!("fill-{w}x{h}"),
        }
    }

    fn cut(self) -> Cut {
        match self {
            Spec::Original => Cut::Whole,
            Spec::Width(w) => Cut::Width(w),
            Spec::Fill(w, h) => Cut::Fill(w, h),
        }
    }
}

/// Where the bytes of an allowed URL come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The stored file itself (documents, and an image's original in its own format).
    File,
    /// A rendition, made once.
    Made(Spec, Encoding),
}

/// Whether `spec` in `ext` is one this file offers, and where it comes from.
pub fn allowed(file: &Media, spec: Spec, ext: &str, widths: &[u32]) -> Option<Source> {
    if !file.is_image() {
        return (spec == Spec::Original && ext == file.ext).then_some(Source::File);
    }
    let own = Encoding::from_ext(&file.ext)?;
    if let Spec::Fill(w, h) = spec
        && w == h
        && ICONS.contains(&w)
    {
        return (ext == Encoding::Png.ext()).then_some(Source::Made(spec, Encoding::Png));
    }
    let encoding = Encoding::from_ext(ext).filter(|e| *e == own || *e == Encoding::Webp)?;
    let (width, _) = file.size()?;
    match spec {
        Spec::Original if encoding == own => Some(Source::File),
        Spec::Original => Some(Source::Made(spec, encoding)),
        Spec::Width(w) if widths.contains(&w) && w <= width => Some(Source::Made(spec, encoding)),
        Spec::Fill(w, h) if FILLS.contains(&(w, h)) => Some(Source::Made(spec, encoding)),
        _ => None,
    }
}

/// The widths the current version of each file was queued at, sorted: what its URLs offer and
/// what pages saved with it ask for, even after `GALLEY_MEDIA_WIDTHS` changed. One query.
pub fn queued_widths<'a>(
    conn: &mut DbConnection,
    files: impl IntoIterator<Item = &'a Media>,
) -> QueryResult<HashMap<i32, Vec<u32>>> {
    let versions: HashMap<i32, i32> = files.into_iter().map(|f| (f.id, f.version)).collect();
    let ids: Vec<i32> = versions.keys().copied().collect();
    let queued: Vec<(i32, i32, String)> = rendition_jobs::table
        .filter(rendition_jobs::media_id.eq_any(&ids))
        .filter(rendition_jobs::spec.like("w%"))
        .select((
            rendition_jobs::media_id,
            rendition_jobs::version,
            rendition_jobs::spec,
        ))
        .load(conn)?;
    let mut widths: HashMap<i32, Vec<u32>> = HashMap::new();
    for (id, version, spec) in queued {
        if let Some(Spec::Width(w)) = Spec::parse(&spec)
            && versions.get(&id) == Some(&version)
        {
            widths.entry(id).or_default().push(w);
        }
    }
    for list in widths.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    Ok(widths)
}

/// The widths an image is offered at: the configured ones narrower than it.
pub fn widths_of(file: &Media, widths: &[u32]) -> Vec<u32> {
    let Some((width, _)) = file.size() else {
        return Vec::new();
    };
    widths.iter().copied().filter(|w| *w < width).collect()
}

/// The renditions made for every image after upload. Animated GIFs are shown as uploaded, so
/// only their crops (cards, thumbnails) are made.
pub fn standard(file: &Media, widths: &[u32]) -> Vec<(Spec, Encoding)> {
    let Some(own) = Encoding::from_ext(&file.ext).filter(|_| file.is_image()) else {
        return Vec::new();
    };
    let mut encodings = vec![own];
    if own != Encoding::Webp {
        encodings.push(Encoding::Webp);
    }
    let mut specs: Vec<Spec> = Vec::new();
    if own != Encoding::Gif {
        specs.extend(widths_of(file, widths).into_iter().map(Spec::Width));
        // Pages list the whole image in their srcset unless it is far wider than the widest
        // width (`markup::Picture`): its WebP copy is made too.
        let offered = widths_of(file, widths);
        if own != Encoding::Webp
            && file
                .size()
                .is_some_and(|(w, _)| offered.last().is_none_or(|m| w <= m * 2))
        {
            specs.push(Spec::Original);
        }
    }
    specs.extend(FILLS.iter().map(|&(w, h)| Spec::Fill(w, h)));
    let mut out = Vec::new();
    for spec in specs {
        for &encoding in &encodings {
            if !(spec == Spec::Original && encoding == own) {
                out.push((spec, encoding));
            }
        }
    }
    out
}

/// A rendition as stored.
pub struct Stored {
    pub blob_hash: String,
    pub bytes: Vec<u8>,
}

/// The rendition's bytes if it was made.
pub fn find(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    file: &Media,
    spec: Spec,
    encoding: Encoding,
) -> QueryResult<Option<Stored>> {
    let hash: Option<String> = renditions::table
        .find((file.id, file.version, spec.name(), encoding.ext()))
        .select(renditions::blob_hash)
        .get_result(conn)
        .optional()?;
    let Some(blob_hash) = hash else {
        return Ok(None);
    };
    Ok(store
        .get(conn, &blob_hash)?
        .map(|bytes| Stored { blob_hash, bytes }))
}

/// Makes renditions of one version of a file and stores them (and marks their jobs done), unless
/// the file changed meanwhile. Blocking and CPU-bound; holds `conn` throughout (the worker's).
pub fn make(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    file: &Media,
    wanted: &[(Spec, Encoding)],
    webp_quality: u8,
) -> Result<Vec<Stored>, String> {
    let source = source_of(conn, store, file)?;
    let made = cut_all(&source, file, wanted, webp_quality)?;
    drop(source);
    keep(conn, store, file, wanted, made)
}

fn source_of(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    file: &Media,
) -> Result<Vec<u8>, String> {
    store
        .get(conn, &file.blob_hash)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the file's bytes are missing".to_owned())
}

fn cut_all(
    source: &[u8],
    file: &Media,
    wanted: &[(Spec, Encoding)],
    webp_quality: u8,
) -> Result<Vec<imaging::Encoded>, String> {
    let cuts: Vec<(Cut, Encoding)> = wanted.iter().map(|(s, e)| (s.cut(), *e)).collect();
    imaging::renditions(
        source,
        file.file_type(),
        &cuts,
        (file.focal_x, file.focal_y),
        webp_quality,
    )
}

/// Stores what was made, unless the file changed meanwhile, and marks the jobs done.
fn keep(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    file: &Media,
    wanted: &[(Spec, Encoding)],
    made: Vec<imaging::Encoded>,
) -> Result<Vec<Stored>, String> {
    let stored = crate::db::write(conn, |conn| {
        let now = crate::clock::now();
        let current = media::table
            .find(file.id)
            .select(media::version)
            .get_result::<i32>(conn)
            .optional()?;
        let mut out = Vec::with_capacity(made.len());
        for ((spec, encoding), encoded) in wanted.iter().zip(made) {
            let blob_hash = store.put(conn, &encoded.bytes, now)?;
            if current == Some(file.version) {
                let row = (
                    renditions::media_id.eq(file.id),
                    renditions::version.eq(file.version),
                    renditions::spec.eq(spec.name()),
                    renditions::format.eq(encoding.ext()),
                    renditions::blob_hash.eq(&blob_hash),
                    renditions::width.eq(encoded.width as i32),
                    renditions::height.eq(encoded.height as i32),
                    renditions::created_at.eq(now),
                );
                crate::with_backend!(conn, |c| diesel::insert_into(renditions::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute(c))?;
                diesel::update(
                    rendition_jobs::table
                        .filter(rendition_jobs::media_id.eq(file.id))
                        .filter(rendition_jobs::version.eq(file.version))
                        .filter(rendition_jobs::spec.eq(spec.name()))
                        .filter(rendition_jobs::format.eq(encoding.ext())),
                )
                .set(rendition_jobs::done_at.eq(now))
                .execute(conn)?;
            }
            out.push(Stored {
                blob_hash,
                bytes: encoded.bytes,
            });
        }
        if current != Some(file.version) {
            // Replaced or deleted while this ran: what was made has no use.
            let hashes: Vec<String> = out.iter().map(|s| s.blob_hash.clone()).collect();
            store.forget_unused(conn, &hashes)?;
        }
        Ok::<_, diesel::result::Error>(out)
    })
    .map_err(|e| e.to_string())?;
    Ok(stored)
}

/// One of the `ON_DEMAND_LIMIT` places for making a rendition on demand, given back when dropped
/// (also when the making panics).
struct Slot;

static SLOTS: LazyLock<(Mutex<usize>, std::sync::Condvar)> =
    LazyLock::new(|| (Mutex::new(0), std::sync::Condvar::new()));

impl Slot {
    fn take() -> Slot {
        let (count, freed) = &*SLOTS;
        let mut busy = count.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= ON_DEMAND_LIMIT {
            busy = freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (count, freed) = &*SLOTS;
        *count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// Makes one rendition for a visitor who asked before the background work reached it: once per
/// rendition (others asking meanwhile wait for it), at most `ON_DEMAND_LIMIT` at a time. A pooled
/// connection is held only to read and to store, never while waiting or resizing, so page views
/// keep their connections however many images are being made.
pub fn make_on_demand(
    pool: &DbPool,
    store: &dyn BlobStore,
    file: &Media,
    spec: Spec,
    encoding: Encoding,
    webp_quality: u8,
) -> Result<Stored, String> {
    static BUSY: LazyLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> = LazyLock::new(Default::default);
    let connect = || pool.get().map_err(|e| e.to_string());
    // The source's hash names the rendition across databases in one process (the tests).
    let key = format!("{}/{}.{}", file.blob_hash, spec.name(), encoding.ext());
    let lock = Arc::clone(
        BUSY.lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_default(),
    );
    let _one = lock.lock().unwrap_or_else(|e| e.into_inner());
    let result = (|| {
        let done = {
            let mut conn = connect()?;
            find(&mut conn, store, file, spec, encoding).map_err(|e| e.to_string())?
        };
        if let Some(done) = done {
            return Ok(done);
        }
        let wanted = [(spec, encoding)];
        let made = {
            let _slot = Slot::take();
            let source = {
                let mut conn = connect()?;
                source_of(&mut conn, store, file)?
            };
            cut_all(&source, file, &wanted, webp_quality)?
        };
        let mut conn = connect()?;
        keep(&mut conn, store, file, &wanted, made)?
            .pop()
            .ok_or_else(|| "nothing was made".to_owned())
    })();
    BUSY.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_specs_parse() {
        assert_eq!(Spec::parse("w640"), Some(Spec::Width(640)));
        assert_eq!(Spec::parse("fill-1200x630"), Some(Spec::Fill(1200, 630)));
        assert_eq!(Spec::parse("original"), Some(Spec::Original));
        for bad in [
            "w",
            "w0640",
            "w-1",
            "w99999999",
            "fill-12x",
            "fillx",
            "W640",
            "w640 ",
        ] {
            assert_eq!(Spec::parse(bad), None, "{bad}");
        }
        assert_eq!(Spec::Fill(1200, 630).name(), "fill-1200x630");
    }
}
