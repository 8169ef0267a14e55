//! The library's records: a file and its addresses, finding and listing files, and which pages
//! use which file (derived when a page is saved).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{media, media_usages, pages};
use crate::db::{DbBackend, DbConnection};
use crate::media::sniff::FileType;
use crate::pagination::{PageNumber, Pagination};

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: i32,
    pub kind: String,
    pub mime: String,
    pub ext: String,
    pub title: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub file_name: String,
    pub name: String,
    pub byte_size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub focal_x: i32,
    pub focal_y: i32,
    pub version: i32,
    pub blob_hash: String,
    pub original_hash: String,
    pub uploader_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Media {
    pub fn file_type(&self) -> FileType {
        FileType::from_ext(&self.ext).unwrap_or(FileType::Zip)
    }

    pub fn is_image(&self) -> bool {
        self.kind == "image"
    }

    /// Width and height, for images.
    pub fn size(&self) -> Option<(u32, u32)> {
        match (self.width, self.height) {
            (Some(w), Some(h)) if w > 0 && h > 0 => Some((w as u32, h as u32)),
            _ => None,
        }
    }

    /// `/media/42-3/w640/garden-bench.webp`.
    pub fn url(&self, spec: &str, ext: &str) -> String {
        format!(
            "/media/{}-{}/{spec}/{}.{ext}",
            self.id, self.version, self.name
        )
    }

    /// The file as visitors get it, full size.
    pub fn original_url(&self) -> String {
        self.url("original", &self.ext)
    }

    /// The Markdown that shows (or links to) this file.
    pub fn markdown(&self) -> String {
        let alt = self.alt.replace(['[', ']'], "");
        if self.is_image() {
            format!("![{alt}](/media/{})", self.id)
        } else {
            let title = self.title.replace(['[', ']'], "");
            format!("[{title}]({})", self.original_url())
        }
    }

    pub fn type_label(&self) -> &'static str {
        self.file_type().label()
    }
}

/// A file of the library (not one in the trash).
pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Media>> {
    media::table
        .find(id)
        .filter(media::trash_id.is_null())
        .select(Media::as_select())
        .get_result(conn)
        .optional()
}

pub fn find_many(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<Media>> {
    media::table
        .filter(media::id.eq_any(ids))
        .filter(media::trash_id.is_null())
        .select(Media::as_select())
        .load(conn)
}

/// A page that shows a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub page_id: i32,
    pub path: String,
    pub title: String,
}

pub fn used_by(conn: &mut DbConnection, id: i32) -> QueryResult<Vec<Usage>> {
    used_by_as(conn, id, None)
}

/// `used_by` as an author (`Some(their id)`) may see it: published pages and their own drafts.
pub fn used_by_as(
    conn: &mut DbConnection,
    id: i32,
    author: Option<i32>,
) -> QueryResult<Vec<Usage>> {
    let mut query = media_usages::table
        .inner_join(pages::table)
        .filter(media_usages::media_id.eq(id))
        .filter(pages::trash_id.is_null())
        .into_boxed();
    if let Some(me) = author {
        query = query.filter(pages::status.ne("draft").or(pages::owner_id.eq(me)));
    }
    Ok(query
        .order(pages::title.asc())
        .select((pages::id, pages::path, pages::title))
        .load::<(i32, String, String)>(conn)?
        .into_iter()
        .map(|(page_id, path, title)| Usage {
            page_id,
            path,
            title,
        })
        .collect())
}

/// Replaces the files a page uses (derived when the page is saved).
pub fn record_usages(conn: &mut DbConnection, page_id: i32, ids: &[i32]) -> QueryResult<()> {
    diesel::delete(media_usages::table.filter(media_usages::page_id.eq(page_id))).execute(conn)?;
    add_usages(conn, page_id, ids)
}

/// `record_usages` for a page that has none recorded (one just created).
pub fn add_usages(conn: &mut DbConnection, page_id: i32, ids: &[i32]) -> QueryResult<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        diesel::insert_into(media_usages::table)
            .values((
                media_usages::page_id.eq(page_id),
                media_usages::media_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Which files the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindFilter {
    #[default]
    All,
    Images,
    Documents,
}

impl KindFilter {
    pub fn parse(s: &str) -> KindFilter {
        match s {
            "images" | "image" => KindFilter::Images,
            "documents" | "document" => KindFilter::Documents,
            _ => KindFilter::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KindFilter::All => "",
            KindFilter::Images => "images",
            KindFilter::Documents => "documents",
        }
    }
}

pub const PER_PAGE: usize = 48;

/// A page of the library, newest first, matching `q` in the title, alt text or file name.
pub fn list(
    conn: &mut DbConnection,
    q: &str,
    kind: KindFilter,
    page: PageNumber,
) -> QueryResult<(Vec<Media>, usize, Pagination)> {
    let filtered = || {
        let mut query = media::table
            .filter(media::trash_id.is_null())
            .into_boxed::<DbBackend>();
        match kind {
            KindFilter::All => {}
            KindFilter::Images => query = query.filter(media::kind.eq("image")),
            KindFilter::Documents => query = query.filter(media::kind.eq("document")),
        }
        for word in q.split_whitespace().take(8) {
            let pattern = format!("%{}%", crate::db::escape_like(&word.to_lowercase()));
            query = query.filter(
                crate::db::lower(media::title)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(crate::db::lower(media::alt)
                        .like(pattern.clone())
                        .escape('\\'))
                    .or(crate::db::lower(media::file_name)
                        .like(pattern)
                        .escape('\\')),
            );
        }
        query
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let total = usize::try_from(total).unwrap_or(0);
    let pagination = Pagination::new(page, total, PER_PAGE);
    let (offset, limit) = pagination.window();
    let rows = filtered()
        .order((media::created_at.desc(), media::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(Media::as_select())
        .load(conn)?;
    Ok((rows, total, pagination))
}

/// How many files no page uses.
pub fn unused_count(conn: &mut DbConnection) -> QueryResult<i64> {
    let used = media_usages::table.select(media_usages::media_id);
    media::table
        .filter(media::trash_id.is_null())
        .filter(media::id.ne_all(used))
        .count()
        .get_result(conn)
}

/// The newest images, for pickers.
pub fn recent_images(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Media>> {
    media::table
        .filter(media::trash_id.is_null())
        .filter(media::kind.eq("image"))
        .order((media::created_at.desc(), media::id.desc()))
        .limit(limit)
        .select(Media::as_select())
        .load(conn)
}

/// Every file, oldest first (for export and the command line).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Media>> {
    media::table
        .filter(media::trash_id.is_null())
        .order(media::id.asc())
        .select(Media::as_select())
        .load(conn)
}
