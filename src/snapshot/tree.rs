//! The site tree: every non-draft page's place in the hierarchy, held in memory so navigation,
//! breadcrumbs, siblings, hub listings, the sitemap and the feed cost no query. Visibility is
//! decided per request against the clock, so scheduled pages go live without any job.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::pages;
use crate::html::Text;

/// An image as pages print it: its address (a path on this site), size and alt text. A hub
/// card's thumbnail, a social preview.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ImageRef {
    pub url: String,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub alt: String,
}

/// What the tree reads of a page's stored featured image (`media::markup::Picture`).
#[derive(serde::Deserialize)]
struct StoredImage {
    card: ImageRef,
}

/// The status of a page that is not on the site (`content::pages::Status::Draft`): drafts are
/// left out of the tree.
pub const DRAFT: &str = "draft";

/// What the tree holds of a page. Views borrow these strings rather than copy them; the ones
/// pages print are `Text`, escaped once here rather than in every render.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: i32,
    pub parent_id: Option<i32>,
    /// `/` and the page's path (see [`Node::path`]).
    pub url: Text,
    pub title: Text,
    pub summary: Text,
    pub nav_order: i32,
    pub in_nav: bool,
    pub publish_at: Option<NaiveDateTime>,
    /// When it leaves the site by itself.
    pub unpublish_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// The featured image's card crop, for hub cards.
    pub image: Option<ImageRef>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = pages)]
struct NodeRow {
    id: i32,
    parent_id: Option<i32>,
    path: String,
    title: String,
    summary: String,
    nav_order: i32,
    in_nav: bool,
    publish_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    image_json: String,
    unpublish_at: Option<NaiveDateTime>,
}

impl Node {
    /// The page's path, without the leading `/` (`glossary/slug`; empty for the root page).
    pub fn path(&self) -> &str {
        &self.url[1..]
    }
}

impl From<NodeRow> for Node {
    fn from(r: NodeRow) -> Node {
        Node {
            url: Text::new(format!("/{}", r.path)),
            id: r.id,
            parent_id: r.parent_id,
            title: Text::new(r.title),
            summary: Text::new(r.summary),
            nav_order: r.nav_order,
            in_nav: r.in_nav,
            publish_at: r.publish_at,
            unpublish_at: r.unpublish_at,
            updated_at: r.updated_at,
            image: serde_json::from_str::<StoredImage>(&r.image_json)
                .ok()
                .map(|s| s.card),
        }
    }
}

#[derive(Debug, Default)]
pub struct SiteTree {
    /// Sorted by id.
    nodes: Vec<Node>,
    /// The nodes' ids, in the same order: finding a node by id is a binary search over these
    /// 4-byte keys, which stay in the CPU cache (over the nodes, each probe was a cache miss).
    ids: Vec<i32>,
    by_path: HashMap<String, usize>,
    /// Children of each page (and of the root, under `None`), in navigation order.
    children: HashMap<Option<i32>, Vec<usize>>,
    /// When each node becomes visible: the latest publication time along its ancestry, `None`
    /// when an ancestor is missing (a draft). Worked out once, so a visibility check is one
    /// comparison however deep the page sits and however many siblings a hub lists.
    live_from: Vec<Option<NaiveDateTime>>,
    /// When each node stops being visible: the earliest unpublication time along its ancestry
    /// (`None`: never).
    live_until: Vec<Option<NaiveDateTime>>,
    /// Every publication and unpublication time, sorted: how many have passed tells whether the
    /// clock changed what visitors may see since a page was rendered.
    publish_times: Vec<NaiveDateTime>,
}

impl SiteTree {
    /// Loads every published or scheduled page (drafts are never part of the public tree).
    pub fn load(conn: &mut DbConnection) -> QueryResult<SiteTree> {
        let rows = pages::table
            .filter(pages::status.ne(DRAFT))
            .filter(pages::trash_id.is_null())
            .select(NodeRow::as_select())
            .load(conn)?;
        Ok(SiteTree::from_nodes(
            rows.into_iter().map(Node::from).collect(),
        ))
    }

