//! The Markdown renderer: pulldown-cmark -> heading anchors, table of contents and FAQ extraction
//! -> ammonia. It runs when a page is saved (and for the admin preview), never on a page view.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use crate::html::SafeHtml;

mod images;
use crate::slug::slugify;
use images::replace_images;
pub use images::{Image, ImageMarkup, addresses, addresses_with_text};

/// Bump when the output of `render` changes (a sanitiser rule, a new extension), or what saving
/// derives from the Markdown (5: the plain text for search snippets; 6: the FAQ stored as
/// schema.org JSON-LD; 7: images from the media library as pictures): pages stored with an older
/// version are re-rendered at start-up.
pub const RENDERER_VERSION: i32 = 7;

/// A table of contents is shown from this many headings on.
const TOC_MIN_HEADINGS: usize = 3;

/// A question under an FAQ heading and its answer, as plain text. (Deserialised only from the
/// form older versions stored: see `structured_data`.)
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FaqEntry {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: SafeHtml,
    /// Empty when the page has fewer than three headings.
    pub toc: SafeHtml,
    /// Questions under a "Frequently asked questions" (or "FAQ") heading.
    pub faq: Vec<FaqEntry>,
    /// Paths of the site's own pages this text links to (`/a/b#x` -> `a/b`), sorted, unique.
    pub links: Vec<String>,
}

struct Heading {
    level: u8,
    id: String,
    text: String,
}

static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    let headings = ["h1", "h2", "h3", "h4", "h5", "h6"];
    for h in headings {
        b.add_tag_attributes(h, &["id"]);
    }
    // Task lists: only disabled checkboxes survive, with a name for screen readers.
    b.add_tags(&["input"])
        .add_tag_attribute_values("input", "type", &["checkbox"])
        .add_tag_attributes("input", &["checked"])
        .add_tag_attribute_values("input", "aria-label", &["Task"])
        .set_tag_attribute_value("input", "disabled", "");
    // Wide tables and code scroll sideways; keyboard users need to be able to focus them.
    b.add_tag_attribute_values("pre", "tabindex", &["0"])
        .add_tag_attribute_values("table", "tabindex", &["0"]);
    // Footnotes: pulldown-cmark's markup, with our `fn-` prefixed ids.
    b.add_tag_attributes("div", &["id"])
        .add_allowed_classes("div", &["footnote-definition"])
        .add_allowed_classes("sup", &["footnote-reference", "footnote-definition-label"]);
    // Images from the media library: a figure with a picture, its WebP source and a caption.
    b.add_tags(&["figure", "figcaption", "picture", "source"])
        .add_tag_attribute_values("source", "type", &["image/webp"])
        .add_tag_attributes("source", &["srcset", "sizes"])
        .add_tag_attributes("img", &["srcset", "sizes", "width", "height"])
        .add_tag_attribute_values("img", "loading", &["lazy"])
        .add_tag_attribute_values("img", "decoding", &["async"]);
    // `target` is not allowed, so links cannot open a window and need no `rel="noopener"`.
    b.link_rel(None);
    b
});

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Renders Markdown to sanitised HTML with anchored headings, a table of contents and FAQ entries.
pub fn render(markdown: &str) -> Rendered {
    render_with(markdown, &|_| None)
}

/// [`render`], with images turned into the markup `images` gives for them.
pub fn render_with(markdown: &str, images: ImageMarkup) -> Rendered {
    let events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    let mut events = replace_images(events, images);
    let headings = anchor_headings(&mut events);
    prefix_footnotes(&mut events);
    let faq = extract_faq(&events);
    let links = internal_links(&events);

    let events = events.into_iter().map(|e| match e {
        Event::TaskListMarker(done) => Event::InlineHtml(CowStr::from(if done {
            "<input type=\"checkbox\" checked aria-label=\"Task\"> "
        } else {
            "<input type=\"checkbox\" aria-label=\"Task\"> "
        })),
        e => e,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events);
    let raw = raw
        .replace("<pre>", "<pre tabindex=\"0\">")
        .replace("<table>", "<table tabindex=\"0\">");
    let html = SANITISER.clean(&raw).to_string();

    let toc = if headings.len() >= TOC_MIN_HEADINGS {
        SANITISER.clean(&toc_html(&headings)).to_string()
    } else {
        String::new()
    };
    Rendered {
        html: SafeHtml::from_sanitised(html),
        toc: SafeHtml::from_sanitised(toc),
        faq,
        links,
    }
}

/// The site paths of links that stay on the site (absolute paths, not `//host` ones).
fn internal_links(events: &[Event]) -> Vec<String> {
    let mut links: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) => internal_path(dest_url),
            _ => None,
        })
        .collect();
    links.sort();
    links.dedup();
    links
}

