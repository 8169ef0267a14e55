//! Saving pages: validation, paths (moves take their descendants along and leave redirects),
//! Markdown rendered and sanitised here, once, revisions, links, deletion, and re-rendering pages
//! stored by an older renderer.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::content::checks::validate;
use crate::content::derived::Derived;
use crate::content::pages::{Page, PageInput, Status, find};
use crate::content::{announce, redirects, revisions};
use crate::db::DbConnection;
use crate::db::schema::pages;
use crate::markdown::RENDERER_VERSION;
use crate::media::library as media_library;
use crate::snapshot::version::bump_content_version;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("invalid page: {0}")]
    Invalid(FieldErrors),
    /// Someone saved the page since the editor opened it.
    #[error("the page was changed by someone else (now at version {current_version})")]
    Conflict { current_version: i32 },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<SaveError> for crate::error::AppError {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::Invalid(errors) => crate::error::AppError::Invalid(errors),
            SaveError::Conflict { current_version } => {
                crate::error::AppError::Conflict(current_version)
            }
            SaveError::Database(e) => e.into(),
        }
    }
}

fn trunc_subsecs(t: NaiveDateTime) -> NaiveDateTime {
    chrono::SubsecRound::trunc_subsecs(t, 6)
}

/// A page's path: under its parent's, or at the top.
pub fn join_path(parent_path: Option<&str>, slug: &str) -> String {
    match parent_path {
        Some(p) if !p.is_empty() => format!("{p}/{slug}"),
        _ => slug.to_owned(),
    }
}

/// When a published page went (or goes) live: keep its first publication time.
fn effective_publish_at(
    input: &PageInput,
    existing: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    match input.status {
        Status::Published => Some(
            input
                .publish_at
                .filter(|t| *t <= now)
                .or(existing.filter(|t| *t <= now))
                .unwrap_or(now),
        ),
        Status::Scheduled | Status::Draft => input.publish_at,
    }
    .map(trunc_subsecs)
}

// A `None` is written as NULL (what those columns default to), not as DEFAULT: the statement's
// text is then the same for every page, and PostgreSQL keeps it prepared rather than parsing
// and planning it again each time.
#[derive(Insertable)]
#[diesel(table_name = pages, treat_none_as_default_value = false)]
struct NewPage<'a> {
    parent_id: Option<i32>,
    slug: &'a str,
    path: &'a str,
    title: &'a str,
    summary: &'a str,
    seo_title: Option<&'a str>,
    body_md: &'a str,
    body_html: &'a str,
    toc_html: &'a str,
    faq_json: &'a str,
    renderer_version: i32,
    status: &'a str,
    publish_at: Option<NaiveDateTime>,
    nav_order: i32,
    in_nav: bool,
    version: i32,
    author_id: Option<i32>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    search_title: &'a str,
    search_body: &'a str,
    body_text: &'a str,
    related_pins: &'a str,
    image_id: Option<i32>,
    image_json: &'a str,
    unpublish_at: Option<NaiveDateTime>,
    owner_id: Option<i32>,
}

fn clean_seo_title(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The page's derived data made again, inside the writing transaction, when a file it shows
/// changed since it was made (rare: a replace racing a save).
fn derive_again_if_stale(
    conn: &mut DbConnection,
    first: &Derived,
    input: &PageInput,
) -> QueryResult<Option<Derived>> {
    if first.still_current(conn)? {
        return Ok(None);
    }
    made_or_make(conn, input, None).map(Some)
}

/// Whether a save is the whole change, or one page of an import's batch.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In a transaction of its own (a savepoint inside another), the other pages' backlinks and
    /// its related pages derived now.
    Alone,
    /// Written straight into the caller's transaction, which must roll back as a whole on a
    /// database error (a savepoint a page made SQLite's full-text index flush after each one);
    /// backlinks and related pages derived later, for the whole site at once
    /// (`links::rebuild_derived`), and the content version bumped once by the caller. A
    /// refused save (invalid, conflicting) writes nothing.
    InBatch,
}

impl Mode {
    /// Marks the content changed, for a save of its own (a batch marks it once).
    fn bump_content_version(self, conn: &mut DbConnection) -> QueryResult<()> {
        match self {
            Mode::Alone => bump_content_version(conn),
            Mode::InBatch => Ok(()),
        }
    }

    /// Runs `f`'s writes as the mode says: in a transaction (or savepoint) of their own, or
    /// straight into the caller's.
    pub fn run<T, E: From<diesel::result::Error>>(
        self,
        conn: &mut DbConnection,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            Mode::Alone => crate::db::write(conn, f),
            Mode::InBatch => f(conn),
        }
    }
}