    pub fn from_nodes(mut nodes: Vec<Node>) -> SiteTree {
        nodes.sort_unstable_by_key(|n| n.id);
        let by_path = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.path().to_owned(), i))
            .collect();
        let mut children: HashMap<Option<i32>, Vec<usize>> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            children.entry(n.parent_id).or_default().push(i);
        }
        for list in children.values_mut() {
            list.sort_by(|&a, &b| {
                let (a, b) = (&nodes[a], &nodes[b]);
                (a.nav_order, a.title.to_lowercase(), a.id).cmp(&(
                    b.nav_order,
                    b.title.to_lowercase(),
                    b.id,
                ))
            });
        }
        let mut publish_times: Vec<NaiveDateTime> = nodes
            .iter()
            .flat_map(|n| n.publish_at.into_iter().chain(n.unpublish_at))
            .collect();
        publish_times.sort();
        let ids: Vec<i32> = nodes.iter().map(|n| n.id).collect();
        let (live_from, live_until) = live_span(&nodes, &ids);
        SiteTree {
            nodes,
            ids,
            by_path,
            children,
            live_from,
            live_until,
            publish_times,
        }
    }

    /// How many publication times have passed at `now`: changes exactly when a scheduled page
    /// goes live, so cached pages and ETags can include it.
    pub fn schedule_epoch(&self, now: NaiveDateTime) -> usize {
        self.publish_times.partition_point(|t| *t <= now)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Live now, and so are all its ancestors (a published page under a draft hub stays hidden).
    fn visible_index(&self, i: usize, now: NaiveDateTime) -> bool {
        self.live_from[i].is_some_and(|t| t <= now) && self.live_until[i].is_none_or(|t| now < t)
    }

    pub fn visible_by_path(&self, path: &str, now: NaiveDateTime) -> Option<&Node> {
        let &i = self.by_path.get(path)?;
        self.visible_index(i, now).then(|| &self.nodes[i])
    }

    pub fn visible_by_id(&self, id: i32, now: NaiveDateTime) -> Option<&Node> {
        let i = index_of(&self.ids, id)?;
        self.visible_index(i, now).then(|| &self.nodes[i])
    }

    /// The next time after `now` a page goes live or leaves the site by itself.
    pub fn next_change_after(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let i = self.publish_times.partition_point(|t| *t <= now);
        self.publish_times.get(i).copied()
    }

    /// Visible children of `parent` (`None`: the top level), in navigation order.
    pub fn children(&self, parent: Option<i32>, now: NaiveDateTime) -> Vec<&Node> {
        self.children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .filter(|&&i| self.visible_index(i, now))
                    .map(|&i| &self.nodes[i])
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn has_children(&self, id: i32, now: NaiveDateTime) -> bool {
        self.children
            .get(&Some(id))
            .is_some_and(|list| list.iter().any(|&i| self.visible_index(i, now)))
    }

    /// Ancestors from the top level down to the parent of `node`.
    pub fn ancestors(&self, node: &Node) -> Vec<&Node> {
        let mut out = Vec::new();
        let mut next = node.parent_id;
        while let Some(i) = next.and_then(|id| index_of(&self.ids, id)) {
            out.push(&self.nodes[i]);
            next = self.nodes[i].parent_id;
        }
        out.reverse();
        out
    }

    /// Top-level pages shown in the main navigation.
    pub fn navigation(&self, now: NaiveDateTime) -> Vec<&Node> {
        self.children(None, now)
            .into_iter()
            .filter(|n| n.in_nav && !n.path().is_empty())
            .collect()
    }

    /// Top-level pages that have visible children.
    pub fn hubs(&self, now: NaiveDateTime) -> Vec<&Node> {
        self.children(None, now)
            .into_iter()
            .filter(|n| self.has_children(n.id, now))
            .collect()
    }

    /// Every visible page, in tree order (parents before children).
    pub fn visible(&self, now: NaiveDateTime) -> Vec<&Node> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<&Node> = self.children(None, now).into_iter().rev().collect();
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.children(Some(n.id), now).into_iter().rev());
        }
        out
    }
}

/// Where the node with `id` is, given every node's id in order.
fn index_of(ids: &[i32], id: i32) -> Option<usize> {
    ids.binary_search(&id).ok()
}

/// For each node, the moment it and all its ancestors are live (see `SiteTree::live_from`).
type Spans = (Vec<Option<NaiveDateTime>>, Vec<Option<NaiveDateTime>>);