/// `/a/b/?x#y` -> `a/b`; `None` for anything that leaves the site or is not a path.
pub fn internal_path(href: &str) -> Option<String> {
    if !href.starts_with('/') || href.starts_with("//") {
        return None;
    }
    let path = href.split(['?', '#']).next().unwrap_or("");
    Some(path.trim_matches('/').to_owned())
}

fn level_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// Gives every heading a stable id derived from its text (`-2`, `-3`... on repeats) and returns
/// the headings in order.
fn anchor_headings(events: &mut [Event]) -> Vec<Heading> {
    let mut headings = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, .. }) = &events[i] {
            let level = level_number(*level);
            let start = i;
            let mut text = String::new();
            i += 1;
            while i < events.len() && !matches!(events[i], Event::End(TagEnd::Heading(_))) {
                push_plain_text(&mut text, &events[i]);
                i += 1;
            }
            let text = text.trim().to_owned();
            let base = match slugify(&text) {
                s if s.is_empty() => "section".to_owned(),
                s => s,
            };
            let mut id = base.clone();
            let mut n = 2;
            while !used.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[start] {
                *slot = Some(CowStr::from(id.clone()));
            }
            headings.push(Heading { level, id, text });
        }
        i += 1;
    }
    headings
}

/// Footnote labels become ids and fragment links; prefixing them keeps them from colliding with
/// heading anchors or the page's own ids.
fn prefix_footnotes(events: &mut [Event]) {
    for event in events.iter_mut() {
        match event {
            Event::FootnoteReference(label) => *label = CowStr::from(format!("fn-{label}")),
            Event::Start(Tag::FootnoteDefinition(label)) => {
                *label = CowStr::from(format!("fn-{label}"))
            }
            _ => {}
        }
    }
}

fn push_plain_text(out: &mut String, event: &Event) {
    match event {
        Event::Text(t) | Event::Code(t) => out.push_str(t),
        Event::SoftBreak | Event::HardBreak => out.push(' '),
        Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::CodeBlock) => out.push(' '),
        _ => {}
    }
}

fn is_faq_heading(text: &str) -> bool {
    let t = text.trim().trim_end_matches(':').trim().to_lowercase();
    matches!(t.as_str(), "frequently asked questions" | "faq" | "faqs")
}

/// Finds "Frequently asked questions" sections: each sub-heading is a question and the content
/// up to the next heading is its answer, as plain text.
fn extract_faq(events: &[Event]) -> Vec<FaqEntry> {
    let mut faq = Vec::new();
    let mut section_level: Option<u8> = None;
    let mut current: Option<FaqEntry> = None;
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, .. }) = &events[i] {
            let level = level_number(*level);
            let mut text = String::new();
            i += 1;
            while i < events.len() && !matches!(events[i], Event::End(TagEnd::Heading(_))) {
                push_plain_text(&mut text, &events[i]);
                i += 1;
            }
            if let Some(entry) = current.take() {
                push_entry(&mut faq, entry);
            }
            match section_level {
                Some(s) if level == s + 1 => {
                    current = Some(FaqEntry {
                        question: collapse(&text),
                        answer: String::new(),
                    })
                }
                Some(s) if level <= s => section_level = None,
                _ => {}
            }
            if section_level.is_none() && is_faq_heading(&text) {
                section_level = Some(level);
            }
        } else if let Some(entry) = current.as_mut() {
            push_plain_text(&mut entry.answer, &events[i]);
        }
        i += 1;
    }
    if let Some(entry) = current.take() {
        push_entry(&mut faq, entry);
    }
    faq
}

fn push_entry(faq: &mut Vec<FaqEntry>, entry: FaqEntry) {
    let answer = collapse(&entry.answer);
    if !entry.question.is_empty() && !answer.is_empty() {
        faq.push(FaqEntry {
            question: entry.question,
            answer,
        });
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A nested ordered list of links to the headings (escaped here, sanitised again by the caller).
fn toc_html(headings: &[Heading]) -> String {
    let base = headings.iter().map(|h| h.level).min().unwrap_or(1);
    let mut out = String::from("<ol>");
    let mut depth = 0usize;
    for (n, h) in headings.iter().enumerate() {
        let wanted = usize::from(h.level - base);
        if n == 0 {
            out.push_str("<li>");
        } else if wanted > depth {
            out.push_str("<ol><li>");
            depth += 1;
        } else {
            out.push_str("</li>");
            while depth > wanted {
                out.push_str("</ol></li>");
                depth -= 1;
            }
            out.push_str("<li>");
        }
        out.push_str(&format!(
            "<a href=\"#{}\">{}</a>",
            h.id,
            ammonia::clean_text(&h.text)
        ));
    }
    out.push_str("</li>");
    while depth > 0 {
        out.push_str("</ol></li>");
        depth -= 1;
    }
    out.push_str("</ol>");
    out
}

/// Plain text of a Markdown document (for search and summaries).
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options()) {
        push_plain_text(&mut text, &event);
        if matches!(event, Event::End(TagEnd::Heading(_))) {
            text.push(' ');
        }
    }
    collapse(&text)
}

