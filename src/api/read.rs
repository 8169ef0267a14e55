//! The read API (`/api/v1/`): published content as JSON, what visitors can see (published,
//! live, under a visible hub), and with a `pages:read` token drafts and scheduled pages too.
//! Visitors' lists come from the in-memory site tree (no query); a page is one lookup by key.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::Caller;
use crate::api::documents;
use crate::api::problem::Problem;
use crate::api::respond::{self, Order, Paging};
use crate::api::shapes::{self, ListedPage, PageDetail, PageSummary};
use crate::content::pages::{self, Page};
use crate::db::schema::pages as pages_table;
use crate::db::{self, DbConnection};
use crate::media::library as media_library;
use crate::search::{self, Query};
use crate::snapshot::tree::Node;
use crate::state::AppState;
use crate::validation::FieldErrors;

/// `GET /api/v1/pages` filters, all optional; read by hand so that a bad value is a 422 naming
/// its field, not a bare 400.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only the pages right under this hub (a path: `/glossary`).
    hub: Option<String>,
    /// Only pages changed at or after this time (RFC 3339).
    updated_since: Option<String>,
    /// Only pages the site search finds for these words.
    q: Option<String>,
    /// How many to answer: 20 unless given, at most 100 (more is clamped, and `meta` says so).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
    /// Where to go on: the `next_cursor` of the previous part.
    cursor: Option<String>,
}

/// A path as the API takes it (`/glossary` or `glossary`), without slashes around it.
fn clean_path(path: &str) -> String {
    path.trim().trim_matches('/').to_owned()
}

