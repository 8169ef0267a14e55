//! Trusted fragments that templates print without escaping. Nothing else is ever printed raw:
//! `SafeHtml` only comes out of the sanitiser, `JsonLd` only out of `serde_json` with `<`, `>` and
//! `&` escaped so it can never close its `<script>` element, and `Text` prints the HTML-escaped
//! form of its text, worked out when it was made.

use std::fmt;
use std::ops::Deref;

use askama::{FastWritable, Values};

/// Plain text held in the site snapshot (page titles, summaries, URLs) that many page views
/// print: escaped for HTML once, when the snapshot is built, instead of byte by byte in every
/// render. Derefs to the plain text; `Display` and templates give the escaped form, so print it
/// bare in templates and give filters `.as_str()` (a filter on the escaped form would escape twice).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    raw: String,
    /// The escaped form, only when it differs from `raw` (most titles need no escaping).
    escaped: Option<Box<str>>,
}

impl Text {
    pub fn new(raw: String) -> Text {
        let escaped = raw
            .contains(['<', '>', '&', '"', '\''])
            .then(|| escape(&raw).into_boxed_str());
        Text { raw, escaped }
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The text escaped for HTML text and attribute values.
    pub fn html(&self) -> &str {
        self.escaped.as_deref().unwrap_or(&self.raw)
    }
}

/// Escapes `s` exactly as templates do.
pub fn escape(s: &str) -> String {
    askama::filters::escape(s, askama::filters::Html)
        .map(|e| e.to_string())
        .unwrap_or_default()
}

impl From<String> for Text {
    fn from(raw: String) -> Text {
        Text::new(raw)
    }
}

impl From<&str> for Text {
    fn from(raw: &str) -> Text {
        Text::new(raw.to_owned())
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.html())
    }
}

impl FastWritable for Text {
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn Values) -> askama::Result<()> {
        Ok(dest.write_str(self.html())?)
    }
}

impl askama::filters::HtmlSafe for Text {}

/// HTML produced by [`crate::markdown::render`] after sanitising with ammonia.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// Wraps the output of the sanitiser. Only the Markdown renderer calls this, and the stored
    /// `body_html`/`toc_html` columns are only ever written with its output.
    pub(crate) fn from_sanitised(html: String) -> SafeHtml {
        SafeHtml(html)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Plain `text`, escaped, with the words `is_match` picks wrapped in `<mark>` (search snippets).
    pub fn highlighted(text: &str, is_match: impl Fn(&str) -> bool) -> SafeHtml {
        let mut out = String::with_capacity(text.len() + 32);
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let escaped = ammonia::clean_text(word);
            if is_match(word) {
                out.push_str("<mark>");
                out.push_str(&escaped);
                out.push_str("</mark>");
            } else {
                out.push_str(&escaped);
            }
        }
        SafeHtml(out)
    }
}

impl fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FastWritable for SafeHtml {
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn Values) -> askama::Result<()> {
        Ok(dest.write_str(&self.0)?)
    }
}

impl askama::filters::HtmlSafe for SafeHtml {}

/// A JSON-LD document, safe to print inside `<script type="application/ld+json">`.
#[derive(Clone, Debug)]
pub struct JsonLd(String);

impl JsonLd {
    pub fn new(value: &impl serde::Serialize) -> JsonLd {
        // A page's document is a few kilobytes: start there rather than grow from 128 bytes.
        let mut buf = Vec::with_capacity(2048);
        let json = match serde_json::to_writer(&mut buf, value) {
            Ok(()) => String::from_utf8(buf).unwrap_or_else(|_| "{}".to_owned()),
            Err(_) => "{}".to_owned(),
        };
        // Three single-byte searches: far quicker than one search for any of three chars.
        if !(json.contains('<') || json.contains('>') || json.contains('&')) {
            return JsonLd(json);
        }
        JsonLd(
            json.replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026"),
        )
    }
}

impl JsonLd {
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for JsonLd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FastWritable for JsonLd {
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn Values) -> askama::Result<()> {
        Ok(dest.write_str(&self.0)?)
    }
}

impl askama::filters::HtmlSafe for JsonLd {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_are_escaped_first() {
        let h = SafeHtml::highlighted("<b>cafe</b> & cafe", |w| w.contains("cafe"));
        assert_eq!(
            h.as_str(),
            "<mark>&lt;b&gt;cafe&lt;&#47;b&gt;</mark> &amp; <mark>cafe</mark>"
        );
    }

    #[test]
    fn text_prints_what_templates_print_for_the_plain_string() {
        #[derive(askama::Template)]
        #[template(source = "<a title=\"{{ text }}\">{{ text }}</a>", ext = "html")]
        struct WithText<'a> {
            text: &'a Text,
        }
        #[derive(askama::Template)]
        #[template(source = "<a title=\"{{ text }}\">{{ text }}</a>", ext = "html")]
        struct WithStr<'a> {
            text: &'a str,
        }
        for raw in ["Tom's <b>\"fish\"</b> & chips", "Plain words", ""] {
            let text = Text::from(raw);
            assert_eq!(&*text, raw, "derefs to the plain text");
            let mine = askama::Template::render(&WithText { text: &text }).unwrap();
            let askamas = askama::Template::render(&WithStr { text: raw }).unwrap();
            assert_eq!(mine, askamas);
        }
        assert!(!Text::from("<'\"&>").html().contains(['<', '>', '"', '\'']));
    }

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let ld =
            JsonLd::new(&serde_json::json!({"name": "</script><script>alert(1)</script> & co"}));
        let s = ld.to_string();
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script> & co");
    }
}