/// The page's derived form: the one made already (an import's batch), else made now.
fn made_or_make(
    conn: &mut DbConnection,
    input: &PageInput,
    derived: Option<Derived>,
) -> QueryResult<Derived> {
    match derived {
        Some(d) => Ok(d),
        None => Derived::of(conn, input.title.trim(), &input.body_md, input.image_id),
    }
}

/// Creates a page; Markdown is rendered here, once. Records the first revision.
pub fn create(
    conn: &mut DbConnection,
    input: &PageInput,
    author_id: Option<i32>,
    note: &str,
    now: NaiveDateTime,
) -> Result<Page, SaveError> {
    create_with(conn, input, author_id, note, now, Mode::Alone, None)
}

/// `create` as `mode` says, from the page's `derived` form when it was made already (an import
/// renders its batch on all cores).
pub fn create_with(
    conn: &mut DbConnection,
    input: &PageInput,
    author_id: Option<i32>,
    note: &str,
    now: NaiveDateTime,
    mode: Mode,
    derived: Option<Derived>,
) -> Result<Page, SaveError> {
    let first = made_or_make(conn, input, derived)?;
    mode.run(conn, |conn| {
        let again = derive_again_if_stale(conn, &first, input)?;
        let derived = again.as_ref().unwrap_or(&first);
        let path = validate(conn, input, None, derived)?;
        let Derived {
            rendered,
            text,
            faq_json,
            ..
        } = derived;
        let row = NewPage {
            parent_id: input.parent_id,
            slug: &input.slug,
            path: &path,
            title: input.title.trim(),
            summary: input.summary.trim(),
            seo_title: clean_seo_title(&input.seo_title),
            body_md: &input.body_md,
            body_html: rendered.html.as_str(),
            toc_html: rendered.toc.as_str(),
            faq_json,
            renderer_version: RENDERER_VERSION,
            status: input.status.as_str(),
            publish_at: effective_publish_at(input, None, now),
            nav_order: input.nav_order,
            in_nav: input.in_nav,
            version: 1,
            author_id,
            created_at: now,
            updated_at: now,
            search_title: &text.title,
            search_body: &text.body,
            body_text: &text.plain,
            related_pins: &normalise_pins(&input.related_pins),
            image_id: input.image_id,
            image_json: &derived.image_json,
            unpublish_at: input.unpublish_at.map(trunc_subsecs),
            owner_id: author_id,
        };
        // The stored row back from the insert itself, not read again by path.
        let page: Page = crate::with_backend!(conn, |c| diesel::insert_into(pages::table)
            .values(&row)
            .returning(Page::as_returning())
            .get_result(c))?;
        media_library::add_usages(conn, page.id, &derived.media)?;
        redirects::remove_from(conn, &path)?;
        let affected = crate::content::links::insert(conn, page.id, &rendered.links)?;
        derive_links(conn, &page, affected, std::slice::from_ref(&path), mode)?;
        revisions::record(conn, &page, author_id, note, now)?;
        mode.bump_content_version(conn)?;
        announce::save(conn, None, &page, &[], now)?;
        Ok(page)
    })
}

/// Updates a page and records a revision. `expected_version` is the version the editor started
/// from: if someone saved since, the save is refused. A new path (slug or parent changed) moves
/// the descendants along and leaves 301 redirects at every old path.
pub fn update(
    conn: &mut DbConnection,
    id: i32,
    input: &PageInput,
    expected_version: Option<i32>,
    author_id: Option<i32>,
    note: &str,
    now: NaiveDateTime,
) -> Result<Page, SaveError> {
    update_with(
        conn,
        id,
        input,
        expected_version,
        author_id,
        note,
        now,
        Mode::Alone,
        None,
    )
}