/// When each node is visible from (the latest publication time along its ancestry; `None`: an
/// ancestor is missing) and until (the earliest unpublication time; `None`: for good).
fn live_span(nodes: &[Node], ids: &[i32]) -> Spans {
    // A page's path extends its parent's, so going by path depth meets every parent first. Rows
    // that break this (a cycle, a parent deeper than its child: never made by the editor) find
    // their parent not worked out yet and stay hidden.
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| nodes[i].path().matches('/').count());
    let mut live = vec![None; nodes.len()];
    let mut until: Vec<Option<NaiveDateTime>> = vec![None; nodes.len()];
    for i in order {
        let (parent_live, parent_until) = match nodes[i].parent_id {
            None => (Some(NaiveDateTime::MIN), None),
            Some(pid) => match index_of(ids, pid) {
                Some(p) => (live[p], until[p]),
                None => (None, None),
            },
        };
        live[i] = parent_live
            .zip(nodes[i].publish_at)
            .map(|(parent, own)| parent.max(own));
        until[i] = match (parent_until, nodes[i].unpublish_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    (live, until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, day)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    fn node(id: i32, parent: Option<i32>, path: &str, order: i32, live: Option<u32>) -> Node {
        Node {
            id,
            parent_id: parent,
            url: format!("/{path}").into(),
            title: path.into(),
            summary: Text::default(),
            nav_order: order,
            in_nav: parent.is_none(),
            publish_at: live.map(t),
            unpublish_at: None,
            updated_at: t(1),
            image: None,
        }
    }

    #[test]
    fn an_unpublish_time_hides_the_page_and_what_is_under_it() {
        let mut hub = node(1, None, "hub", 1, Some(1));
        hub.unpublish_at = Some(t(5));
        let mut own = node(3, None, "own", 2, Some(1));
        own.unpublish_at = Some(t(8));
        let tree = SiteTree::from_nodes(vec![hub, node(2, Some(1), "hub/a", 1, Some(1)), own]);
        assert!(tree.visible_by_path("hub/a", t(4)).is_some());
        assert!(
            tree.visible_by_path("hub/a", t(5)).is_none(),
            "gone with its hub"
        );
        assert!(tree.visible_by_path("own", t(7)).is_some());
        assert!(tree.visible_by_path("own", t(8)).is_none());
        assert_eq!(
            tree.schedule_epoch(t(6)),
            4,
            "unpublication times move the epoch too"
        );
    }

    #[test]
    fn visibility_follows_the_clock_and_the_ancestors() {
        let tree = SiteTree::from_nodes(vec![
            node(1, None, "hub", 1, Some(1)),
            node(2, Some(1), "hub/a", 2, Some(1)),
            node(3, Some(1), "hub/b", 1, Some(10)),
            node(4, None, "later", 2, Some(10)),
            node(5, Some(4), "later/child", 1, Some(1)),
            node(6, Some(99), "orphan/x", 1, Some(1)),
        ]);
        let now = t(5);
        assert!(tree.visible_by_path("hub/a", now).is_some());
        assert!(
            tree.visible_by_path("hub/b", now).is_none(),
            "scheduled in the future"
        );
        assert!(
            tree.visible_by_path("hub/b", t(10)).is_some(),
            "live at its time"
        );
        assert!(
            tree.visible_by_path("later/child", now).is_none(),
            "parent not live yet"
        );
        assert!(
            tree.visible_by_path("orphan/x", now).is_none(),
            "parent is a draft"
        );
        let kids: Vec<_> = tree.children(Some(1), t(11)).iter().map(|n| n.id).collect();
        assert_eq!(kids, vec![3, 2], "navigation order");
        let all: Vec<_> = tree.visible(t(11)).iter().map(|n| n.id).collect();
        assert_eq!(all, vec![1, 3, 2, 4, 5]);
        assert_eq!(tree.hubs(now).len(), 1);
    }

    #[test]
    fn ids_in_any_order_and_children_older_than_their_parent() {
        // A page moved under a newer hub has a lower id than its parent.
        let tree = SiteTree::from_nodes(vec![
            node(7, Some(9), "b/old", 1, Some(1)),
            node(9, None, "b", 1, Some(1)),
            node(2, Some(9), "b/first", 0, Some(1)),
            node(5, None, "a", 0, Some(1)),
        ]);
        let now = t(5);
        let old = tree
            .visible_by_id(7, now)
            .expect("visible under a live parent");
        assert_eq!(old.path(), "b/old");
        let up: Vec<_> = tree.ancestors(old).iter().map(|n| n.id).collect();
        assert_eq!(up, vec![9]);
        assert!(tree.visible_by_id(3, now).is_none(), "no such id");
        let all: Vec<_> = tree.visible(now).iter().map(|n| n.id).collect();
        assert_eq!(all, vec![5, 9, 2, 7]);
    }
}
