//! Import and export of pages as a folder of Markdown files with TOML front matter (as in Zola):
//! folders are hubs, `_index.md` is a hub's own page, the root `_index.md` is the home page.
//! Import creates or updates pages by path and is idempotent; export writes the same format.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::content::derived::Derived;
use crate::content::pages::{self, PageInput, Status};
use crate::content::saving::{self, Links, SaveError};
use crate::db::DbConnection;
use crate::media::transfer::{self as media_transfer, Folder};
use crate::slug;

/// Pages written per transaction.
const IMPORT_BATCH: usize = 250;

/// One file to import: its path relative to the import root, and its text (or why it has none).
pub struct SourceFile {
    pub rel: PathBuf,
    pub text: Result<String, String>,
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Files added to the media library (from `media/`, or shown by the pages).
    pub media_added: usize,
    /// A file that could not be imported, and why.
    pub errors: Vec<(PathBuf, String)>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FrontMatter {
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seo_title: Option<String>,
    #[serde(default = "default_status")]
    pub(crate) status: String,
    /// RFC 3339 (`2026-05-01T09:00:00Z`), a TOML date-time, or a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) publish_at: Option<toml::Value>,
    #[serde(default)]
    pub(crate) order: i32,
    #[serde(default)]
    pub(crate) in_nav: bool,
    /// Pinned related pages, as site paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) related: Vec<String>,
    /// The featured image: its id in the media library (in `media/manifest.toml` for an export).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image: Option<i32>,
    /// When the page leaves the site by itself, like `publish_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unpublish_at: Option<toml::Value>,
}

fn default_status() -> String {
    Status::Published.as_str().to_owned()
}

/// Reads every `.md` file under `dir` (hidden files and folders are skipped).
pub fn read_dir(dir: &Path) -> Result<Vec<SourceFile>, String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = std::fs::read_dir(&current)
            .map_err(|e| format!("cannot read {}: {e}", current.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", current.display()))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                let text = std::fs::read(&path)
                    .map_err(|e| format!("cannot read file: {e}"))
                    .and_then(|b| {
                        String::from_utf8(b).map_err(|_| "the file is not valid UTF-8".into())
                    });
                files.push(SourceFile { rel, text });
            }
        }
    }
    Ok(files)
}

/// The page path a file stands for: `a/b.md` -> `a/b`, `a/_index.md` -> `a`, `_index.md` -> ``.
fn page_path(rel: &Path) -> Result<String, String> {
    let mut segments: Vec<String> = Vec::new();
    let parts: Vec<_> = rel.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let name = part.as_os_str().to_string_lossy();
        let last = i + 1 == parts.len();
        let seg = if last {
            let stem = name.strip_suffix(".md").ok_or("not a .md file")?;
            // `_index.md` is a hub's own page; `index.md` a Hugo page bundle's.
            if stem == "_index" || stem == "index" {
                break;
            }
            stem.to_owned()
        } else {
            name.into_owned()
        };
        if !slug::is_valid(&seg) {
            return Err(format!(
                "{seg:?} is not a valid slug (use lowercase letters, digits and single hyphens)"
            ));
        }
        segments.push(seg);
    }
    Ok(segments.join("/"))
}

/// Splits `+++` TOML front matter from the Markdown body.
fn split_front_matter(text: &str) -> Result<(&str, &str), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or("the file must start with a line `+++` opening the front matter")?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let front = &rest[..offset];
            let body = rest[offset + line.len()..].trim_start_matches(['\r', '\n']);
            return Ok((front, body));
        }
        offset += line.len();
    }
    Err("the front matter is not closed by a line `+++`".into())
}

pub(crate) fn parse_time(value: &toml::Value) -> Result<NaiveDateTime, String> {
    let text = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => {
            return Err(format!(
                "publish_at must be a date-time, not {}",
                other.type_str()
            ));
        }
    };
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.naive_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
        .map_err(|_| format!("publish_at {text:?} is not a date-time like 2026-05-01T09:00:00Z"))
}

#[derive(Debug)]
struct Parsed {
    path: String,
    front: FrontMatter,
    body: String,
}

