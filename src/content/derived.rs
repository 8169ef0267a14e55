//! What saving derives from a page's Markdown, made before the write transaction: the sanitised
//! HTML (its images from the media library as pictures), the table of contents, the links, the
//! FAQ's stored form, the search text and the files the page uses; and re-rendering the pages
//! stored by an older renderer or showing a file that changed.

use diesel::prelude::*;

use crate::content::faq;
use crate::db::DbConnection;
use crate::db::schema::pages;
use crate::markdown::{self, RENDERER_VERSION};
use crate::media::editing::MEDIA_CHANGED;
use crate::media::library as media_library;
use crate::media::markup::{self, Library};
use crate::search;
use crate::snapshot::version::bump_content_version;
use crate::validation::FieldErrors;

/// What a page stores beside its Markdown: the sanitised HTML, its table of contents and links, the
/// FAQ's stored form, the search text, and the files it shows (its images as pictures). Made
/// before the write transaction: SQLite's writers wait while one holds the write lock, and
/// rendering a long page takes a while.
pub struct Derived {
    pub rendered: markdown::Rendered,
    pub text: search::IndexText,
    pub faq_json: String,
    /// The media ids the page uses (text and featured image) that the library has.
    pub media: Vec<i32>,
    /// Ids the text names that the library does not have.
    pub missing: Vec<i32>,
    /// The featured image as pages print it (`markup::Picture`), empty for none.
    pub image_json: String,
    /// The featured image is missing (`Some(false)`) or not an image (`Some(true)`).
    pub bad_image: Option<bool>,
    /// The files named, found, and when each last changed.
    seen: Vec<(i32, chrono::NaiveDateTime)>,
    /// All the files named, found or not.
    named: Vec<i32>,
}

impl Derived {
    pub fn of(
        conn: &mut DbConnection,
        title: &str,
        body_md: &str,
        image_id: Option<i32>,
    ) -> QueryResult<Derived> {
        let (named, library) = library_for(conn, body_md, image_id)?;
        Ok(Derived::with(&library, named, title, body_md, image_id))
    }

    /// Each page's `Derived` handed to `each` in turn (an import's batch), made on a thread of
    /// its own while `each` writes the ones before: the files they show are looked up first,
    /// then rendering and writing overlap. One thread keeps ahead: a page renders in a third of
    /// the time its writes take. Stops at the first error `each` returns.
    pub fn in_turn<E: From<diesel::result::Error>>(
        conn: &mut DbConnection,
        pages: &[(&str, &str, Option<i32>)],
        mut each: impl FnMut(&mut DbConnection, usize, Derived) -> Result<(), E>,
    ) -> Result<(), E> {
        let libraries = pages
            .iter()
            .map(|(_, body, image)| library_for(conn, body, *image))
            .collect::<QueryResult<Vec<_>>>()?;
        std::thread::scope(|scope| {
            // A few pages ahead, not the whole batch held rendered.
            let (made, ready) = std::sync::mpsc::sync_channel(16);
            scope.spawn(move || {
                for ((title, body, image), (named, library)) in pages.iter().zip(libraries) {
                    let derived = Derived::with(&library, named, title, body, *image);
                    if made.send(derived).is_err() {
                        break;
                    }
                }
            });
            for (i, derived) in ready.into_iter().enumerate() {
                each(conn, i, derived)?;
            }
            Ok(())
        })
    }

    /// Rendered with the files of `library` (no database needed).
    fn with(
        library: &Library,
        mut named: Vec<i32>,
        title: &str,
        body_md: &str,
        image_id: Option<i32>,
    ) -> Derived {
        let featured = image_id.and_then(|id| library.picture(id));
        let mut rendered = markdown::render_with(body_md, &|image| {
            library.image_markup(image, featured.is_some())
        });
        // Files are not pages: links to them are usages, not links between pages.
        rendered.links.retain(|l| !l.starts_with("media/"));
        named.sort_unstable();
        named.dedup();
        let (mut media, missing): (Vec<i32>, Vec<i32>) =
            named.into_iter().partition(|id| library.has(*id));
        let bad_image = image_id.and_then(|id| match (library.has(id), library.picture(id)) {
            (_, Some(_)) => None,
            (has, None) => Some(has),
        });
        if let Some(id) = image_id.filter(|id| library.picture(*id).is_some()) {
            media.push(id);
        }
        let faq_json = faq::faq_questions(&rendered.faq);
        Derived {
            text: search::IndexText::new(title, body_md),
            image_json: featured
                .and_then(|p| serde_json::to_string(p).ok())
                .unwrap_or_default(),
            rendered,
            faq_json,
            seen: library.seen(),
            named: {
                let mut all: Vec<i32> = media.iter().chain(&missing).copied().collect();
                all.extend(image_id);
                all.sort_unstable();
                all.dedup();
                all
            },
            media,
            missing,
            bad_image,
        }
    }

