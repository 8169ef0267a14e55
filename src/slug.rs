//! Slugs: the URL-safe names of pages and the anchor ids of headings.

/// Longest slug we generate; long titles are cut at a word boundary.
const MAX_LEN: usize = 80;

/// Turns any text into a slug: ASCII transliteration, lower case, words joined by hyphens.
/// Returns an empty string when nothing usable is left (e.g. only punctuation).
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                if out.len() + 1 >= MAX_LEN {
                    break;
                }
                out.push('-');
            }
            if out.len() >= MAX_LEN {
                break;
            }
            pending_dash = false;
            out.push(c);
        } else {
            pending_dash = true;
        }
    }
    out
}

/// A valid page slug: lowercase ASCII letters and digits in words joined by single hyphens.
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_LEN
        && slug.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_and_ascii() {
        assert_eq!(slugify("Back-end development"), "back-end-development");
        assert_eq!(slugify("  Café au lait!  "), "cafe-au-lait");
        assert_eq!(slugify("What is a *slug*?"), "what-is-a-slug");
        assert_eq!(slugify("???"), "");
        assert!(slugify(&"word ".repeat(100)).len() <= MAX_LEN);
    }

    #[test]
    fn validity() {
        assert!(is_valid("back-end-2"));
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "a/b", "é"] {
            assert!(!is_valid(bad), "{bad:?} should be invalid");
        }
    }
}
