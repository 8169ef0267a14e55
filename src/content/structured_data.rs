//! schema.org descriptions of pages (JSON-LD): the page, its breadcrumb trail and its FAQ.
//!
//! The FAQ belongs to the page alone, so it is serialised when the page is saved and stored in
//! `faq_json`, ready to embed. The rest depends on the site (its name and address, the titles of
//! the hubs above the page) and is serialised per view, from typed structs that borrow the page's
//! strings (a `json!` tree cost a tenth of a page view).

use serde::Serialize;
use serde_json::value::RawValue;

use crate::clock::iso;
use crate::content::pages::PublicPage;
use crate::content::views::Link;
use crate::html::JsonLd;
use crate::markdown::FaqEntry;
use crate::snapshot::tree::Node;
use crate::web::ctx::Ctx;

/// The stored form of a page's FAQ: its schema.org `Question`s as a JSON array, escaped to sit
/// inside a `<script>` element (`[]` without questions).
pub fn faq_questions(faq: &[FaqEntry]) -> String {
    let questions: Vec<Question> = faq
        .iter()
        .map(|f| Question {
            name: &f.question,
            answer: Answer { text: &f.answer },
        })
        .collect();
    JsonLd::new(&questions).into_string()
}

/// How `faq_questions` output starts when there are questions.
const STORED_PREFIX: &str = r#"[{"@type":"Question""#;

/// The FAQ as an older version stored it (question and answer pairs), as schema.org: such rows
/// are re-rendered at start-up, but during a rolling upgrade an instance not yet upgraded may
/// still write them. `None` without questions, or for anything else.
fn from_older_form(stored: &str) -> Option<Box<RawValue>> {
    let faq: Vec<FaqEntry> = serde_json::from_str(stored).ok()?;
    if faq.is_empty() {
        return None;
    }
    RawValue::from_string(faq_questions(&faq)).ok()
}

/// The JSON-LD of a page view.
pub fn page(
    ctx: &Ctx,
    node: &Node,
    page: &PublicPage,
    canonical: &str,
    breadcrumbs: &[Link],
    is_home: bool,
) -> JsonLd {
    let crumbs: Vec<(String, &str)> = breadcrumbs
        .iter()
        .map(|b| (ctx.absolute(b.url), b.title.as_str()))
        .chain((!is_home).then(|| (canonical.to_owned(), node.title.as_str())))
        .collect();
    let mut graph = vec![
        Thing::WebPage {
            id: canonical,
            url: canonical,
            name: &node.title,
            description: &node.summary,
            date_published: node.publish_at.map(iso),
            date_modified: iso(node.updated_at),
            is_part_of: WebSite {
                name: ctx.site_name(),
                url: ctx.absolute("/"),
            },
        },
        Thing::BreadcrumbList {
            items: crumbs
                .iter()
                .enumerate()
                .map(|(i, (item, name))| ListItem {
                    position: i + 1,
                    name,
                    item,
                })
                .collect(),
        },
    ];
    let converted;
    let questions = if page.faq_json.starts_with(STORED_PREFIX) {
        serde_json::from_str::<&RawValue>(&page.faq_json).ok()
    } else {
        converted = from_older_form(&page.faq_json);
        converted.as_deref()
    };
    if let Some(questions) = questions {
        graph.push(Thing::FaqPage { questions });
    }
    JsonLd::new(&Document {
        context: "https://schema.org",
        graph,
    })
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@graph")]
    graph: Vec<Thing<'a>>,
}

/// Each node's `@type` is its variant's or struct's name (serde's tag).
#[derive(Serialize)]
#[serde(tag = "@type")]
enum Thing<'a> {
    #[serde(rename_all = "camelCase")]
    WebPage {
        #[serde(rename = "@id")]
        id: &'a str,
        url: &'a str,
        name: &'a str,
        description: &'a str,
        date_published: Option<String>,
        date_modified: String,
        is_part_of: WebSite<'a>,
    },
    BreadcrumbList {
        #[serde(rename = "itemListElement")]
        items: Vec<ListItem<'a>>,
    },
    #[serde(rename = "FAQPage")]
    FaqPage {
        #[serde(rename = "mainEntity")]
        questions: &'a RawValue,
    },
}

#[derive(Serialize)]
#[serde(tag = "@type")]
struct WebSite<'a> {
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
#[serde(tag = "@type")]
struct ListItem<'a> {
    position: usize,
    name: &'a str,
    item: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "@type")]
struct Question<'a> {
    name: &'a str,
    #[serde(rename = "acceptedAnswer")]
    answer: Answer<'a>,
}

#[derive(Serialize)]
#[serde(tag = "@type")]
struct Answer<'a> {
    text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_faq_is_schema_org_and_cannot_close_its_script() {
        let stored = faq_questions(&[FaqEntry {
            question: "Is </script> safe?".into(),
            answer: "Yes & always.".into(),
        }]);
        assert!(!stored.contains(['<', '>', '&']));
        let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(v[0]["@type"], "Question");
        assert_eq!(v[0]["name"], "Is </script> safe?");
        assert_eq!(v[0]["acceptedAnswer"]["@type"], "Answer");
        assert_eq!(v[0]["acceptedAnswer"]["text"], "Yes & always.");
        assert_eq!(faq_questions(&[]), "[]");
        assert!(stored.starts_with(STORED_PREFIX));
    }

    #[test]
    fn faq_stored_by_an_older_version_still_shows() {
        let older = from_older_form(r#"[{"question":"Why?","answer":"Because </script>."}]"#)
            .expect("converted");
        let v: serde_json::Value = serde_json::from_str(older.get()).unwrap();
        assert_eq!(v[0]["@type"], "Question");
        assert_eq!(v[0]["acceptedAnswer"]["text"], "Because </script>.");
        assert!(!older.get().contains('<'));
        for nothing in ["[]", "{}", "", "not json", r#"[{"name":"x"}]"#] {
            assert!(from_older_form(nothing).is_none(), "{nothing}");
        }
    }
}
