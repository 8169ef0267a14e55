//! The library in an export folder: `media/` holds each file as it was uploaded and
//! `media/manifest.toml` what editors wrote about it (title, alt text, caption, credit, focal
//! point). Importing reads it back, and takes in local files that imported Markdown shows
//! (`![x](images/a.png)`, a page bundle's photos), so pages can be rewritten to point at the
//! library. A file already in the library (the same bytes) is not added twice.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audit::Actor;
use crate::db::DbConnection;
use crate::media::editing;
use crate::media::intake::{self, Details};
use crate::media::library::{self, Media};
use crate::media::sniff::{self, FileType};
use crate::media::store;

/// Where the library goes in an export folder.
pub const FOLDER: &str = "media";
const MANIFEST: &str = "manifest.toml";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    #[serde(default)]
    media: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The id pages use for it in the export (`/media/42`).
    id: i32,
    /// The file in `media/`.
    file: String,
    title: String,
    #[serde(default)]
    alt: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    credit: String,
    #[serde(default = "middle")]
    focal_x: i32,
    #[serde(default = "middle")]
    focal_y: i32,
    /// The name it was uploaded with.
    #[serde(default)]
    file_name: String,
}

fn middle() -> i32 {
    50
}

/// Writes every file and the manifest under `dir/media`; returns how many files.
pub fn export(conn: &mut DbConnection, dir: &Path) -> Result<usize, String> {
    let files = library::all(conn).map_err(|e| format!("cannot read the media library: {e}"))?;
    if files.is_empty() {
        return Ok(0);
    }
    let folder = dir.join(FOLDER);
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let mut manifest = Manifest { media: Vec::new() };
    for file in &files {
        let bytes = store::configured()
            .get(conn, &file.original_hash)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("media #{} has no bytes", file.id))?;
        let name = format!("{}-{}.{}", file.id, file.name, file.ext);
        std::fs::write(folder.join(&name), &bytes)
            .map_err(|e| format!("cannot write {}: {e}", folder.join(&name).display()))?;
        manifest.media.push(Entry {
            id: file.id,
            file: name,
            title: file.title.clone(),
            alt: file.alt.clone(),
            caption: file.caption.clone(),
            credit: file.credit.clone(),
            focal_x: file.focal_x,
            focal_y: file.focal_y,
            file_name: file.file_name.clone(),
        });
    }
    let text = toml::to_string(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(folder.join(MANIFEST), text)
        .map_err(|e| format!("cannot write the media manifest: {e}"))?;
    Ok(files.len())
}

/// An import folder, and the limits files taken in from it are held to.
pub struct Folder<'a> {
    pub root: &'a Path,
    pub widths: &'a [u32],
    pub max_bytes: usize,
}

/// What importing files gave: the library id of each exported id, and what was refused.
#[derive(Debug, Default)]
pub struct Imported {
    pub ids: HashMap<i32, i32>,
    pub added: usize,
    pub errors: Vec<(PathBuf, String)>,
}

/// The file with the same bytes already in the library, if any.
fn existing(conn: &mut DbConnection, bytes: &[u8]) -> Result<Option<Media>, String> {
    use crate::db::schema::media;
    use diesel::prelude::*;
    let hash = store::hash_of(bytes);
    media::table
        .filter(media::original_hash.eq(&hash))
        .filter(media::trash_id.is_null())
        .select(Media::as_select())
        .first(conn)
        .optional()
        .map_err(|e| e.to_string())
}

