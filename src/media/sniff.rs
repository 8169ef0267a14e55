//! What a file is, read from its bytes: the allow-list of types the library takes, and the rule
//! that the name's extension must agree with the contents. Everything else is refused with a
//! sentence an editor can act on.

/// The types the library accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Pdf,
    Text,
    Csv,
    Zip,
}

impl FileType {
    /// The extension URLs and downloads use.
    pub fn ext(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Pdf => "pdf",
            FileType::Text => "txt",
            FileType::Csv => "csv",
            FileType::Zip => "zip",
        }
    }

    /// Every file name extension `from_ext` knows.
    pub const EXTENSIONS: &[&str] = &[
        "jpg", "jpeg", "png", "gif", "webp", "pdf", "txt", "text", "csv", "zip",
    ];

    pub fn from_ext(ext: &str) -> Option<FileType> {
        Some(match ext {
            "jpg" | "jpeg" => FileType::Jpeg,
            "png" => FileType::Png,
            "gif" => FileType::Gif,
            "webp" => FileType::Webp,
            "pdf" => FileType::Pdf,
            "txt" | "text" => FileType::Text,
            "csv" => FileType::Csv,
            "zip" => FileType::Zip,
            _ => return None,
        })
    }

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Pdf => "application/pdf",
            FileType::Text => "text/plain; charset=utf-8",
            FileType::Csv => "text/csv; charset=utf-8",
            FileType::Zip => "application/zip",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(
            self,
            FileType::Jpeg | FileType::Png | FileType::Gif | FileType::Webp
        )
    }

    /// A name for people: "JPEG image", "PDF document".
    pub fn label(self) -> &'static str {
        match self {
            FileType::Jpeg => "JPEG image",
            FileType::Png => "PNG image",
            FileType::Gif => "GIF image",
            FileType::Webp => "WebP image",
            FileType::Pdf => "PDF document",
            FileType::Text => "text file",
            FileType::Csv => "CSV file",
            FileType::Zip => "ZIP archive",
        }
    }
}

pub const ACCEPTED: &str =
    "Upload an image (JPEG, PNG, GIF or WebP) or a document (PDF, plain text, CSV or ZIP).";

/// The lower-cased extension of a file name (`Photo.JPG` -> `jpg`), if it has one.
pub fn extension(file_name: &str) -> Option<String> {
    let (stem, ext) = file_name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The file's type, if it is one the library takes and its name says the same.
pub fn sniff(bytes: &[u8], file_name: &str) -> Result<FileType, String> {
    let ext = extension(file_name).unwrap_or_default();
    match ext.as_str() {
        "svg" | "svgz" => {
            return Err(
                "SVG files are not accepted: they can carry script that would run on this site. \
                 Upload a PNG or WebP instead."
                    .into(),
            );
        }
        "heic" | "heif" | "avif" => {
            return Err(format!(
                "{} images are not accepted yet: export the photo as JPEG (most phones and photo apps can).",
                ext.to_ascii_uppercase()
            ));
        }
        _ => {}
    }
    let found = contents(bytes)?;
    let named = FileType::from_ext(&ext);
    match (found, named) {
        (found, Some(named)) if found == named => Ok(found),
        // Text is text: the extension decides whether it is a CSV.
        (FileType::Text, Some(FileType::Csv)) => Ok(FileType::Csv),
        (found, Some(named)) => Err(format!(
            "The file is named .{ext} but it is a {}: the name and the contents must agree (a {} is expected).",
            found.label(),
            named.label()
        )),
        (found, None) if ext.is_empty() => Err(format!(
            "The file name has no extension: name it .{} (it is a {}).",
            found.ext(),
            found.label()
        )),
        (_, None) => Err(format!("Files named .{ext} are not accepted. {ACCEPTED}")),
    }
}

/// The type the bytes say, from their signature (text: UTF-8 without control characters).
fn contents(bytes: &[u8]) -> Result<FileType, String> {
    if bytes.is_empty() {
        return Err("The file is empty.".into());
    }
    let starts = |sig: &[u8]| bytes.starts_with(sig);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(FileType::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(FileType::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Ok(FileType::Gif);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(FileType::Webp);
    }
    if starts(b"%PDF-") {
        return Ok(FileType::Pdf);
    }
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        return Ok(FileType::Zip);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Err(
            "HEIC, AVIF and other photo containers are not accepted yet: export the photo as JPEG."
                .into(),
        );
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| format!("This type of file is not accepted. {ACCEPTED}"))?;
    let head = text.trim_start_matches('\u{feff}').trim_start();
    let lower: String = head
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("<svg") || (lower.starts_with("<?xml") && text.contains("<svg")) {
        return Err(
            "SVG files are not accepted: they can carry script that would run on this site. \
             Upload a PNG or WebP instead."
                .into(),
        );
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
    {
        return Err(format!("This type of file is not accepted. {ACCEPTED}"));
    }
    Ok(FileType::Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extensions_listed_are_the_ones_known() {
        for ext in FileType::EXTENSIONS {
            assert!(FileType::from_ext(ext).is_some(), "{ext}");
        }
        for ext in ["svg", "html", "md", "jp", ""] {
            assert!(!FileType::EXTENSIONS.contains(&ext) && FileType::from_ext(ext).is_none());
        }
    }

    #[test]
    fn the_name_must_agree_with_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest", "a.PNG"), Ok(FileType::Png));
        assert_eq!(sniff(b"%PDF-1.7", "report.pdf"), Ok(FileType::Pdf));
        assert_eq!(sniff(b"a,b\n1,2\n", "t.csv"), Ok(FileType::Csv));
        assert_eq!(sniff(b"hello", "t.txt"), Ok(FileType::Text));
        assert!(
            sniff(b"%PDF-1.7", "cat.jpg")
                .unwrap_err()
                .contains("PDF document")
        );
        assert!(
            sniff(b"\x89PNG\r\n\x1a\n", "x")
                .unwrap_err()
                .contains(".png")
        );
        assert!(sniff(b"MZ\x90\x00\x03", "setup.exe").is_err());
    }

    #[test]
    fn svg_and_heic_are_refused_whatever_their_name() {
        assert!(
            sniff(b"<svg onload=alert(1)>", "a.svg")
                .unwrap_err()
                .contains("SVG")
        );
        assert!(
            sniff(b"  <svg onload=alert(1)>", "a.txt")
                .unwrap_err()
                .contains("SVG")
        );
        assert!(
            sniff(b"<?xml version=\"1.0\"?><svg/>", "a.png")
                .unwrap_err()
                .contains("SVG")
        );
        assert!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0", "p.jpg")
                .unwrap_err()
                .contains("HEIC")
        );
        assert!(sniff(b"x", "p.heic").unwrap_err().contains("JPEG"));
        assert!(sniff(b"", "p.txt").is_err());
        assert!(sniff(b"a\0b", "p.txt").is_err());
    }
}
