//! schema.org descriptions of pages (JSON-LD): the page, its breadcrumb trail and its FAQ.
//!
//! The FAQ belongs to the page alone, so it is serialised when the page is saved (`content::faq`)
//! and embedded as stored. The rest depends on the site (its name and address, the titles of the
//! hubs above the page) and is serialised per view, from typed structs that borrow the page's
//! strings (a `json!` tree cost a tenth of a page view).

use serde::Serialize;
use serde_json::value::RawValue;

use crate::clock::iso;
use crate::content::faq;
use crate::content::pages::PublicPage;
use crate::content::views::Link;
use crate::html::JsonLd;
use crate::snapshot::tree::Node;
use crate::web::ctx::Ctx;

/// The JSON-LD of a page view.
pub fn page(
    ctx: &Ctx,
    node: &Node,
    page: &PublicPage,
    canonical: &str,
    breadcrumbs: &[Link],
    is_home: bool,
    image: Option<&str>,
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
            image,
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
    let questions = if page.faq_json.starts_with(faq::STORED_PREFIX) {
        serde_json::from_str::<&RawValue>(&page.faq_json).ok()
    } else {
        converted = faq::from_older_form(&page.faq_json);
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
        #[serde(skip_serializing_if = "Option::is_none")]
        image: Option<&'a str>,
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