/// Adds one file (or finds it there already); the error says why it was refused.
fn take_in(
    conn: &mut DbConnection,
    folder: &Folder,
    path: &Path,
    name: Option<&str>,
    details: Details,
    actor: &Actor,
) -> Result<(Media, bool), String> {
    let max_bytes = folder.max_bytes;
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size > max_bytes as u64 {
        return Err(format!(
            "it is over the upload limit ({} MB)",
            max_bytes / (1024 * 1024)
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    if let Some(found) = existing(conn, &bytes)? {
        return Ok((found, false));
    }
    // The type is checked against the file's own name; the manifest's name (the one it was
    // uploaded with) is kept only when it says the same type.
    let real_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut prepared = intake::prepare(intake::Upload {
        file_name: real_name,
        bytes,
    })?;
    if let Some(name) = name.filter(|n| {
        sniff::extension(n).and_then(|e| FileType::from_ext(&e)) == Some(prepared.file_type)
    }) {
        prepared.file_name = name.to_owned();
    }
    let mut details = details;
    if details.title.trim().is_empty() {
        details.title = Details::title_from(&prepared.file_name);
    }
    if prepared.file_type.is_image() && details.alt.trim().is_empty() {
        details.alt = details.title.clone();
    }
    let mut errors = crate::validation::FieldErrors::default();
    details.check(prepared.file_type.is_image(), &mut errors);
    if !errors.is_empty() {
        return Err(errors.to_string());
    }
    editing::add(
        conn,
        store::configured(),
        &prepared,
        &details,
        actor,
        folder.widths,
    )
    .map(|m| (m, true))
    .map_err(|e| e.to_string())
}

/// Imports `dir/media` as an export wrote it. No manifest: nothing to do.
pub fn import(conn: &mut DbConnection, from: &Folder, actor: &Actor) -> Imported {
    let mut imported = Imported::default();
    let folder = from.root.join(FOLDER);
    let manifest_path = folder.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&manifest_path) else {
        return imported;
    };
    let rel = PathBuf::from(FOLDER).join(MANIFEST);
    let manifest: Manifest = match toml::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            imported
                .errors
                .push((rel, format!("invalid manifest: {}", e.message())));
            return imported;
        }
    };
    for entry in manifest.media {
        let Some(path) = inside(&folder, &entry.file) else {
            imported.errors.push((
                rel.clone(),
                format!("{:?} is not a file in media/", entry.file),
            ));
            continue;
        };
        let details = Details {
            title: entry.title,
            alt: entry.alt,
            caption: entry.caption,
            credit: entry.credit,
            focal_x: entry.focal_x,
            focal_y: entry.focal_y,
        };
        match take_in(conn, from, &path, Some(&entry.file_name), details, actor) {
            Ok((file, added)) => {
                imported.ids.insert(entry.id, file.id);
                imported.added += usize::from(added);
            }
            Err(e) => imported
                .errors
                .push((PathBuf::from(FOLDER).join(&entry.file), e)),
        }
    }
    imported
}

/// `base/rel` when `rel` is a relative path that stays inside `base` and names a file.
fn inside(base: &Path, rel: &str) -> Option<PathBuf> {
    resolve(base, Path::new(""), rel)
}

