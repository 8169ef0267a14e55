//! The import format: a folder of Markdown files with TOML front matter (as in Zola), read and
//! checked before anything is written. Folders are hubs, `_index.md` is a hub's own page (and a
//! Hugo page bundle's `index.md` its page), the root `_index.md` is the home page.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::content::pages::Status;
use crate::slug;

/// One file to import: its path relative to the import root, and its text (or why it has none).
pub struct SourceFile {
    pub rel: PathBuf,
    pub text: Result<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    pub(crate) path: String,
    pub(crate) front: FrontMatter,
    pub(crate) body: String,
}

pub(crate) fn parse_file(rel: &Path, text: &str) -> Result<Parsed, String> {
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
