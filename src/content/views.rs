//! The views visitors see of content: a page (or hub) and the fallback home listing.

use askama::Template;
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::content::links::Backlink;
use crate::content::pages::PublicPage;
use crate::content::tree::{Node, SiteTree};
use crate::html::{JsonLd, SafeHtml};
use crate::web::ctx::{Ctx, NavLink};

pub struct Link {
    pub url: String,
    pub title: String,
}

pub struct Card {
    pub url: String,
    pub title: String,
    pub summary: String,
}

/// Where a page sits in its hub: the other pages, and the guided path's previous and next.
pub struct HubNav {
    pub hub: Link,
    /// The pages around this one (all of them in a hub of up to `HUB_NAV_WINDOW`).
    pub pages: Vec<NavLink>,
    /// How many pages the hub has: more than shown means a link to the hub's full list.
    pub total: usize,
    pub prev: Option<Link>,
    pub next: Option<Link>,
}

/// A big hub's side list shows this many pages around the current one, not hundreds.
pub const HUB_NAV_WINDOW: usize = 15;

#[derive(Template)]
#[template(path = "site/page.html")]
pub struct PageView {
    pub ctx: Ctx,
    pub document_title: String,
    pub title: String,
    pub summary: String,
    pub canonical: String,
    pub body: SafeHtml,
    pub toc: SafeHtml,
    pub published: Option<NaiveDateTime>,
    pub updated: NaiveDateTime,
    pub breadcrumbs: Vec<Link>,
    pub children: Vec<Card>,
    pub hub: Option<HubNav>,
    /// Pinned, then computed, then from the same hub: at most `RELATED_SHOWN`, all visible.
    pub related: Vec<Card>,
    /// "Pages that link here", visible ones only.
    pub backlinks: Vec<Link>,
    pub json_ld: JsonLd,
    pub is_home: bool,
}

fn link(n: &Node) -> Link {
    Link {
        url: n.url(),
        title: n.title.clone(),
    }
}

fn card(n: &Node) -> Card {
    Card {
        url: n.url(),
        title: n.title.clone(),
        summary: n.summary.clone(),
    }
}

impl PageView {
    /// Assembles a page from its stored HTML and its place in the tree. `is_home` renders it at `/`.
    pub fn new(ctx: Ctx, node: &Node, mut page: PublicPage, is_home: bool) -> PageView {
        let tree: &SiteTree = &ctx.site.tree;
        let now = ctx.now;
        let ancestors = if is_home {
            Vec::new()
        } else {
            tree.ancestors(node)
        };
        let mut breadcrumbs = vec![Link {
            url: "/".into(),
            title: "Home".into(),
        }];
        breadcrumbs.extend(ancestors.iter().map(|n| link(n)));

        let children: Vec<Card> = if is_home {
            tree.hubs(now).into_iter().map(card).collect()
        } else {
            tree.children(Some(node.id), now)
                .into_iter()
                .map(card)
                .collect()
        };

        let hub = match ancestors.last() {
            Some(parent) if !is_home => {
                let siblings = tree.children(Some(parent.id), now);
                let pos = siblings.iter().position(|s| s.id == node.id);
                let prev = pos
                    .and_then(|p| p.checked_sub(1))
                    .map(|p| link(siblings[p]));
                let next = pos.and_then(|p| siblings.get(p + 1)).map(|n| link(n));
                let start = pos
                    .unwrap_or(0)
                    .saturating_sub(HUB_NAV_WINDOW / 2)
                    .min(siblings.len().saturating_sub(HUB_NAV_WINDOW));
                let pages = siblings[start..(start + HUB_NAV_WINDOW).min(siblings.len())]
                    .iter()
                    .map(|s| NavLink {
                        url: s.url(),
                        title: s.title.clone(),
                        current: s.id == node.id,
                    })
                    .collect();
                Some(HubNav {
                    hub: link(parent),
                    pages,
                    total: siblings.len(),
                    prev,
                    next,
                })
            }
            _ => None,
        };

        let url_path = if is_home { "/".to_owned() } else { node.url() };
        let canonical = ctx.absolute(&url_path);
        let site_name = ctx.site_name().to_owned();
        let shown_title = page.seo_title.clone().unwrap_or_else(|| page.title.clone());
        let document_title = if is_home && (shown_title == site_name) {
            site_name.clone()
        } else {
            format!("{shown_title} · {site_name}")
        };

        let here = (!is_home).then(|| (page.title.clone(), canonical.clone()));
        let crumbs_ld: Vec<Value> = breadcrumbs
            .iter()
            .map(|b| (b.title.clone(), ctx.absolute(&b.url)))
            .chain(here)
            .enumerate()
            .map(|(i, (name, item))| json!({"@type": "ListItem", "position": i + 1, "name": name, "item": item}))
            .collect();
        let mut graph = vec![
            json!({
                "@type": "WebPage",
                "@id": canonical,
                "url": canonical,
                "name": page.title,
                "description": page.summary,
                "datePublished": page.publish_at.map(iso),
                "dateModified": iso(page.updated_at),
                "isPartOf": {"@type": "WebSite", "name": site_name, "url": ctx.absolute("/")},
            }),
            json!({"@type": "BreadcrumbList", "itemListElement": crumbs_ld}),
        ];
        let faq = page.faq();
        if !faq.is_empty() {
            graph.push(json!({
                "@type": "FAQPage",
                "mainEntity": faq.iter().map(|f| json!({
                    "@type": "Question",
                    "name": f.question,
                    "acceptedAnswer": {"@type": "Answer", "text": f.answer},
                })).collect::<Vec<_>>(),
            }));
        }
        let (body, toc) = page.take_html();
        let related = related_pages(tree, node, &page, now);
        let backlinks = serde_json::from_str::<Vec<Backlink>>(&page.backlinks_json)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|b| tree.visible_by_id(b.id, now).map(link))
            .collect();
        let json_ld = JsonLd::new(&json!({"@context": "https://schema.org", "@graph": graph}));

