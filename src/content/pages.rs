//! Pages: the model and its queries (saving them is `content::saving`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{page_lists, pages};
use crate::html::SafeHtml;
pub use crate::validation::FieldErrors;

pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 320;
pub const MAX_BODY: usize = 500_000;
/// Where the trash keeps its pages' paths.
pub const TRASH_PREFIX: &str = ".trash/";

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = pages)]
pub struct Page {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub slug: String,
    pub path: String,
    pub title: String,
    pub summary: String,
    pub seo_title: Option<String>,
    pub body_md: String,
    pub body_html: String,
    pub toc_html: String,
    pub faq_json: String,
    pub renderer_version: i32,
    pub status: String,
    pub publish_at: Option<NaiveDateTime>,
    pub nav_order: i32,
    pub in_nav: bool,
    pub version: i32,
    pub author_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Paths an editor pinned as related, one per line.
    pub related_pins: String,
    /// The featured image (a media id), and what pages print of it (`media::markup::Picture`).
    pub image_id: Option<i32>,
    pub image_json: String,
    /// When the page leaves the site by itself.
    pub unpublish_at: Option<NaiveDateTime>,
    /// Who created it (authors edit their own drafts).
    pub owner_id: Option<i32>,
}

/// What a visitor's page view reads from the database: what the site tree does not hold (the
/// tree has the page's title, summary, address and dates). No Markdown source, no bookkeeping.
/// Just after another instance saved the page, the row can be newer than this instance's tree
/// for up to the change poller's second; the view pairs them, as it does the navigation.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = pages)]
pub struct PublicPage {
    pub id: i32,
    pub seo_title: Option<String>,
    pub body_html: String,
    pub toc_html: String,
    /// The FAQ's schema.org JSON-LD (see `faq::faq_questions`).
    pub faq_json: String,
    pub related_pins: String,
    pub image_json: String,
    /// "Pages that link here" and the computed related pages (`links`): kept beside the page,
    /// `None` when it has neither.
    #[diesel(select_expression = page_lists::backlinks_json.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<page_lists::backlinks_json>)]
    pub backlinks_json: Option<String>,
    #[diesel(select_expression = page_lists::related_json.nullable())]
    #[diesel(select_expression_type = diesel::dsl::Nullable<page_lists::related_json>)]
    pub related_json: Option<String>,
}

impl PublicPage {
    pub fn body(&self) -> SafeHtml {
        SafeHtml::from_sanitised(self.body_html.clone())
    }

    /// The stored body and table of contents, moved out (no copy on the page-view path).
    pub fn take_html(&mut self) -> (SafeHtml, SafeHtml) {
        (
            SafeHtml::from_sanitised(std::mem::take(&mut self.body_html)),
            SafeHtml::from_sanitised(std::mem::take(&mut self.toc_html)),
        )
    }

    /// The ids of the pages that link here (no row of lists: none).
    pub fn backlink_ids(&self) -> Vec<i32> {
        let stored = self.backlinks_json.as_deref().unwrap_or("[]");
        let list: Vec<crate::content::links::Backlink> =
            serde_json::from_str(stored).unwrap_or_default();
        list.into_iter().map(|b| b.id).collect()
    }

