//! What the API answers, as JSON: pages (in lists and whole), the navigation tree, files. Made
//! from what saving stored (the sanitised HTML, the table of contents, the FAQ), never from
//! Markdown at read time; no e-mail address is ever in them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::content::pages::Page;
use crate::db::schema::pages;
use crate::snapshot::tree::{ImageRef, Node, SiteTree};

use crate::clock::iso;

/// What a list reads of a page: no text.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = pages)]
pub struct ListedPage {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub path: String,
    pub title: String,
    pub summary: String,
    pub status: String,
    pub publish_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub nav_order: i32,
}

/// A summary of a stored page: `Page` and `ListedPage` name these fields alike.
macro_rules! summary_of {
    ($page:expr, $base_url:expr) => {
        PageSummary {
            id: $page.id,
            path: format!("/{}", $page.path),
            url: format!("{}/{}", $base_url, $page.path),
            title: $page.title.clone(),
            summary: $page.summary.clone(),
            parent_id: $page.parent_id,
            status: $page.status.clone(),
            published_at: $page.publish_at.map(iso),
            updated_at: iso($page.updated_at),
        }
    };
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PageSummary {
    pub id: i32,
    pub path: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    #[schema(required = true)]
    pub parent_id: Option<i32>,
    /// `published`, `scheduled` or `draft` (only tokens that read drafts see others than
    /// `published`).
    pub status: String,
    #[schema(required = true)]
    pub published_at: Option<String>,
    pub updated_at: String,
}

impl PageSummary {
    /// A page as visitors' lists show it, from the site tree (which holds only what they see).
    pub fn of_node(n: &Node, base_url: &str) -> PageSummary {
        PageSummary {
            id: n.id,
            path: n.url.as_str().to_owned(),
            url: format!("{base_url}{}", n.url.as_str()),
            title: n.title.as_str().to_owned(),
            summary: n.summary.as_str().to_owned(),
            parent_id: n.parent_id,
            status: "published".into(),
            published_at: n.publish_at.map(iso),
            updated_at: iso(n.updated_at),
        }
    }

    pub fn of(page: &Page, base_url: &str) -> PageSummary {
        summary_of!(page, base_url)
    }

    pub fn of_listed(page: &ListedPage, base_url: &str) -> PageSummary {
        summary_of!(page, base_url)
    }
}

#[derive(Serialize, ToSchema, Debug)]
pub struct TocEntry {
    pub id: String,
    pub text: String,
    pub level: u8,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct FaqItem {
    pub question: String,
    pub answer: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct Crumb {
    pub id: i32,
    pub title: String,
    pub path: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct Image {
    #[schema(required = true)]
    pub id: Option<i32>,
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct PageDetail {
    #[serde(flatten)]
    pub summary: PageSummary,
    pub version: i32,
    /// The page's text as visitors get it: stored, sanitised HTML.
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub faq: Vec<FaqItem>,
    pub breadcrumbs: Vec<Crumb>,
    pub children: Vec<i32>,
    #[schema(required = true)]
    pub image: Option<Image>,
    /// The display name of who wrote the page, if they gave one (never an e-mail address).
    #[schema(required = true)]
    pub author: Option<String>,
}

impl PageDetail {
    /// `page` with its place in the site as the caller may see it (the pages above it,
    /// `ancestors`, top first, and its children's ids) and its `author`'s display name.
    pub fn of(
        page: Page,
        ancestors: &[(i32, String, String)],
        children: Vec<i32>,
        author: Option<String>,
        base_url: &str,
    ) -> PageDetail {
        let breadcrumbs = ancestors
            .iter()
            .map(|(id, title, path)| Crumb {
                id: *id,
                title: title.clone(),
                path: format!("/{path}"),
            })
            .collect();
        PageDetail {
            summary: PageSummary::of(&page, base_url),
            version: page.version,
            toc: toc_entries(&page.toc_html),
            faq: faq_items(&page.faq_json),
            image: featured(&page.image_json, page.image_id, base_url),
            breadcrumbs,
            children,
            author,
            html: page.body_html,
        }
    }
}

/// The entries of a stored table of contents (`<ol><li><a href="#id">Text</a>…`, nested `ol`s
/// for deeper headings), which the renderer made and sanitised.
pub fn toc_entries(toc_html: &str) -> Vec<TocEntry> {
    let mut out = Vec::new();
    let mut depth: u8 = 0;
    let mut rest = toc_html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("<ol>") {
            depth = depth.saturating_add(1);
            rest = after;
        } else if let Some(after) = rest.strip_prefix("</ol>") {
            depth = depth.saturating_sub(1);
            rest = after;
        } else if let Some(after) = rest.strip_prefix("<a href=\"#") {
            let Some(end) = after.find("\">") else { break };
            let id = &after[..end];
            let text_start = &after[end + 2..];
            let Some(close) = text_start.find("</a>") else {
                break;
            };
            out.push(TocEntry {
                id: unescape(id),
                text: unescape(&strip_tags(&text_start[..close])),
                level: depth.max(1),
            });
            rest = &text_start[close + 4..];
        } else {
            rest = &rest[1..];
        }
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The stored FAQ (schema.org `Question`s) as question and answer pairs.
pub fn faq_items(faq_json: &str) -> Vec<FaqItem> {
    #[derive(serde::Deserialize)]
    struct Question {
        name: String,
        #[serde(rename = "acceptedAnswer")]
        answer: Answer,
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        text: String,
    }
    serde_json::from_str::<Vec<Question>>(faq_json)
        .unwrap_or_default()
        .into_iter()
        .map(|q| FaqItem {
            question: q.name,
            answer: q.answer.text,
        })
        .collect()
}

/// The featured image as pages print it: its social-preview crop (the image's own format).
fn featured(image_json: &str, image_id: Option<i32>, base_url: &str) -> Option<Image> {
    #[derive(serde::Deserialize)]
    struct Stored {
        social: ImageRef,
    }
    let stored: Stored = serde_json::from_str(image_json).ok()?;
    Some(Image {
        id: image_id,
        url: format!("{base_url}{}", stored.social.url),
        width: stored.social.width,
        height: stored.social.height,
        alt: stored.social.alt,
    })
}

/// A node of the navigation tree.
#[derive(Serialize, ToSchema, Debug)]
pub struct TreeNode {
    pub id: i32,
    pub title: String,
    pub path: String,
    pub in_nav: bool,
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
}

/// The visible tree under `parent`.
pub fn tree_of(tree: &SiteTree, parent: Option<i32>, now: NaiveDateTime) -> Vec<TreeNode> {
    tree.children(parent, now)
        .into_iter()
        .map(|n| TreeNode {
            id: n.id,
            title: n.title.as_str().to_owned(),
            path: n.url.as_str().to_owned(),
            in_nav: n.in_nav,
            children: tree_of(tree, Some(n.id), now),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_toc_reads_back_as_entries() {
        let r = crate::markdown::render("## Intro\n\n### Café &amp; crème\n\n## Two\n\n## Three\n");
        let toc = toc_entries(r.toc.as_str());
        let got: Vec<(&str, &str, u8)> = toc
            .iter()
            .map(|e| (e.id.as_str(), e.text.as_str(), e.level))
            .collect();
        assert_eq!(got[0], ("intro", "Intro", 1), "{}", r.toc.as_str());
        assert_eq!(got[1].2, 2);
        assert!(got[1].1.starts_with("Café"), "{got:?}");
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn a_stored_faq_reads_back_as_pairs() {
        let stored = crate::content::faq::faq_questions(&[crate::markdown::FaqEntry {
            question: "Is </script> safe?".into(),
            answer: "Yes & always.".into(),
        }]);
        let items = faq_items(&stored);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].question, "Is </script> safe?");
        assert_eq!(items[0].answer, "Yes & always.");
    }
}
