//! The documents of single objects that the read API answers and the webhooks send: a page as
//! editors see it (drafts included), a file with the addresses of its sizes, a contact message.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::shapes::PageDetail;
use crate::contact::submissions::Submission;
use crate::content::pages::Page;
use crate::db::DbConnection;
use crate::db::schema::{pages as pages_table, users};
use crate::media::library::Media;
use crate::media::renditions;

/// The pages above `path` (top first), not in the trash: `(id, title, path)`.
pub fn ancestors(conn: &mut DbConnection, path: &str) -> QueryResult<Vec<(i32, String, String)>> {
    let prefixes: Vec<String> = path
        .match_indices('/')
        .map(|(i, _)| path[..i].to_owned())
        .collect();
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<(i32, String, String)> = pages_table::table
        .filter(pages_table::path.eq_any(prefixes))
        .filter(pages_table::trash_id.is_null())
        .select((pages_table::id, pages_table::title, pages_table::path))
        .load(conn)?;
    rows.sort_by_key(|r| r.2.len());
    Ok(rows)
}

/// The ids of the pages under `page_id` (drafts included, not the trash), in the navigation's
/// order.
pub fn children(conn: &mut DbConnection, page_id: i32) -> QueryResult<Vec<i32>> {
    let mut rows: Vec<(i32, i32, String)> = pages_table::table
        .filter(pages_table::parent_id.eq(page_id))
        .filter(pages_table::trash_id.is_null())
        .select((pages_table::id, pages_table::nav_order, pages_table::title))
        .load(conn)?;
    rows.sort_by_key(|(id, order, title)| (*order, title.to_lowercase(), *id));
    Ok(rows.into_iter().map(|(id, ..)| id).collect())
}

/// `page` as a `pages:read` token reads it.
pub fn page(conn: &mut DbConnection, page: Page, base_url: &str) -> QueryResult<PageDetail> {
    let above = ancestors(conn, &page.path)?;
    let below = children(conn, page.id)?;
    let by = author(conn, &page)?;
    Ok(PageDetail::of(page, &above, below, by, base_url))
}

/// The display name of who made the page (else of who last saved it), if they gave one.
pub fn author(conn: &mut DbConnection, page: &Page) -> QueryResult<Option<String>> {
    let Some(id) = page.owner_id.or(page.author_id) else {
        return Ok(None);
    };
    let name: Option<String> = users::table
        .find(id)
        .select(users::display_name)
        .get_result(conn)
        .optional()?;
    Ok(name.filter(|n| !n.trim().is_empty()))
}

#[derive(Serialize, ToSchema)]
pub struct MediaBody {
    id: i32,
    kind: String,
    mime: String,
    title: String,
    alt: String,
    caption: String,
    credit: String,
    #[schema(required = true)]
    width: Option<i32>,
    #[schema(required = true)]
    height: Option<i32>,
    byte_size: i64,
    url: String,
    renditions: Vec<Rendition>,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct Rendition {
    /// `original`, `w640` (a width), `fill-…` (a crop), as in the address.
    spec: String,
    format: &'static str,
    url: String,
}

/// A file's details and the addresses of its standard sizes.
pub fn media(file: Media, widths: &[u32], base: &str) -> MediaBody {
    let renditions = renditions::standard(&file, widths)
        .into_iter()
        .map(|(spec, encoding)| Rendition {
            url: format!("{base}{}", file.url(&spec.name(), encoding.ext())),
            spec: spec.name(),
            format: encoding.ext(),
        })
        .collect();
    MediaBody {
        url: format!("{base}{}", file.original_url()),
        renditions,
        updated_at: crate::clock::iso(file.updated_at),
        id: file.id,
        kind: file.kind,
        mime: file.mime,
        title: file.title,
        alt: file.alt,
        caption: file.caption,
        credit: file.credit,
        width: file.width,
        height: file.height,
        byte_size: file.byte_size,
    }
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionBody {
    id: i32,
    name: String,
    email: String,
    subject: String,
    message: String,
    status: String,
    created_at: String,
}

/// A contact message as the inbox shows it.
pub fn submission(s: Submission) -> SubmissionBody {
    SubmissionBody {
        id: s.id,
        name: s.name,
        email: s.email,
        subject: s.subject,
        message: s.message,
        status: s.status,
        created_at: crate::clock::iso(s.created_at),
    }
}