    /// Whether the files it was made from are as they were (none replaced, edited or deleted
    /// since): a file changed meanwhile marks its pages for re-rendering, and a save or
    /// re-render made from its old state must not clear that mark. Read in the writing
    /// transaction.
    pub fn still_current(&self, conn: &mut DbConnection) -> QueryResult<bool> {
        use crate::db::schema::media;
        if self.named.is_empty() {
            return Ok(true);
        }
        let mut now: Vec<(i32, chrono::NaiveDateTime)> = media::table
            .filter(media::id.eq_any(&self.named))
            .select((media::id, media::updated_at))
            .load(conn)?;
        now.sort_unstable();
        Ok(now == self.seen)
    }

    /// The save-time errors of files the page names that the library does not have.
    pub fn check_media(&self, image_id: Option<i32>, errors: &mut FieldErrors) {
        if let Some(id) = self.missing.first() {
            let list: Vec<String> = self.missing.iter().map(|i| format!("/media/{i}")).collect();
            errors.add(
                "body",
                format!(
                    "The text shows a file the media library does not have ({}): upload it, or correct the address (file #{id} is missing).",
                    list.join(", ")
                ),
            );
        }
        match (self.bad_image, image_id) {
            (Some(false), Some(id)) => errors.add(
                "image_id",
                format!("There is no image #{id} in the media library."),
            ),
            (Some(true), Some(id)) => errors.add(
                "image_id",
                format!("File #{id} is a document: choose an image."),
            ),
            _ => {}
        }
    }
}

/// The media ids a text names (`/media/…` addresses), and the files the page shows: those and
/// its featured image.
fn library_for(
    conn: &mut DbConnection,
    body_md: &str,
    image_id: Option<i32>,
) -> QueryResult<(Vec<i32>, Library)> {
    // A text without `/media` (even escaped, or as character references) names no file: most
    // pages of an import are not parsed for addresses twice.
    let named: Vec<i32> = if body_md.contains("/media") || body_md.contains('&') {
        markdown::addresses(body_md)
            .iter()
            .filter_map(|a| markup::id_in(a, ""))
            .collect()
    } else {
        Vec::new()
    };
    let ids: Vec<i32> = named.iter().copied().chain(image_id).collect();
    Ok((named, Library::load(conn, &ids)?))
}

/// The text as its page would show it (images from the library included), for the editor's
/// preview.
pub fn render_preview(conn: &mut DbConnection, body_md: &str) -> QueryResult<markdown::Rendered> {
    Derived::of(conn, "", body_md, None).map(|d| d.rendered)
}

/// Re-renders pages stored by an older renderer, so a sanitiser fix reaches old content, and pages
/// whose files changed (`MEDIA_CHANGED`: their image URLs carry the file's version). Returns how
/// many pages were re-rendered.
pub fn rerender_stale(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut total = 0;
    let mut renderer_changed = false;
    loop {
        let batch: Vec<(i32, i32, i32, String, String, Option<i32>)> = pages::table
            .filter(pages::renderer_version.lt(RENDERER_VERSION))
            .select((
                pages::id,
                pages::version,
                pages::renderer_version,
                pages::title,
                pages::body_md,
                pages::image_id,
            ))
            .limit(200)
            .load(conn)?;
        if batch.is_empty() {
            break;
        }
        renderer_changed |= batch.iter().any(|row| row.2 != MEDIA_CHANGED);
        // Rendered before the transaction, so other writers do not wait on the renderer; a page
        // saved in between (another version, or already re-rendered) is left as that save left it.
        let mut rendered = Vec::with_capacity(batch.len());
        for (id, version, _, title, body, image_id) in &batch {
            rendered.push((*id, *version, Derived::of(conn, title, body, *image_id)?));
        }
        let mut updated_in_batch = 0;
        crate::db::write(conn, |conn| {
            for (id, version, derived) in &rendered {
                // A file changed while this rendered: the page stays marked, for the next round.
                if !derived.still_current(conn)? {
                    continue;
                }
                let Derived {
                    rendered: r,
                    text,
                    faq_json,
                    media,
                    image_json,
                    ..
                } = derived;
                let still_stale = pages::table
                    .find(id)
                    .filter(pages::version.eq(version))
                    .filter(pages::renderer_version.lt(RENDERER_VERSION));
                let updated = diesel::update(still_stale)
                    .set((
                        pages::body_html.eq(r.html.as_str()),
                        pages::toc_html.eq(r.toc.as_str()),
                        pages::faq_json.eq(faq_json),
                        pages::renderer_version.eq(RENDERER_VERSION),
                        pages::search_title.eq(&text.title),
                        pages::search_body.eq(&text.body),
                        pages::body_text.eq(&text.plain),
                        pages::image_json.eq(image_json),
                    ))
                    .execute(conn)?;
                if updated > 0 {
                    updated_in_batch += 1;
                    crate::content::links::record(conn, *id, &r.links)?;
                    media_library::record_usages(conn, *id, media)?;
                }
            }
            bump_content_version(conn)
        })?;
        total += updated_in_batch;
        if updated_in_batch == 0 {
            // Everything left changed under us (or was saved meanwhile): leave it for the next
            // change or start rather than loop.
            break;
        }
    }
    // A file's new version changes no links; a new renderer may have.
    if renderer_changed {
        crate::content::links::rebuild_derived(conn)?;
    }
    Ok(total)
}