/// Ids used more than once in `html` (a debugging aid for tests).
#[cfg(test)]
fn duplicate_ids(html: &str) -> Vec<String> {
    let mut seen: std::collections::HashMap<&str, usize> = Default::default();
    for part in html.split("id=\"").skip(1) {
        if let Some(end) = part.find('"') {
            *seen.entry(&part[..end]).or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_render() {
        let r = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ text[^n]\n\n[^n]: A note.\n\n- [x] done\n- [ ] todo\n",
        );
        let h = r.html.as_str();
        assert!(h.contains("<del>old</del>"), "{h}");
        assert!(h.contains("href=\"#fn-n\""), "{h}");
        assert!(h.contains("id=\"fn-n\""), "{h}");
        assert!(h.contains("type=\"checkbox\""), "{h}");
        assert!(h.contains("aria-label=\"Task\""), "{h}");
        assert!(h.contains("<table tabindex=\"0\">"), "{h}");
        assert!(h.contains("checked"), "{h}");
    }

    #[test]
    fn headings_get_stable_unique_anchors_and_a_toc() {
        let r = render("## Intro\n\ntext\n\n## Intro\n\n### Café *crème*\n\n## ???\n");
        let h = r.html.as_str();
        assert!(h.contains("<h2 id=\"intro\">"), "{h}");
        assert!(h.contains("<h2 id=\"intro-2\">"), "{h}");
        assert!(h.contains("<h3 id=\"cafe-creme\">"), "{h}");
        assert!(h.contains("<h2 id=\"section\">"), "{h}");
        assert!(duplicate_ids(h).is_empty());
        let toc = r.toc.as_str();
        assert!(
            toc.starts_with("<ol><li><a href=\"#intro\">Intro</a></li>"),
            "{toc}"
        );
        assert!(
            toc.contains("<ol><li><a href=\"#cafe-creme\">Café crème</a></li></ol>"),
            "{toc}"
        );
        assert_eq!(toc.matches("<ol>").count(), toc.matches("</ol>").count());
    }

    #[test]
    fn short_pages_have_no_toc() {
        assert!(render("## One\n\n## Two\n").toc.is_empty());
    }

    #[test]
    fn scripts_handlers_and_javascript_links_never_survive() {
        let r = render(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n\
             <a href=\"javascript:alert(2)\" onclick=\"alert(3)\">y</a>\n\n<iframe src=\"https://e.x\"></iframe>\n\n\
             <div style=\"background:url(javascript:alert(4))\">z</div>\n\n## <span onmouseover=alert(5)>Head</span>\n",
        );
        let h = r.html.as_str().to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "onclick",
            "<iframe",
            "style=",
            "onmouseover",
        ] {
            assert!(!h.contains(bad), "{bad} survived in {h}");
        }
        assert!(!r.toc.as_str().contains("onmouseover"));
    }

    #[test]
    fn faq_sections_are_extracted() {
        let r = render(
            "Intro.\n\n## Frequently asked questions\n\n### What is it?\n\nA *thing*.\n\nMore.\n\n\
             ### Why?\n\nBecause.\n\n## Next section\n\n### Not a question\n\nNo.\n",
        );
        assert_eq!(
            r.faq,
            vec![
                FaqEntry {
                    question: "What is it?".into(),
                    answer: "A thing. More.".into()
                },
                FaqEntry {
                    question: "Why?".into(),
                    answer: "Because.".into()
                },
            ]
        );
        assert_eq!(render("# FAQ\n\n## Q1\n\nA1\n").faq.len(), 1);
        assert!(render("## Questions\n\n### Q\n\nA\n").faq.is_empty());
    }

    #[test]
    fn internal_links_are_collected() {
        let r = render(
            "[a](/glossary/slug) [b](/glossary/slug/#faq) [c](https://e.x/y) [d](//e.x) [e](/) [f](mailto:x@y.z) [g](/guide?x=1)",
        );
        assert_eq!(r.links, vec!["", "glossary/slug", "guide"]);
    }

    #[test]
    fn plain_text_strips_markup() {
        assert_eq!(
            plain_text("## Title\n\nSome *bold* `code`."),
            "Title Some bold code."
        );
    }
}