/// What a draft reader's list shows of the pages (no text), filtered in the database, one more
/// than the limit after the cursor; and how many match in all.
fn draft_list(
    conn: &mut DbConnection,
    hub: Option<&str>,
    since: Option<NaiveDateTime>,
    ids: Option<&[i32]>,
    paging: &Paging,
) -> QueryResult<(Vec<ListedPage>, i64)> {
    let filtered = || {
        let mut q = pages_table::table
            .filter(pages_table::trash_id.is_null())
            .into_boxed();
        if let Some(h) = hub.filter(|h| !h.is_empty()) {
            let prefix = format!("{}/%", crate::db::escape_like(h));
            q = q.filter(pages_table::path.like(prefix).escape('\\'));
        }
        if let Some(t) = since {
            q = q.filter(pages_table::updated_at.ge(t));
        }
        if let Some(ids) = ids {
            q = q.filter(pages_table::id.eq_any(ids.to_vec()));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let after = i32::try_from(paging.after()).unwrap_or(i32::MAX);
    let rows = filtered()
        .filter(pages_table::id.gt(after))
        .order(pages_table::id.asc())
        .limit(paging.limit() as i64 + 1)
        .select(ListedPage::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// `GET /api/v1/pages`: pages by id, `limit` at a time (`cursor` from `meta.pagination`),
/// filtered by `hub` (pages under that path), `updated_since` and `q` (the site search).
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    web::Query(params): web::Query<ListParams>,
) -> Result<HttpResponse, Problem> {
    let site = state.site.current();
    let now = crate::clock::now();
    let validators = respond::validators(&req, &site, now, &caller);
    if let Some(hit) = respond::not_modified(&req, &validators) {
        return Ok(hit);
    }
    let mut errors = FieldErrors::default();
    let paging = Paging::parse(
        params.limit.as_deref(),
        params.cursor.as_deref(),
        Order::ById,
        &mut errors,
    );
    let since = params
        .updated_since
        .as_deref()
        .and_then(|v| respond::time("updated_since", v, &mut errors));
    let query = params.q.as_deref().map(Query::parse);
    if query.as_ref().is_some_and(Query::is_empty) {
        errors.add("q", "Give one or more words to search for, or leave q out.");
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(&errors));
    }
    let hub = params.hub.as_deref().map(clean_path);
    let matched = match &query {
        Some(q) => Some(search::public::matching(&state, q, site.stamp(now)).await?),
        None => None,
    };
    let base = site.base_url.clone();
    if caller.reads_drafts() {
        let (rows, meta) = db::run(&state.pool, move |c| {
            draft_list(
                c,
                hub.as_deref(),
                since,
                matched.as_deref().map(Vec::as_slice),
                &paging,
            )
            .map(|(rows, total)| (rows, total, paging))
        })
        .await
        .map(|(rows, total, paging)| {
            paging.finish(usize::try_from(total).unwrap_or(0), rows, |r| r.id)
        })?;
        let data: Vec<PageSummary> = rows
            .iter()
            .map(|r| PageSummary::of_listed(r, &base))
            .collect();
        return respond::json_list(&req, &validators, data, meta);
    }
    let matched: Option<std::collections::HashSet<i32>> =
        matched.map(|ids| ids.iter().copied().collect());
    let under = |path: &str| match hub.as_deref() {
        None | Some("") => true,
        Some(h) => path
            .strip_prefix(h)
            .is_some_and(|rest| rest.starts_with('/')),
    };
    let mut nodes: Vec<&Node> = site.tree.visible(now);
    nodes.sort_unstable_by_key(|n| n.id);
    let all: Vec<&Node> = nodes
        .into_iter()
        .filter(|n| {
            under(n.path())
                && since.is_none_or(|s| n.updated_at >= s)
                && matched.as_ref().is_none_or(|m| m.contains(&n.id))
        })
        .collect();
    let (part, meta) = paging.take(all, |n| n.id);
    let data: Vec<PageSummary> = part
        .iter()
        .map(|n| PageSummary::of_node(n, &base))
        .collect();
    respond::json_list(&req, &validators, data, meta)
}

/// `GET /api/v1/pages/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let Ok(id) = id.parse::<i32>() else {
        return Err(Problem::not_found("There is no page with this id."));
    };
    detail(&req, &state, &caller, Lookup::Id(id)).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByPath {
    /// The page's path, `/glossary/slug` (`/`: the home page).
    path: Option<String>,
}

/// `GET /api/v1/pages/by-path?path=/glossary/slug` (`/`: the home page).
pub async fn by_path(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    web::Query(q): web::Query<ByPath>,
) -> Result<HttpResponse, Problem> {
    let Some(path) = q.path else {
        let mut errors = FieldErrors::default();
        errors.add("path", "Give the page's path, for example /glossary/slug.");
        return Err(Problem::invalid(&errors));
    };
    detail(&req, &state, &caller, Lookup::Path(clean_path(&path))).await
}

enum Lookup {
    Id(i32),
    Path(String),
}

async fn detail(
    req: &HttpRequest,
    state: &AppState,
    caller: &Caller,
    lookup: Lookup,
) -> Result<HttpResponse, Problem> {
    let site = state.site.current();
    let now = crate::clock::now();
    let validators = respond::validators(req, &site, now, caller);
    if let Some(hit) = respond::not_modified(req, &validators) {
        return Ok(hit);
    }
    let drafts = caller.reads_drafts();
    // Visitors: the tree says what is visible (hubs and schedules included) before any query.
    let visible = |lookup: &Lookup| match lookup {
        Lookup::Id(id) => site.tree.visible_by_id(*id, now),
        Lookup::Path(p) if p.is_empty() => site
            .settings
            .home_page_id
            .and_then(|id| site.tree.visible_by_id(id, now))
            .or_else(|| site.tree.visible_by_path("", now)),
        Lookup::Path(p) => site.tree.visible_by_path(p, now),
    };
    let id = if drafts {
        None
    } else {
        Some(
            visible(&lookup)
                .map(|n| n.id)
                .ok_or_else(|| Problem::not_found("There is no published page here."))?,
        )
    };
    let found = db::run(&state.pool, move |c| {
        let query = pages_table::table
            .filter(pages_table::trash_id.is_null())
            .select(Page::as_select());
        let page: Option<Page> = match (id, lookup) {
            (Some(id), _) | (None, Lookup::Id(id)) => query
                .filter(pages_table::id.eq(id))
                .get_result(c)
                .optional()?,
            (None, Lookup::Path(p)) => query
                .filter(pages_table::path.eq(p))
                .get_result(c)
                .optional()?,
        };
        let Some(page) = page else {
            return Ok::<_, diesel::result::Error>(None);
        };
        let above = documents::ancestors(c, &page.path)?;
        let author = documents::author(c, &page)?;
        let children = if drafts {
            documents::children(c, page.id)?
        } else {
            Vec::new()
        };
        Ok(Some((page, above, children, author)))
    })
    .await?;
    let Some((mut page, above, children, author)) = found else {
        return Err(Problem::not_found("There is no page here."));
    };
    let child_ids = if drafts {
        children
    } else {
        // The row is what the tree found, unless another instance changed it since (a second).
        if !page.live_at(now) {
            return Err(Problem::not_found("There is no published page here."));
        }
        // To visitors a page they can see is published, however it got there.
        page.status = pages::Status::Published.as_str().to_owned();
        site.tree
            .children(Some(page.id), now)
            .iter()
            .map(|n| n.id)
            .collect()
    };
    let body = PageDetail::of(page, &above, child_ids, author, &site.base_url);
    respond::json(&validators, &body)
}

/// `GET /api/v1/tree`: the navigation tree as visitors see it.
pub async fn tree(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, Problem> {
    let site = state.site.current();
    let now = crate::clock::now();
    let validators = respond::validators(&req, &site, now, &caller);
    if let Some(hit) = respond::not_modified(&req, &validators) {
        return Ok(hit);
    }
    let body = Tree {
        data: shapes::tree_of(&site.tree, None, now),
    };
    respond::json(&validators, &body)
}

/// The navigation tree.
#[derive(Serialize, ToSchema)]
pub struct Tree {
    data: Vec<shapes::TreeNode>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to look for.
    q: Option<String>,
    /// How many to answer: 20 unless given, at most 100 (more is clamped, and `meta` says so).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
    /// Where to go on: the `next_cursor` of the previous part.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Hit {
    #[serde(flatten)]
    page: PageSummary,
    /// About 30 words of the page's text around the first match, as HTML with the matches in
    /// `<mark>` (everything else escaped).
    snippet: String,
}

/// `GET /api/v1/search?q=`: the site search, best first, over the pages the caller may see.
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    web::Query(params): web::Query<SearchParams>,
) -> Result<HttpResponse, Problem> {
    let site = state.site.current();
    let now = crate::clock::now();
    let validators = respond::validators(&req, &site, now, &caller);
    if let Some(hit) = respond::not_modified(&req, &validators) {
        return Ok(hit);
    }
    let mut errors = FieldErrors::default();
    let paging = Paging::parse(
        params.limit.as_deref(),
        params.cursor.as_deref(),
        Order::Ranked,
        &mut errors,
    );
    let q = Query::parse(params.q.as_deref().unwrap_or_default());
    if q.is_empty() {
        errors.add("q", "Give one or more words to search for.");
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(&errors));
    }
    let found = search::public::matching(&state, &q, site.stamp(now)).await?;
    let drafts = caller.reads_drafts();
    let ids: Vec<i32> = if drafts {
        // The index holds pages in the trash too: left out before counting.
        let all = found.to_vec();
        let kept: std::collections::HashSet<i32> = db::run(&state.pool, move |c| {
            pages_table::table
                .filter(pages_table::id.eq_any(all))
                .filter(pages_table::trash_id.is_null())
                .select(pages_table::id)
                .load::<i32>(c)
        })
        .await?
        .into_iter()
        .collect();
        found
            .iter()
            .copied()
            .filter(|id| kept.contains(id))
            .collect()
    } else {
        found
            .iter()
            .copied()
            .filter(|id| site.tree.visible_by_id(*id, now).is_some())
            .collect()
    };
    let (window, meta) = paging.take_ranked(ids);
    let wanted = window.clone();
    let (rows, texts) = db::run(&state.pool, move |c| {
        let rows: Vec<ListedPage> = pages_table::table
            .filter(pages_table::id.eq_any(&wanted))
            .select(ListedPage::as_select())
            .load(c)?;
        let texts = search::load(c, &wanted)?;
        Ok::<_, diesel::result::Error>((rows, texts))
    })
    .await?;
    let by_id: HashMap<i32, &ListedPage> = rows.iter().map(|p| (p.id, p)).collect();
    let data: Vec<Hit> = texts
        .iter()
        .filter_map(|t| {
            let row = by_id.get(&t.id)?;
            let mut page = PageSummary::of_listed(row, &site.base_url);
            if !drafts {
                page.status = pages::Status::Published.as_str().to_owned();
            }
            Some(Hit {
                page,
                snippet: search::snippet(&t.body_text, &q, 30).as_str().to_owned(),
            })
        })
        .collect();
    respond::json_list(&req, &validators, data, meta)
}

/// `GET /api/v1/media/{id}`: a file's details and the addresses of its sizes (files are public,
/// as their addresses are).
pub async fn media(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let Ok(id) = id.parse::<i32>() else {
        return Err(Problem::not_found("There is no file with this id."));
    };
    let site = state.site.current();
    let validators = respond::validators(&req, &site, crate::clock::now(), &caller);
    if let Some(hit) = respond::not_modified(&req, &validators) {
        return Ok(hit);
    }
    let file = db::run(&state.pool, move |c| media_library::find(c, id))
        .await?
        .ok_or_else(|| Problem::not_found("There is no file with this id."))?;
    let body = documents::media(file, &state.config.rendition_widths(), &site.base_url);
    respond::json(&validators, &body)
}

/// Anything else under `/api/v1/`: a problem, not the site's HTML 404.
pub async fn unknown(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Err(Problem::not_found(format!(
        "There is no API endpoint {} {}: see the README's API section.",
        req.method(),
        req.path()
    )))
}