        PageView {
            related,
            backlinks,
            document_title,
            title: page.title.clone(),
            summary: page.summary.clone(),
            canonical,
            body,
            toc,
            published: page.publish_at,
            updated: page.updated_at,
            breadcrumbs,
            children,
            hub,
            json_ld,
            is_home,
            ctx,
        }
    }

    pub fn updated_iso(&self) -> String {
        iso(self.updated)
    }

    pub fn updated_human(&self) -> String {
        human_date(self.updated)
    }
}

/// How many related pages a page shows.
pub const RELATED_SHOWN: usize = 5;

/// Related pages: the editor's pins, then the computed ones (shared terms), then pages of the same
/// hub; never the page itself, never a hidden page, each once.
fn related_pages(tree: &SiteTree, node: &Node, page: &PublicPage, now: NaiveDateTime) -> Vec<Card> {
    let pinned = page
        .related_pins
        .lines()
        .filter_map(|p| tree.visible_by_path(p.trim(), now));
    let computed = serde_json::from_str::<Vec<i32>>(&page.related_json)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|id| tree.visible_by_id(id, now));
    let same_hub = node
        .parent_id
        .map(|p| tree.children(Some(p), now))
        .unwrap_or_default();
    let mut seen = vec![node.id];
    let mut out = Vec::new();
    for n in pinned.chain(computed).chain(same_hub) {
        if out.len() == RELATED_SHOWN {
            break;
        }
        if !seen.contains(&n.id) {
            seen.push(n.id);
            out.push(card(n));
        }
    }
    out
}

/// The home page when no page is chosen as home: the site's hubs and top-level pages.
#[derive(Template)]
#[template(path = "site/home.html")]
pub struct HomeView {
    pub ctx: Ctx,
    pub canonical: String,
    pub sections: Vec<Card>,
}

impl HomeView {
    pub fn new(ctx: Ctx) -> HomeView {
        let sections = ctx
            .site
            .tree
            .children(None, ctx.now)
            .into_iter()
            .map(card)
            .collect();
        HomeView {
            canonical: ctx.absolute("/"),
            sections,
            ctx,
        }
    }
}

pub fn iso(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn human_date(t: NaiveDateTime) -> String {
    t.format("%-d %B %Y").to_string()
}
