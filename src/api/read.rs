//! The read API (`/api/v1/`): published content as JSON, what visitors can see (published,
//! live, under a visible hub), and with a `pages:read` token drafts and scheduled pages too.
//! Visitors' lists come from the in-memory site tree (no query); a page is one lookup by key.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::caller::Caller;
use crate::api::problem::Problem;
use crate::api::respond::{self, Paging};
use crate::api::shapes::{self, PageDetail, PageSummary};
use crate::content::pages::{self, Page};
use crate::db::schema::pages as pages_table;
use crate::db::{self, DbConnection};
use crate::media::library as media_library;
use crate::media::renditions;
use crate::search::{self, Query};
use crate::snapshot::tree::Node;
use crate::state::AppState;
use crate::validation::FieldErrors;

/// `GET /api/v1/pages` filters, all optional; read by hand so that a bad value is a 422 naming
/// its field, not a bare 400.
#[derive(Deserialize)]
pub struct ListParams {
    hub: Option<String>,
    updated_since: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// What a list may hold: the tree's nodes for visitors, the table's rows for draft readers.
fn node_summary(n: &Node, base_url: &str) -> PageSummary {
    PageSummary {
        id: n.id,
        path: n.url.as_str().to_owned(),
        url: format!("{base_url}{}", n.url.as_str()),
        title: n.title.as_str().to_owned(),
        summary: n.summary.as_str().to_owned(),
        parent_id: n.parent_id,
        status: "published".into(),
        published_at: n.publish_at.map(|t| {
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }),
        updated_at: n
            .updated_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

fn parse_time(field: &'static str, value: &str, errors: &mut FieldErrors) -> Option<NaiveDateTime> {
    match chrono::DateTime::parse_from_rfc3339(value.trim()) {
        Ok(t) => Some(t.naive_utc()),
        Err(_) => {
            errors.add(
                field,
                "Give a time in RFC 3339 form, for example 2026-12-01T09:30:00Z.",
            );
            None
        }
    }
}

/// A hub's path as the API takes it (`/glossary` or `glossary`), without slashes around it.
fn clean_path(path: &str) -> String {
    path.trim().trim_matches('/').to_owned()
}

/// Every page not in the trash, drafts included, without its text (for draft readers' lists).
fn all_summaries(conn: &mut DbConnection) -> QueryResult<Vec<Page>> {
    pages_table::table
        .filter(pages_table::trash_id.is_null())
        .order(pages_table::id.asc())
        .select(Page::as_select())
        .load(conn)
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
    if let Some(hit) = respond::not_modified(&req, &validators, &state) {
        return Ok(hit);
    }
    let mut errors = FieldErrors::default();
    let paging = Paging::parse(
        params.limit.as_deref(),
        params.cursor.as_deref(),
        &mut errors,
    );
    let since = params
        .updated_since
        .as_deref()
        .and_then(|v| parse_time("updated_since", v, &mut errors));
    if !errors.is_empty() {
        return Err(Problem::invalid(&errors));
    }
    let hub = params.hub.as_deref().map(clean_path);
    let base = site.base_url.clone();
    let query = params
        .q
        .as_deref()
        .map(Query::parse)
        .filter(|q| !q.is_empty());
    let drafts = caller.reads_drafts();
    let (found, rows) = db::read(&state.pool, move |c| {
        let found = match &query {
            Some(q) => Some(search::search(c, q)?),
            None => None,
        };
        let rows = if drafts {
            Some(all_summaries(c)?)
        } else {
            None
        };
        Ok::<_, diesel::result::Error>((found, rows))
    })
    .await?;
    let matched: Option<std::collections::HashSet<i32>> =
        found.map(|ids| ids.into_iter().collect());
    let under = |path: &str| match &hub {
        None => true,
        Some(h) if h.is_empty() => true,
        Some(h) => {
            path.len() > h.len() + 1
                && path.starts_with(h.as_str())
                && path.as_bytes()[h.len()] == b'/'
        }
    };
    let keep = |id: i32, path: &str, updated: NaiveDateTime| {
        under(path)
            && since.is_none_or(|s| updated >= s)
            && matched.as_ref().is_none_or(|m| m.contains(&id))
    };
    let all: Vec<PageSummary> = match rows {
        Some(rows) => rows
            .iter()
            .filter(|p| keep(p.id, &p.path, p.updated_at))
            .map(|p| PageSummary::of(p, &base))
            .collect(),
        None => {
            let mut nodes: Vec<&Node> = site.tree.visible(now);
            nodes.sort_unstable_by_key(|n| n.id);
            nodes
                .into_iter()
                .filter(|n| keep(n.id, n.path(), n.updated_at))
                .map(|n| node_summary(n, &base))
                .collect()
        }
    };
    let (page, meta) = paging.take(all, |s| s.id);
    respond::json_list(&req, &state, &validators, page, meta)
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

#[derive(Deserialize)]
pub struct ByPath {
    path: Option<String>,
}

/// `GET /api/v1/pages/by-path?path=/glossary/slug`.
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
    if let Some(hit) = respond::not_modified(req, &validators, state) {
        return Ok(hit);
    }
    let drafts = caller.reads_drafts();
    // Visitors: the tree says what is visible (hubs and schedules included) before any query.
    let id = match (&lookup, drafts) {
        (Lookup::Id(id), false) => site.tree.visible_by_id(*id, now).map(|n| n.id),
        (Lookup::Path(p), false) => site.tree.visible_by_path(p, now).map(|n| n.id),
        _ => None,
    };
    if !drafts && id.is_none() {
        return Err(Problem::not_found("There is no published page here."));
    }
    let found = db::read(&state.pool, move |c| {
        let page = match (id, lookup) {
            (Some(id), _) | (None, Lookup::Id(id)) => pages_table::table
                .find(id)
                .filter(pages_table::trash_id.is_null())
                .select(Page::as_select())
                .first(c)
                .optional()?,
            (None, Lookup::Path(p)) => pages_table::table
                .filter(pages_table::path.eq(p))
                .filter(pages_table::trash_id.is_null())
                .select(Page::as_select())
                .first(c)
                .optional()?,
        };
        let children: Vec<(i32, i32, String)> = match &page {
            Some(p) if drafts => pages_table::table
                .filter(pages_table::parent_id.eq(p.id))
                .filter(pages_table::trash_id.is_null())
                .select((pages_table::id, pages_table::nav_order, pages_table::title))
                .load(c)?,
            _ => Vec::new(),
        };
        Ok::<_, diesel::result::Error>((page, children))
    })
    .await?;
    let (Some(page), mut children) = found else {
        return Err(Problem::not_found("There is no page here."));
    };
    // The row is what the tree found, unless another instance changed it since (a second).
    if !drafts && (page.status == pages::Status::Draft.as_str() || !live(&page, now)) {
        return Err(Problem::not_found("There is no published page here."));
    }
    let child_ids = if drafts {
        children.sort_by_key(|c| (c.1, c.2.to_lowercase(), c.0));
        children.into_iter().map(|c| c.0).collect()
    } else {
        site.tree
            .children(Some(page.id), now)
            .iter()
            .map(|n| n.id)
            .collect()
    };
    let body = PageDetail::of(page, &site.tree, child_ids, &site.base_url);
    respond::json(req, state, &validators, &body)
}

fn live(page: &Page, now: NaiveDateTime) -> bool {
    page.publish_at.is_some_and(|t| t <= now) && page.unpublish_at.is_none_or(|t| now < t)
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
    if let Some(hit) = respond::not_modified(&req, &validators, &state) {
        return Ok(hit);
    }
    #[derive(Serialize)]
    struct Tree {
        data: Vec<shapes::TreeNode>,
    }
    let body = Tree {
        data: shapes::tree_of(&site.tree, None, now),
    };
    respond::json(&req, &state, &validators, &body)
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct Hit {
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
    if let Some(hit) = respond::not_modified(&req, &validators, &state) {
        return Ok(hit);
    }
    let mut errors = FieldErrors::default();
    let paging = Paging::parse(
        params.limit.as_deref(),
        params.cursor.as_deref(),
        &mut errors,
    );
    let q = Query::parse(params.q.as_deref().unwrap_or_default());
    if q.is_empty() {
        errors.add("q", "Give one or more words to search for.");
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(&errors));
    }
    let drafts = caller.reads_drafts();
    let query = q.clone();
    let ids = db::read(&state.pool, move |c| search::search(c, &query)).await?;
    let ids: Vec<i32> = if drafts {
        ids
    } else {
        ids.into_iter()
            .filter(|id| site.tree.visible_by_id(*id, now).is_some())
            .collect()
    };
    // Ranked, so the cursor is a position: this list is made anew for each request.
    let positions: Vec<(usize, i32)> = ids.into_iter().enumerate().collect();
    let (window, meta) = paging.take_ranked(positions);
    let wanted: Vec<i32> = window.to_vec();
    let (rows, texts) = db::read(&state.pool, move |c| {
        let rows: Vec<Page> = pages_table::table
            .filter(pages_table::id.eq_any(&wanted))
            .filter(pages_table::trash_id.is_null())
            .select(Page::as_select())
            .load(c)?;
        let texts = search::load(c, &wanted)?;
        Ok::<_, diesel::result::Error>((rows, texts))
    })
    .await?;
    let by_id: HashMap<i32, &Page> = rows.iter().map(|p| (p.id, p)).collect();
    let data: Vec<Hit> = texts
        .iter()
        .filter_map(|t| {
            by_id.get(&t.id).map(|p| Hit {
                page: PageSummary::of(p, &site.base_url),
                snippet: search::snippet(&t.body_text, &q, 30).as_str().to_owned(),
            })
        })
        .collect();
    respond::json_list(&req, &state, &validators, data, meta)
}

#[derive(Serialize)]
struct MediaBody {
    id: i32,
    kind: String,
    mime: String,
    title: String,
    alt: String,
    caption: String,
    credit: String,
    width: Option<i32>,
    height: Option<i32>,
    byte_size: i64,
    url: String,
    renditions: Vec<Rendition>,
    updated_at: String,
}

#[derive(Serialize)]
struct Rendition {
    /// `original`, `w640` (a width), `fill-…` (a crop), as in the address.
    spec: String,
    format: &'static str,
    url: String,
}

/// `GET /api/v1/media/{id}`: a file's details and the addresses of its sizes.
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
    if let Some(hit) = respond::not_modified(&req, &validators, &state) {
        return Ok(hit);
    }
    let file = db::read(&state.pool, move |c| media_library::find(c, id))
        .await?
        .ok_or_else(|| Problem::not_found("There is no file with this id."))?;
    let widths = state.config.rendition_widths();
    let base = &site.base_url;
    let renditions = renditions::standard(&file, &widths)
        .into_iter()
        .map(|(spec, encoding)| Rendition {
            url: format!("{base}{}", file.url(&spec.name(), encoding.ext())),
            spec: spec.name(),
            format: encoding.ext(),
        })
        .collect();
    let body = MediaBody {
        url: format!("{base}{}", file.original_url()),
        renditions,
        updated_at: file
            .updated_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        id: file.id,
        kind: file.kind,
        mime: file.mime,
        title: file.title,
        alt: file.alt,
        caption: file.caption,
        credit: file.credit,
        width: file.width,
        height: file.height,
        byte_size: file.byte_size,
    };
    respond::json(&req, &state, &validators, &body)
}

/// Anything else under `/api/v1/`: a problem, not the site's HTML 404.
pub async fn unknown(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Err(Problem::not_found(format!(
        "There is no API endpoint {} {}: see the README's API section.",
        req.method(),
        req.path()
    )))
}
