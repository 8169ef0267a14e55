//! What an upload becomes before anything is written: its type sniffed from the bytes, an image
//! checked against the size limits and cleaned (turned upright, re-encoded without metadata),
//! and the details editors write about it, checked.

use crate::media::imaging;
use crate::media::sniff::{self, FileType};
use crate::validation::FieldErrors;

pub const MAX_TITLE: usize = 200;
pub const MAX_ALT: usize = 500;
pub const MAX_CAPTION: usize = 1000;
pub const MAX_CREDIT: usize = 200;

/// A file as it arrived: its name and bytes.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// An upload checked and cleaned, ready to store; made before any transaction, since decoding a
/// photo takes a while.
pub struct Prepared {
    pub file_type: FileType,
    pub file_name: String,
    pub original: Vec<u8>,
    /// What visitors get: the same bytes for documents, a clean re-encode for images.
    pub served: Vec<u8>,
    pub size: Option<(u32, u32)>,
}

/// The file name as shown: its last path segment, without control characters, at most 200
/// characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.is_empty() {
        "file".into()
    } else {
        clean
    }
}

/// Checks an upload (type, size, a valid image) and cleans it. Blocking: run it off the async
/// workers. The error is the sentence to show next to the file field.
pub fn prepare(upload: Upload) -> Result<Prepared, String> {
    let file_name = clean_file_name(&upload.file_name);
    let file_type = sniff::sniff(&upload.bytes, &file_name)?;
    if file_type.is_image() {
        let clean = imaging::clean(&upload.bytes, file_type)?;
        Ok(Prepared {
            file_type,
            file_name,
            size: Some((clean.width, clean.height)),
            served: clean.bytes,
            original: upload.bytes,
        })
    } else {
        Ok(Prepared {
            file_type,
            file_name,
            size: None,
            served: upload.bytes.clone(),
            original: upload.bytes,
        })
    }
}

/// What editors write about a file.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub title: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub focal_x: i32,
    pub focal_y: i32,
}

impl Details {
    /// Checks the fields; `image` makes the alt text required.
    pub fn check(&self, image: bool, errors: &mut FieldErrors) {
        let fields: [(&'static str, &str, usize); 4] = [
            ("title", &self.title, MAX_TITLE),
            ("alt", &self.alt, MAX_ALT),
            ("caption", &self.caption, MAX_CAPTION),
            ("credit", &self.credit, MAX_CREDIT),
        ];
        for (field, value, max) in fields {
            if errors.check_text(field, value) {
            } else if value.chars().count() > max {
                errors.add(field, format!("Keep it under {max} characters."));
            }
        }
        if image && self.alt.trim().is_empty() && !errors.has("alt") {
            errors.add(
                "alt",
                "Describe the image for people who cannot see it (for example: a wooden bench under an apple tree).",
            );
        }
        for (field, value) in [("focal_x", self.focal_x), ("focal_y", self.focal_y)] {
            if !(0..=100).contains(&value) {
                errors.add(field, "Give a percentage from 0 to 100.");
            }
        }
    }

    /// The title a file gets when none is given: its name without the extension, in words.
    pub fn title_from(file_name: &str) -> String {
        let stem = file_name
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(file_name);
        let words = stem.replace(['-', '_'], " ");
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        if words.is_empty() {
            "Untitled".into()
        } else {
            words.chars().take(MAX_TITLE).collect()
        }
    }
}

/// The readable name in a file's URLs (`Garden Bench.JPG` -> `garden-bench`).
pub fn url_name(file_name: &str) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name);
    let mut name = crate::slug::slugify(stem);
    name.truncate(80);
    let name = name.trim_end_matches('-').to_owned();
    if name.is_empty() { "file".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_titles_come_from_the_file_name() {
        assert_eq!(url_name("Garden Bench (2).JPG"), "garden-bench-2");
        assert_eq!(url_name("....png"), "file");
        assert_eq!(
            Details::title_from("garden_bench-at-dusk.jpg"),
            "garden bench at dusk"
        );
        assert_eq!(clean_file_name("C:\\photos\\a.png"), "a.png");
        assert_eq!(clean_file_name("../../etc/x.txt"), "x.txt");
    }
}