/// `update` as `mode` says, from `derived` when made already.
#[allow(clippy::too_many_arguments)]
pub fn update_with(
    conn: &mut DbConnection,
    id: i32,
    input: &PageInput,
    expected_version: Option<i32>,
    author_id: Option<i32>,
    note: &str,
    now: NaiveDateTime,
    mode: Mode,
    derived: Option<Derived>,
) -> Result<Page, SaveError> {
    let first = made_or_make(conn, input, derived)?;
    mode.run(conn, |conn| {
        let again = derive_again_if_stale(conn, &first, input)?;
        let derived = again.as_ref().unwrap_or(&first);
        let existing = find(conn, id)?;
        if existing.in_trash() {
            let mut errors = FieldErrors::default();
            errors.add(
                "title",
                "This page is in the trash: restore it from the trash to change it.",
            );
            return Err(SaveError::Invalid(errors));
        }
        if expected_version.is_some_and(|v| v != existing.version) {
            return Err(SaveError::Conflict {
                current_version: existing.version,
            });
        }
        let path = validate(conn, input, Some(id), derived)?;
        let goes_live = existing.status() == Status::Draft && input.status != Status::Draft;
        let Derived {
            rendered,
            text,
            faq_json,
            ..
        } = derived;
        diesel::update(pages::table.find(id))
            .set((
                pages::parent_id.eq(input.parent_id),
                pages::slug.eq(&input.slug),
                pages::path.eq(&path),
                pages::title.eq(input.title.trim()),
                pages::summary.eq(input.summary.trim()),
                pages::seo_title.eq(clean_seo_title(&input.seo_title)),
                pages::body_md.eq(&input.body_md),
                pages::body_html.eq(rendered.html.as_str()),
                pages::toc_html.eq(rendered.toc.as_str()),
                pages::faq_json.eq(faq_json),
                pages::renderer_version.eq(RENDERER_VERSION),
                pages::status.eq(input.status.as_str()),
                pages::publish_at.eq(effective_publish_at(input, existing.publish_at, now)),
                pages::nav_order.eq(input.nav_order),
                pages::in_nav.eq(input.in_nav),
                pages::related_pins.eq(normalise_pins(&input.related_pins)),
                pages::image_id.eq(input.image_id),
                pages::unpublish_at.eq(input.unpublish_at.map(trunc_subsecs)),
                pages::image_json.eq(&derived.image_json),
                pages::version.eq(existing.version + 1),
                pages::author_id.eq(author_id.or(existing.author_id)),
                pages::updated_at.eq(now),
                pages::search_title.eq(&text.title),
                pages::search_body.eq(&text.body),
                pages::body_text.eq(&text.plain),
            ))
            .execute(conn)?;
        if goes_live {
            // A draft that goes live has had its review.
            crate::content::review::close(conn, id)?;
        }
        let mut moved_to = Vec::new();
        if path != existing.path {
            let mut moves = move_descendants(conn, &existing.path, &path)?;
            moves.push((existing.path.clone(), path.clone()));
            for (old, new) in moves {
                redirects::add(conn, &old, &new, now)?;
                moved_to.push(new);
            }
        }
        let page = find(conn, id)?;
        media_library::record_usages(conn, page.id, &derived.media)?;
        let affected = crate::content::links::record(conn, page.id, &rendered.links)?;
        derive_links(conn, &page, affected, &moved_to, mode)?;
        revisions::record(conn, &page, author_id, note, now)?;
        mode.bump_content_version(conn)?;
        announce::save(conn, Some(&existing), &page, &moved_to, now)?;
        Ok(page)
    })
}

/// Pinned related paths, normalised: one site path per line, without slashes at the ends.
pub fn normalise_pins(pins: &str) -> String {
    let mut paths: Vec<String> = pins
        .lines()
        .filter_map(|l| {
            crate::markdown::internal_path(&format!("/{}", l.trim().trim_start_matches('/')))
        })
        .filter(|p| !p.is_empty())
        .collect();
    paths.dedup();
    paths.truncate(10);
    paths.join("\n")
}

/// After a save whose links are stored (`affected`: the paths whose backlinks may have changed):
/// the backlinks of those and of `new_paths` (pages that just arrived at an address), and the
/// page's related pages; an import's batch derives them later, for the whole site.
fn derive_links(
    conn: &mut DbConnection,
    page: &Page,
    mut affected: Vec<String>,
    new_paths: &[String],
    mode: Mode,
) -> QueryResult<()> {
    if mode == Mode::InBatch {
        return Ok(());
    }
    affected.extend(new_paths.iter().cloned());
    crate::content::links::refresh_backlinks(conn, &affected)?;
    crate::content::links::refresh_related(conn, page.id, &page.title)
}

/// Rewrites the paths under `old` to live under `new`; returns each (old, new) pair.
fn move_descendants(
    conn: &mut DbConnection,
    old: &str,
    new: &str,
) -> QueryResult<Vec<(String, String)>> {
    let prefix = format!("{old}/");
    let rows: Vec<(i32, String)> = pages::table
        .filter(
            pages::path
                .like(format!("{}%", crate::db::escape_like(&prefix)))
                .escape('\\'),
        )
        .select((pages::id, pages::path))
        .load(conn)?;
    let mut moves = Vec::with_capacity(rows.len());
    for (id, path) in rows {
        let moved = format!("{new}/{}", &path[prefix.len()..]);
        diesel::update(pages::table.find(id))
            .set(pages::path.eq(&moved))
            .execute(conn)?;
        moves.push((path, moved));
    }
    Ok(moves)
}