    /// The ids of the computed related pages, best first (no row of lists: none).
    pub fn related_ids(&self) -> Vec<i32> {
        serde_json::from_str(self.related_json.as_deref().unwrap_or("[]")).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Published,
    Scheduled,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Draft, Status::Published, Status::Scheduled];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => crate::snapshot::tree::DRAFT,
            Status::Published => "published",
            Status::Scheduled => "scheduled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A page as an editor or an import describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageInput {
    pub parent_id: Option<i32>,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub seo_title: Option<String>,
    pub body_md: String,
    pub status: Status,
    pub publish_at: Option<NaiveDateTime>,
    pub nav_order: i32,
    pub in_nav: bool,
    /// Related pages an editor pinned: site paths, one per line.
    pub related_pins: String,
    /// The featured image: a media id.
    pub image_id: Option<i32>,
    /// When the page leaves the site by itself (`None`: it stays).
    pub unpublish_at: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Page> {
    pages::table
        .find(id)
        .select(Page::as_select())
        .get_result(conn)
}

pub fn find_by_path(conn: &mut DbConnection, path: &str) -> QueryResult<Option<Page>> {
    // On the concrete connection (see `find_public`): an import asks this of every page.
    crate::with_backend!(conn, |c| pages::table
        .filter(pages::path.eq(path))
        .select(Page::as_select())
        .get_result(c)
        .optional())
}

/// The id of the page at `path`, reading nothing else of it.
pub fn id_by_path(conn: &mut DbConnection, path: &str) -> QueryResult<Option<i32>> {
    crate::with_backend!(conn, |c| pages::table
        .filter(pages::path.eq(path))
        .select(pages::id)
        .get_result(c)
        .optional())
}

/// The page `id` if visitors may see it now (its own status; ancestors are checked by the site
/// tree). One lookup by the table's key.
pub fn find_public(
    conn: &mut DbConnection,
    id: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<PublicPage>> {
    // On the concrete connection: through the multi-backend connection Diesel writes the SQL
    // out again on every call to find the prepared statement; here the query's type finds it.
    // Not `.first()`: SQLite re-prepares a statement with a bound LIMIT every time it runs (it
    // plans with the limit's value), and the id is unique anyway.
    crate::with_backend!(conn, |c| {
        pages::table
            .left_join(page_lists::table)
            .filter(pages::id.eq(id))
            .filter(pages::status.ne(Status::Draft.as_str()))
            .filter(pages::publish_at.le(now))
            .filter(
                pages::unpublish_at
                    .is_null()
                    .or(pages::unpublish_at.gt(now)),
            )
            .filter(pages::trash_id.is_null())
            .select(PublicPage::as_select())
            .get_result(c)
            .optional()
    })
}

/// Public pages by id, for the feed.
pub fn find_public_many(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<PublicPage>> {
    pages::table
        .left_join(page_lists::table)
        .filter(pages::id.eq_any(ids))
        .select(PublicPage::as_select())
        .load(conn)
}

/// Every page, parents before children (by path), for export and the admin.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Page>> {
    pages::table
        .filter(pages::trash_id.is_null())
        .order(pages::path.asc())
        .select(Page::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    pages::table.count().get_result(conn)
}

pub fn path_taken(conn: &mut DbConnection, path: &str, except: Option<i32>) -> QueryResult<bool> {
    let mut q = pages::table
        .filter(pages::path.eq(path))
        .select(pages::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(pages::id.ne(id));
    }
    Ok(q.get_result::<i32>(conn).optional()?.is_some())
}

impl Page {
    /// The pinned related pages as the editor writes them: `/a/b`, one each.
    pub fn pinned_urls(&self) -> impl Iterator<Item = String> + '_ {
        self.related_pins.lines().map(|p| format!("/{p}"))
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }

    /// In the trash (its path is `.trash/{id}/…` until it is restored).
    pub fn in_trash(&self) -> bool {
        self.path.starts_with(TRASH_PREFIX)
    }

    /// Whether visitors may see the page at `now` by its own status and times (its hubs are the
    /// site tree's to say).
    pub fn live_at(&self, now: NaiveDateTime) -> bool {
        self.status() != Status::Draft
            && !self.in_trash()
            && self.publish_at.is_some_and(|t| t <= now)
            && self.unpublish_at.is_none_or(|t| now < t)
    }

    /// The page as input, for forms and for comparing an import with what is stored.
    pub fn to_input(&self) -> PageInput {
        PageInput {
            parent_id: self.parent_id,
            slug: self.slug.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            seo_title: self.seo_title.clone(),
            body_md: self.body_md.clone(),
            status: self.status(),
            publish_at: self.publish_at,
            nav_order: self.nav_order,
            in_nav: self.in_nav,
            related_pins: self.related_pins.clone(),
            image_id: self.image_id,
            unpublish_at: self.unpublish_at,
        }
    }
}

/// A page as the back-office list shows it (its fields in the order `list_for_admin` selects).
#[derive(Queryable, Debug, Clone)]
pub struct ListedPage {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub title: String,
    pub path: String,
    pub status: String,
    pub publish_at: Option<NaiveDateTime>,
    pub nav_order: i32,
    pub updated_at: NaiveDateTime,
    pub author: Option<String>,
    pub owner_id: Option<i32>,
    /// `in_review` or `changes_requested` (`content::review`); `None`: not in review.
    pub review_state: Option<String>,
}

/// Every page with its author's e-mail, in tree order (parents first, siblings in navigation
/// order), with each page's depth.
pub fn list_for_admin(conn: &mut DbConnection) -> QueryResult<Vec<(ListedPage, usize)>> {
    use crate::db::schema::{page_review_states, users};
    let listed: Vec<ListedPage> = pages::table
        .left_join(users::table)
        .left_join(page_review_states::table)
        .filter(pages::trash_id.is_null())
        .select((
            pages::id,
            pages::parent_id,
            pages::title,
            pages::path,
            pages::status,
            pages::publish_at,
            pages::nav_order,
            pages::updated_at,
            users::email.nullable(),
            pages::owner_id,
            page_review_states::state.nullable(),
        ))
        .load(conn)?;
    Ok(tree_order(listed))
}

fn tree_order(mut all: Vec<ListedPage>) -> Vec<(ListedPage, usize)> {
    all.sort_by(|a, b| {
        (a.nav_order, a.title.to_lowercase(), a.id).cmp(&(
            b.nav_order,
            b.title.to_lowercase(),
            b.id,
        ))
    });
    let ids: std::collections::HashSet<i32> = all.iter().map(|p| p.id).collect();
    let mut children: std::collections::HashMap<Option<i32>, Vec<ListedPage>> = Default::default();
    for p in all {
        // A page whose parent is missing (cannot happen with the foreign key) still shows up.
        let key = p.parent_id.filter(|id| ids.contains(id));
        children.entry(key).or_default().push(p);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(ListedPage, usize)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|p| (p, 0))
        .collect();
    while let Some((page, depth)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(page.id)) {
            stack.extend(kids.into_iter().rev().map(|k| (k, depth + 1)));
        }
        out.push((page, depth));
    }
    out
}