/// The file `rel` names from the folder `from` (relative to `root`), if it stays inside `root`
/// (`..` may climb out of `from`, never out of `root`) and is a file.
fn resolve(root: &Path, from: &Path, rel: &str) -> Option<PathBuf> {
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    for c in from.components().chain(Path::new(rel).components()) {
        match c {
            Component::Normal(p) => parts.push(p.to_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let path = parts
        .iter()
        .fold(root.to_path_buf(), |p, part| p.join(part));
    // A symbolic link may point anywhere (a key file, the environment): what it leads to must
    // still be inside the folder.
    let real = path.canonicalize().ok()?;
    let real_root = root.canonicalize().ok()?;
    (real.starts_with(&real_root) && real.is_file()).then_some(real)
}

/// Whether a Markdown address names a local file (not a URL, a site path or an anchor).
fn local(address: &str) -> bool {
    !(address.is_empty()
        || address.starts_with("/media/")
        || address.starts_with('#')
        || address.contains(':')
        || address.starts_with("//"))
}

/// The local files a page's Markdown shows or links to (relative to the page's folder, or to
/// the import root, or from `static/`): each address as written, its text, and the file.
fn local_files(folder: &Folder, page_rel: &Path, body: &str) -> Vec<(String, String, PathBuf)> {
    // Not parsed when no extension the library takes appears (nor a character reference,
    // which could spell one): most pages only link to pages.
    let lower = body.to_ascii_lowercase();
    let may = lower.contains('&')
        || FileType::EXTENSIONS
            .iter()
            .any(|e| lower.contains(&format!(".{e}")));
    if !may {
        return Vec::new();
    }
    let root = folder.root;
    let page_dir = page_rel.parent().unwrap_or(Path::new(""));
    let mut found = Vec::new();
    for (address, alt) in crate::markdown::addresses_with_text(body) {
        if !local(&address) {
            continue;
        }
        let clean = address.split(['?', '#']).next().unwrap_or("");
        let decoded = clean.replace("%20", " ");
        // Before the file system is asked: most addresses are links to pages.
        let known = sniff::extension(&decoded)
            .and_then(|e| FileType::from_ext(&e))
            .is_some();
        if !known {
            continue;
        }
        // Next to the page, from the folder's root, or (`/images/a.png`, Hugo and Zola's
        // `static/`) from the static folder.
        let path = if let Some(site_path) = decoded.strip_prefix('/') {
            resolve(root, Path::new("static"), site_path)
        } else {
            resolve(root, page_dir, &decoded).or_else(|| inside(root, &decoded))
        };
        if let Some(path) = path {
            found.push((address, alt, path));
        }
    }
    found
}

/// Whether a page's Markdown shows or links to a local file (`take_in_local_files` would take
/// one into the library).
pub fn names_local_files(folder: &Folder, page_rel: &Path, body: &str) -> bool {
    !local_files(folder, page_rel, body).is_empty()
}

/// Takes the local files a page's Markdown shows or links to (see `local_files`) into the
/// library, and rewrites those addresses to `/media/{id}`. `seen` remembers files already
/// taken in during this import.
pub fn take_in_local_files(
    conn: &mut DbConnection,
    folder: &Folder,
    actor: &Actor,
    page_rel: &Path,
    body: &str,
    seen: &mut HashMap<PathBuf, i32>,
) -> Result<String, String> {
    let mut body = body.to_owned();
    for (address, alt, path) in local_files(folder, page_rel, &body) {
        let id = match seen.get(&path) {
            Some(id) => *id,
            None => {
                let details = Details {
                    alt: alt.clone(),
                    focal_x: 50,
                    focal_y: 50,
                    ..Details::default()
                };
                let (file, _) = take_in(conn, folder, &path, None, details, actor)
                    .map_err(|e| format!("{address}: {e}"))?;
                seen.insert(path, file.id);
                file.id
            }
        };
        for end in [")", " "] {
            body = body.replace(&format!("]({address}{end}"), &format!("](/media/{id}{end}"));
        }
    }
    Ok(body)
}

/// Rewrites `/media/{old}` addresses to the ids the import gave the files.
pub fn renumber(body: &str, ids: &HashMap<i32, i32>) -> String {
    if ids.iter().all(|(a, b)| a == b) {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("/media/") {
        let (before, after) = rest.split_at(at + "/media/".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits]
            .parse::<i32>()
            .ok()
            .and_then(|old| ids.get(&old))
        {
            Some(new) => out.push_str(&new.to_string()),
            None => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_renumbered_once_each() {
        let ids = HashMap::from([(1, 2), (2, 3)]);
        assert_eq!(
            renumber("![a](/media/1) ![b](/media/2-4/w640/b.webp) /media/9", &ids),
            "![a](/media/2) ![b](/media/3-4/w640/b.webp) /media/9"
        );
    }

    #[test]
    fn only_relative_paths_inside_the_folder_are_local() {
        assert!(local("images/a.png"));
        assert!(!local("/media/1"));
        assert!(local("/images/a.png"), "a static file, in Hugo and Zola");
        assert!(!local("https://x.test/a.png"));
        assert!(inside(Path::new("/tmp"), "../etc/passwd").is_none());
        assert!(resolve(Path::new("/tmp"), Path::new("a"), "../../etc/passwd").is_none());
    }
}
