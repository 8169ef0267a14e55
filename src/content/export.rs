//! Export: every page as a Markdown file with TOML front matter, in the folder layout `import`
//! reads (`content::transfer`), and the media library beside them.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::content::pages::{self, Page};
use crate::content::source_files::FrontMatter;
use crate::db::DbConnection;
use crate::media::transfer as media_transfer;

/// The file a page is exported to, relative to the export root.
fn export_file(page: &Page, has_children: bool) -> PathBuf {
    if page.path.is_empty() {
        PathBuf::from("_index.md")
    } else if has_children {
        Path::new(&page.path).join("_index.md")
    } else {
        PathBuf::from(format!("{}.md", page.path))
    }
}

fn format_time(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Renders a page in the import format.
pub fn to_file(page: &Page) -> String {
    let front = FrontMatter {
        title: page.title.clone(),
        summary: page.summary.clone(),
        seo_title: page.seo_title.clone(),
        status: page.status.clone(),
        publish_at: page.publish_at.map(|t| toml::Value::String(format_time(t))),
        order: page.nav_order,
        in_nav: page.in_nav,
        related: page.pinned_urls().collect(),
        image: page.image_id,
        unpublish_at: page
            .unpublish_at
            .map(|t| toml::Value::String(format_time(t))),
    };
    let mut out = String::from("+++\n");
    out.push_str(&toml::to_string(&front).unwrap_or_default());
    let _ = write!(out, "+++\n\n{}", page.body_md);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub pages: usize,
    pub files: usize,
}

/// Writes every page (drafts included) under `dir`, and the media library under `dir/media`.
pub fn export(
    conn: &mut DbConnection,
    dir: &Path,
    progress: &dyn Fn(u64, u64),
) -> Result<Exported, String> {
    let all = pages::all(conn).map_err(|e| format!("cannot read pages: {e}"))?;
    let parents: HashSet<i32> = all.iter().filter_map(|p| p.parent_id).collect();
    for (n, page) in all.iter().enumerate() {
        let file = dir.join(export_file(page, parents.contains(&page.id)));
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&file, to_file(page))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        progress(n as u64 + 1, all.len() as u64);
    }
    let files = media_transfer::export(conn, dir)?;
    Ok(Exported {
        pages: all.len(),
        files,
    })
}
