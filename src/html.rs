//! Trusted fragments that templates print without escaping. Nothing else is ever printed raw:
//! `SafeHtml` only comes out of the sanitiser, `JsonLd` only out of `serde_json` with `<`, `>` and
//! `&` escaped so it can never close its `<script>` element.

use std::fmt;

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

impl askama::filters::HtmlSafe for SafeHtml {}

/// A JSON-LD document, safe to print inside `<script type="application/ld+json">`.
#[derive(Clone, Debug)]
pub struct JsonLd(String);

impl JsonLd {
    pub fn new(value: &impl serde::Serialize) -> JsonLd {
        let json = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
        if !json.contains(['<', '>', '&']) {
            return JsonLd(json);
        }
        JsonLd(
            json.replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026"),
        )
    }
}

impl fmt::Display for JsonLd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
    fn json_ld_cannot_close_its_script_element() {
        let ld =
            JsonLd::new(&serde_json::json!({"name": "</script><script>alert(1)</script> & co"}));
        let s = ld.to_string();
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script> & co");
    }
}