fn parse_file(rel: &Path, text: &str) -> Result<Parsed, String> {
    let path = page_path(rel)?;
    let (front, body) = split_front_matter(text)?;
    let front: FrontMatter = toml::from_str(front).map_err(|e| describe_toml_error(front, &e))?;
    if Status::parse(&front.status).is_none() {
        return Err(format!(
            "status {:?} is not one of draft, published, scheduled",
            front.status
        ));
    }
    for t in front.publish_at.iter().chain(&front.unpublish_at) {
        parse_time(t)?;
    }
    Ok(Parsed {
        path,
        front,
        body: body.to_owned(),
    })
}

/// "invalid front matter at line 2 (`title = 3`): invalid type..." — the line, as the editor sees it.
fn describe_toml_error(front: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return format!("invalid front matter: {}", e.message());
    };
    // +2: the opening `+++` is line 1 of the file.
    let line_no = front[..span.start.min(front.len())].matches('\n').count() + 2;
    let line = front.lines().nth(line_no - 2).unwrap_or("").trim();
    format!(
        "invalid front matter at line {line_no} (`{line}`): {}",
        e.message()
    )
}

/// Imports `files`: parents before children, each page in its own transaction (with its audit
/// entry, as `actor`), so one bad file never stops the others. Pages are matched by path;
/// unchanged pages are left untouched.
pub fn import(
    conn: &mut DbConnection,
    files: Vec<SourceFile>,
    actor: &Actor,
    now: NaiveDateTime,
) -> ImportReport {
    import_with(conn, files, actor, now, None, &|_, _, _| {})
}

/// What an import reports as it goes: the step ("Importing pages", "Linking pages"), how many
/// of its things are done and how many there are.
pub type Progress<'a> = &'a dyn Fn(&str, u64, u64);

/// Imports a folder: its media library first (`media/`, as an export writes it), then its pages,
/// whose `/media/…` addresses follow the ids the files got, and whose local images and files
/// (`![x](images/a.png)`, a Hugo page bundle's photos) are taken into the library and pointed at.
pub fn import_folder(
    conn: &mut DbConnection,
    folder: &Folder,
    actor: &Actor,
    now: NaiveDateTime,
    progress: Progress,
) -> Result<ImportReport, String> {
    let files = read_dir(folder.root)?;
    Ok(import_with(conn, files, actor, now, Some(folder), progress))
}

