//! The back-office views of the media library: the library with its upload form, and a file's
//! page.

use askama::Template;

use crate::media::intake::Details;
use crate::media::library::{KindFilter, Media, Usage};
use crate::media::markup;
use crate::pagination::Pagination;
use crate::validation::FieldErrors;
use crate::web::ctx::Ctx;

/// `1.2 MB`, `340 KB`, `12 bytes`.
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// A file as the library lists it.
pub struct Item {
    pub file: Media,
    pub thumb: Option<String>,
}

impl Item {
    pub fn new(file: Media) -> Item {
        Item {
            thumb: markup::thumb_url(&file),
            file,
        }
    }

    pub fn size(&self) -> String {
        human_size(self.file.byte_size)
    }

    /// `1600 × 1200`, empty for documents.
    pub fn dimensions(&self) -> String {
        self.file
            .size()
            .map(|(w, h)| format!("{w} × {h}"))
            .unwrap_or_default()
    }
}

/// What the upload form keeps when it is sent back with errors.
#[derive(Default)]
pub struct UploadForm {
    pub title: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

#[derive(Template)]
#[template(path = "admin/media/list.html")]
pub struct MediaList {
    pub ctx: Ctx,
    pub items: Vec<Item>,
    pub q: String,
    pub kind: KindFilter,
    pub total: usize,
    pub unused: i64,
    /// Renditions still being made in the background.
    pub pending: i64,
    pub pagination: Pagination,
    /// The list's URL with its filters, ending in `?` or `&`, for pagination links.
    pub base: String,
    pub form: UploadForm,
    pub errors: FieldErrors,
    pub max_upload_mb: u64,
}

impl MediaList {
    pub fn kind_is(&self, k: &str) -> bool {
        self.kind.as_str() == k
    }
}

/// A public address of a file, labelled.
pub struct Address {
    pub label: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "admin/media/show.html")]
pub struct MediaPage {
    pub ctx: Ctx,
    pub item: Item,
    pub details: Details,
    pub errors: FieldErrors,
    /// Full URLs (with the site's origin) of the file and its renditions.
    pub addresses: Vec<Address>,
    pub markdown: String,
    pub preview: Option<String>,
    pub usages: Vec<Usage>,
    /// A delete was refused because these pages use the file.
    pub delete_refused: bool,
    pub is_admin: bool,
    pub max_upload_mb: u64,
}

impl MediaPage {
    pub fn uploaded(&self) -> String {
        crate::clock::human_date(self.item.file.created_at)
    }
}
