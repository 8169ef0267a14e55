//! The views visitors see of content: a page (or hub) and the fallback home listing.

use std::sync::LazyLock;

use askama::Template;
use chrono::NaiveDateTime;

use crate::clock::{human_date, iso};

use crate::content::pages::PublicPage;
use crate::content::structured_data;
use crate::html::{JsonLd, SafeHtml, Text};
use crate::media::markup::Picture;
use crate::snapshot::tree::{ImageRef, Node, SiteTree};
use crate::web::ctx::{Ctx, NavLink};

/// A link to a page. Views borrow from the site snapshot: a page view copies no titles or URLs.
pub struct Link<'a> {
    pub url: &'a Text,
    pub title: &'a Text,
}

/// The first breadcrumb of every page.
static HOME: LazyLock<(Text, Text)> = LazyLock::new(|| (Text::from("/"), Text::from("Home")));

/// A page shown as a card (its title and summary).
pub type Card<'a> = &'a Node;

/// Where a page sits in its hub: the other pages, and the guided path's previous and next.
pub struct HubNav<'a> {
    pub hub: Link<'a>,
    /// The pages around this one (all of them in a hub of up to `HUB_NAV_WINDOW`).
    pub pages: Vec<NavLink<'a>>,
    /// How many pages the hub has: more than shown means a link to the hub's full list.
    pub total: usize,
    pub prev: Option<Link<'a>>,
    pub next: Option<Link<'a>>,
}

/// A big hub's side list shows this many pages around the current one, not hundreds.
pub const HUB_NAV_WINDOW: usize = 15;

#[derive(Template)]
#[template(path = "site/page.html")]
pub struct PageView<'a> {
    pub ctx: Ctx,
    pub document_title: String,
    pub title: &'a Text,
    pub summary: &'a Text,
    pub canonical: String,
    pub body: SafeHtml,
    pub toc: SafeHtml,
    pub published: Option<NaiveDateTime>,
    pub updated: NaiveDateTime,
    pub breadcrumbs: Vec<Link<'a>>,
    pub children: Vec<Card<'a>>,
    pub hub: Option<HubNav<'a>>,
    /// Pinned, then computed, then from the same hub: at most `RELATED_SHOWN`, all visible.
    pub related: Vec<Card<'a>>,
    /// "Pages that link here", visible ones only.
    pub backlinks: Vec<Link<'a>>,
    pub json_ld: JsonLd,
    pub is_home: bool,
    /// The featured image, shown above the text.
    pub featured: Option<Picture>,
    /// The image of social previews: the featured image's crop, else the site's default.
    pub social_image: Option<ImageRef>,
}

fn link(n: &Node) -> Link<'_> {
    Link {
        url: &n.url,
        title: &n.title,
    }
}

impl<'a> PageView<'a> {
    /// Assembles a page from its stored HTML and its place in `tree` (the snapshot `ctx` holds,
    /// borrowed by the caller). `is_home` renders it at `/`.
    pub fn new(
        ctx: Ctx,
        tree: &'a SiteTree,
        node: &'a Node,
        mut page: PublicPage,
        is_home: bool,
    ) -> PageView<'a> {
        let now = ctx.now;
        let ancestors = if is_home {
            Vec::new()
        } else {
            tree.ancestors(node)
        };
        let mut breadcrumbs = vec![Link {
            url: &HOME.0,
            title: &HOME.1,
        }];
        breadcrumbs.extend(ancestors.iter().map(|n| link(n)));

        let children: Vec<Card> = if is_home {
            tree.hubs(now)
        } else {
            tree.children(Some(node.id), now)
        };

        // The pages of this page's hub: the side list, previous/next, and related fallbacks.
        let siblings = node
            .parent_id
            .map(|p| tree.children(Some(p), now))
            .unwrap_or_default();
        let hub = match ancestors.last() {
            Some(parent) if !is_home => {
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
                        url: &s.url,
                        title: &s.title,
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

        let canonical = ctx.absolute(if is_home { "/" } else { &node.url });
        let site_name = ctx.site_name().to_owned();
        let shown_title = page.seo_title.as_deref().unwrap_or(&node.title);
        let document_title = if is_home && (shown_title == site_name) {
            site_name.clone()
        } else {
            format!("{shown_title} · {site_name}")
        };

        let featured: Option<Picture> = serde_json::from_str(&page.image_json).ok();
        let social_image = featured
            .as_ref()
            .map(|f| f.social.clone())
            .or_else(|| ctx.site.settings.social_image.clone())
            .map(|i| ImageRef {
                url: ctx.absolute(&i.url),
                ..i
            });
        let json_ld = structured_data::page(
            &ctx,
            node,
            &page,
            &canonical,
            &breadcrumbs,
            is_home,
            social_image.as_ref().map(|i| i.url.as_str()),
        );
        let (body, toc) = page.take_html();
        let related = related_pages(tree, node, &page, &siblings, now);
        // Only the ids: titles and paths come from the tree, which knows which pages are visible.
        let backlinks = page
            .backlink_ids()
            .into_iter()
            .filter_map(|id| tree.visible_by_id(id, now).map(link))
            .collect();

        PageView {
            related,
            backlinks,
            document_title,
            title: &node.title,
            summary: &node.summary,
            canonical,
            body,
            toc,
            published: node.publish_at,
            updated: node.updated_at,
            breadcrumbs,
            children,
            hub,
            json_ld,
            is_home,
            featured,
            social_image,
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
fn related_pages<'a>(
    tree: &'a SiteTree,
    node: &Node,
    page: &PublicPage,
    siblings: &[&'a Node],
    now: NaiveDateTime,
) -> Vec<Card<'a>> {
    let pinned = page
        .related_pins
        .lines()
        .filter_map(|p| tree.visible_by_path(p.trim(), now));
    let computed = page
        .related_ids()
        .into_iter()
        .filter_map(|id| tree.visible_by_id(id, now));
    let same_hub = siblings.iter().copied();
    let mut seen = vec![node.id];
    let mut out = Vec::new();
    for n in pinned.chain(computed).chain(same_hub) {
        if out.len() == RELATED_SHOWN {
            break;
        }
        if !seen.contains(&n.id) {
            seen.push(n.id);
            out.push(n);
        }
    }
    out
}

/// The home page when no page is chosen as home: the site's hubs and top-level pages.
#[derive(Template)]
#[template(path = "site/home.html")]
pub struct HomeView<'a> {
    pub ctx: Ctx,
    pub canonical: String,
    pub sections: Vec<Card<'a>>,
}

impl<'a> HomeView<'a> {
    pub fn new(ctx: Ctx, tree: &'a SiteTree) -> HomeView<'a> {
        HomeView {
            canonical: ctx.absolute("/"),
            sections: tree.children(None, ctx.now),
            ctx,
        }
    }
}
