//! Images and addresses in Markdown: every address a text names (for the files it uses), and
//! images replaced by the caller's markup (the media library's pictures).

use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

use super::{options, push_plain_text};

/// An image in the text, for the caller to turn into its own markup.
pub struct Image<'a> {
    pub url: &'a str,
    pub alt: &'a str,
    /// The Markdown title (`![alt](url "title")`), empty when none.
    pub title: &'a str,
    /// The first image of the text.
    pub first: bool,
    /// Alone in its paragraph: the markup replaces the paragraph (a `<figure>` may go there).
    pub alone: bool,
}

/// The markup of an image, or `None` to render it as Markdown does.
pub type ImageMarkup<'f> = &'f dyn Fn(&Image) -> Option<String>;

/// Every address the text links or shows an image from, in order.
pub fn addresses(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, options())
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

/// Every address the text links or shows an image from, with the link's text or the image's
/// alt text.
pub fn addresses_with_text(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Vec<(String, String)> = Vec::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                open.push((dest_url.into_string(), String::new()));
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if let Some((url, text)) = open.pop() {
                    out.push((url, text.trim().to_owned()));
                }
            }
            ref e => {
                if let Some((_, text)) = open.last_mut() {
                    push_plain_text(text, e);
                }
            }
        }
    }
    out
}

/// Replaces each image the callback has markup for; the markup is sanitised with the rest.
pub(super) fn replace_images<'a>(events: Vec<Event<'a>>, markup: ImageMarkup) -> Vec<Event<'a>> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut first = true;
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Image {
            dest_url, title, ..
        }) = &events[i]
        else {
            out.push(events[i].clone());
            i += 1;
            continue;
        };
        let end = (i..events.len())
            .find(|&j| matches!(events[j], Event::End(TagEnd::Image)))
            .unwrap_or(events.len() - 1);
        let mut alt = String::new();
        for e in &events[i + 1..end] {
            push_plain_text(&mut alt, e);
        }
        let alone = matches!(out.last(), Some(Event::Start(Tag::Paragraph)))
            && matches!(events.get(end + 1), Some(Event::End(TagEnd::Paragraph)));
        let image = Image {
            url: dest_url,
            alt: alt.trim(),
            title,
            first,
            alone,
        };
        first = false;
        match markup(&image) {
            Some(html) if alone => {
                out.pop();
                out.push(Event::Html(CowStr::from(html)));
                i = end + 2;
            }
            Some(html) => {
                out.push(Event::InlineHtml(CowStr::from(html)));
                i = end + 1;
            }
            None => {
                out.extend(events[i..=end].iter().cloned());
                i = end + 1;
            }
        }
    }
    out
}
