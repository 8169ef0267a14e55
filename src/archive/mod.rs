//! The site archive (`galley backup` / `galley restore`): the whole site in one gzip file that
//! moves between SQLite and PostgreSQL. JSON lines: a header (galley and schema versions), then
//! per table a part (its columns, one JSON array per row, an end line with the row count and
//! the SHA-256 of the row lines), then a manifest of every part. Written from one consistent
//! snapshot in batches, read back row by row into one transaction: nothing is held whole in
//! memory, and a damaged archive leaves the database as it was.

pub mod columns;
pub mod dump;
pub mod file;
pub mod load;
pub mod schedule;

/// The archive format's version (the header's `galley_archive`).
pub const FORMAT: u32 = 1;

/// A table in the archive: its name and the order its rows are read in (its key; pages
/// parents first, so a restore never points at a page not yet there).
pub struct Part {
    pub table: &'static str,
    pub order: &'static str,
}

/// Every table that makes the site, in an order that satisfies the foreign keys. Sessions and
/// sign-in throttles stay behind: they belong to the running instance, not to the site.
pub const PARTS: &[Part] = &[
    Part {
        table: "users",
        order: "id",
    },
    Part {
        table: "api_tokens",
        order: "id",
    },
    Part {
        table: "settings",
        order: "key",
    },
    Part {
        table: "site_state",
        order: "id",
    },
    Part {
        table: "blobs",
        order: "hash",
    },
    Part {
        table: "media",
        order: "id",
    },
    Part {
        table: "pages",
        order: "length(path) - length(replace(path, '/', '')), id",
    },
    Part {
        table: "page_revisions",
        order: "id",
    },
    Part {
        table: "page_links",
        order: "from_id, to_path",
    },
    Part {
        table: "page_lists",
        order: "page_id",
    },
    Part {
        table: "page_reviews",
        order: "id",
    },
    Part {
        table: "page_review_states",
        order: "page_id",
    },
    Part {
        table: "page_stages",
        order: "page_id",
    },
    Part {
        table: "autosaves",
        order: "user_id, page_key",
    },
    Part {
        table: "redirects",
        order: "id",
    },
    Part {
        table: "menu_items",
        order: "id",
    },
    Part {
        table: "trash",
        order: "id",
    },
    Part {
        table: "renditions",
        order: "media_id, version, spec, format",
    },
    Part {
        table: "rendition_jobs",
        order: "id",
    },
    Part {
        table: "media_usages",
        order: "page_id, media_id",
    },
    Part {
        table: "audit_log",
        order: "id",
    },
    Part {
        table: "password_tokens",
        order: "id",
    },
    Part {
        table: "recovery_codes",
        order: "id",
    },
    Part {
        table: "known_devices",
        order: "user_id, ip, user_agent",
    },
    Part {
        table: "contact_submissions",
        order: "id",
    },
    Part {
        table: "outbox",
        order: "id",
    },
    Part {
        table: "webhooks",
        order: "id",
    },
    Part {
        table: "webhook_deliveries",
        order: "id",
    },
];

/// Tables whose `id` comes from a sequence (PostgreSQL's must be moved past the restored ids).
pub const SERIAL: &[&str] = &[
    "users",
    "api_tokens",
    "media",
    "pages",
    "page_revisions",
    "page_reviews",
    "redirects",
    "menu_items",
    "trash",
    "rendition_jobs",
    "audit_log",
    "password_tokens",
    "recovery_codes",
    "contact_submissions",
    "outbox",
    "webhooks",
    "webhook_deliveries",
];

/// What a backup or a restore did, part by part.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub galley_version: String,
    pub schema_version: String,
    pub parts: Vec<PartSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartSummary {
    pub name: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    /// The archive is not what it says (truncated, altered, another format): the part named.
    #[error("the archive is damaged at {part}: {why}")]
    Damaged { part: String, why: String },
    #[error("{0}")]
    Refused(String),
}

impl ArchiveError {
    pub fn damaged(part: &str, why: impl Into<String>) -> ArchiveError {
        ArchiveError::Damaged {
            part: part.to_owned(),
            why: why.into(),
        }
    }
}

/// Reports progress: a line per part (the CLI prints them; tests ignore them).
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64);