fn import_with(
    conn: &mut DbConnection,
    files: Vec<SourceFile>,
    actor: &Actor,
    now: NaiveDateTime,
    folder: Option<&Folder>,
    progress: Progress,
) -> ImportReport {
    let mut report = ImportReport::default();
    let library = folder.map(|f| media_transfer::import(conn, f, actor));
    let ids = library.as_ref().map(|l| l.ids.clone()).unwrap_or_default();
    if let Some(l) = library {
        report.media_added = l.added;
        report.errors.extend(l.errors);
    }
    let mut taken = std::collections::HashMap::new();
    let mut parsed = Vec::new();
    let mut seen = HashSet::new();
    for file in files {
        let result = file.text.and_then(|text| parse_file(&file.rel, &text));
        match result {
            Ok(p) if !seen.insert(p.path.clone()) => report.errors.push((
                file.rel,
                format!("another file already defines the page /{}", p.path),
            )),
            Ok(p) => parsed.push((file.rel, p)),
            Err(e) => report.errors.push((file.rel, e)),
        }
    }
    parsed.sort_by(|a, b| {
        let depth = |p: &Parsed| {
            if p.path.is_empty() {
                0
            } else {
                p.path.matches('/').count() + 1
            }
        };
        (depth(&a.1), &a.1.path).cmp(&(depth(&b.1), &b.1.path))
    });
    // Pages go in batches, a transaction each (a page in its own savepoint: a bad file still
    // never stops the others); one transaction per page spent most of the time committing.
    let total = parsed.len() as u64;
    let mut done = 0;
    let mut parsed = parsed.into_iter().peekable();
    while parsed.peek().is_some() {
        let batch: Vec<(PathBuf, Parsed)> = parsed.by_ref().take(IMPORT_BATCH).collect();
        done += batch.len() as u64;
        let written = crate::db::write(conn, |conn| {
            // The texts as stored (media addresses renumbered, local files taken in), then the
            // pages that change rendered on all cores, then written one after another.
            let mut ready = Vec::with_capacity(batch.len());
            for (rel, mut p) in batch {
                if let Some(f) = folder {
                    p.body = media_transfer::renumber(&p.body, &ids);
                    p.front.image = p.front.image.map(|i| ids.get(&i).copied().unwrap_or(i));
                    let before = taken.len();
                    match media_transfer::take_in_local_files(
                        conn, f, actor, &rel, &p.body, &mut taken,
                    ) {
                        Ok(body) => p.body = body,
                        Err(e) => {
                            report.errors.push((rel, e));
                            continue;
                        }
                    }
                    report.media_added += taken.len() - before;
                }
                if unchanged(conn, &p)? {
                    report.unchanged += 1;
                } else {
                    ready.push((rel, p));
                }
            }
            let texts: Vec<(&str, &str, Option<i32>)> = ready
                .iter()
                .map(|(_, p)| (p.front.title.trim(), p.body.as_str(), p.front.image))
                .collect();
            let derived = Derived::of_many(conn, &texts)?;
            for ((rel, p), derived) in ready.iter().zip(derived) {
                match import_one(conn, p, derived, actor, now) {
                    Ok(Outcome::Created) => report.created += 1,
                    Ok(Outcome::Updated) => report.updated += 1,
                    Ok(Outcome::Unchanged) => report.unchanged += 1,
                    Err(e) => report.errors.push((rel.clone(), e)),
                }
            }
            Ok::<_, diesel::result::Error>(())
        });
        if let Err(e) = written {
            report
                .errors
                .push((PathBuf::from("(batch)"), format!("database error: {e}")));
        }
        progress("Importing pages", done, total);
    }
    // Backlinks and related pages, once, for the whole site as imported.
    if report.created + report.updated > 0
        && let Err(e) = crate::content::links::rebuild_derived_with(conn, &|done, total| {
            progress("Linking pages", done, total)
        })
    {
        report
            .errors
            .push((PathBuf::from("(links)"), format!("database error: {e}")));
    }
    report.errors.sort_by(|a, b| a.0.cmp(&b.0));
    report
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// The page as the editor would save it; an error when its hub does not exist (yet).
fn input_for(conn: &mut DbConnection, p: &Parsed) -> Result<PageInput, String> {
    let (parent_path, slug) = match p.path.rsplit_once('/') {
        Some((parent, slug)) => (Some(parent), slug),
        None => (None, p.path.as_str()),
    };
    let parent_id = match parent_path {
        None => None,
        Some(parent) => match pages::id_by_path(conn, parent).map_err(|e| e.to_string())? {
            Some(id) => Some(id),
            None => {
                return Err(format!(
                    "its hub /{parent} does not exist: add {parent}/_index.md to the import"
                ));
            }
        },
    };
    Ok(PageInput {
        parent_id,
        slug: slug.to_owned(),
        title: p.front.title.clone(),
        summary: p.front.summary.clone(),
        seo_title: p.front.seo_title.clone(),
        body_md: p.body.clone(),
        status: Status::parse(&p.front.status).unwrap_or(Status::Draft),
        publish_at: p.front.publish_at.as_ref().map(parse_time).transpose()?,
        nav_order: p.front.order,
        in_nav: p.front.in_nav,
        // Normalised as saving stores them, so an unchanged file compares equal.
        related_pins: saving::normalise_pins(&p.front.related.join("\n")),
        image_id: p.front.image,
        unpublish_at: p.front.unpublish_at.as_ref().map(parse_time).transpose()?,
    })
}

/// Whether the page is stored as the file has it already (then it is neither rendered nor
/// written). A file that cannot be read as a page yet is not: `import_one` says why.
fn unchanged(conn: &mut DbConnection, p: &Parsed) -> QueryResult<bool> {
    let Some(existing) = pages::find_by_path(conn, &p.path)? else {
        return Ok(false);
    };
    Ok(input_for(conn, p).is_ok_and(|input| same_content(&existing.to_input(), &input)))
}

fn import_one(
    conn: &mut DbConnection,
    p: &Parsed,
    derived: Derived,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Outcome, String> {
    let input = input_for(conn, p)?;
    let describe = |e: SaveError| match e {
        SaveError::Invalid(errors) => errors.to_string(),
        e @ SaveError::Conflict { .. } => e.to_string(),
        SaveError::Database(e) => format!("database error: {e}"),
    };
    let derived = Some(derived);
    crate::db::write(conn, |conn| {
        let (outcome, action) = match pages::find_by_path(conn, &p.path)? {
            None => {
                saving::create_with(conn, &input, None, "Imported", now, Links::Later, derived)?;
                (Outcome::Created, "page.import.create")
            }
            Some(existing) if same_content(&existing.to_input(), &input) => {
                return Ok(Outcome::Unchanged);
            }
            Some(existing) => {
                let id = existing.id;
                saving::update_with(
                    conn,
                    id,
                    &input,
                    None,
                    None,
                    "Imported",
                    now,
                    Links::Later,
                    derived,
                )?;
                (Outcome::Updated, "page.import.update")
            }
        };
        audit::record(conn, actor, action, &format!("/{}", p.path), now)?;
        Ok(outcome)
    })
    .map_err(describe)
}

/// Equal as far as an import can tell (a published page without a time keeps its own).
fn same_content(stored: &PageInput, incoming: &PageInput) -> bool {
    let time_matches = incoming.publish_at.is_none() && incoming.status == Status::Published
        || incoming.publish_at == stored.publish_at;
    let normalise = |i: &PageInput| PageInput {
        publish_at: None,
        title: i.title.trim().to_owned(),
        summary: i.summary.trim().to_owned(),
        seo_title: i
            .seo_title
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        ..i.clone()
    };
    time_matches && normalise(stored) == normalise(incoming)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_folder_layout() {
        assert_eq!(page_path(Path::new("_index.md")).unwrap(), "");
        assert_eq!(page_path(Path::new("about.md")).unwrap(), "about");
        assert_eq!(
            page_path(Path::new("glossary/_index.md")).unwrap(),
            "glossary"
        );
        assert_eq!(
            page_path(Path::new("glossary/slug.md")).unwrap(),
            "glossary/slug"
        );
        assert!(page_path(Path::new("Bad Name.md")).is_err());
    }

    #[test]
    fn front_matter_is_split_and_checked() {
        let (front, body) = split_front_matter("+++\ntitle = \"A\"\n+++\n\nBody\n").unwrap();
        assert_eq!(front, "title = \"A\"\n");
        assert_eq!(body, "Body\n");
        assert!(split_front_matter("title = 1").is_err());
        assert!(split_front_matter("+++\ntitle = 1\n").is_err());
        let err =
            parse_file(Path::new("a.md"), "+++\ntitle = \"A\"\ncolour = 1\n+++\n").unwrap_err();
        assert!(err.contains("colour"), "{err}");
        let err = parse_file(
            Path::new("a.md"),
            "+++\ntitle = \"A\"\nstatus = \"gone\"\n+++\n",
        )
        .unwrap_err();
        assert!(err.contains("gone"), "{err}");
    }

    #[test]
    fn times_parse_in_several_spellings() {
        let want = NaiveDate::from_ymd_opt(2026, 5, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        for s in [
            "2026-05-01T09:00:00Z",
            "2026-05-01T11:00:00+02:00",
            "2026-05-01 09:00",
        ] {
            assert_eq!(
                parse_time(&toml::Value::String(s.into())).unwrap(),
                want,
                "{s}"
            );
        }
        let dt: toml::Value =
            toml::from_str::<toml::Table>("t = 2026-05-01T09:00:00Z").unwrap()["t"].clone();
        assert_eq!(parse_time(&dt).unwrap(), want);
        assert!(parse_time(&toml::Value::String("soon".into())).is_err());
    }
}
