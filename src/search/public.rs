//! `/search?q=`: ranked results with highlighted snippets, paginated; a helpful page for an empty
//! or fruitless query.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::error::AppError;
use crate::pagination::{PageNumber, Pagination};
use crate::search::{self, Query};
use crate::stamp::Stamp;
use crate::state::AppState;
use crate::web::ctx::Ctx;
use crate::web::render;

pub const PER_PAGE: usize = 10;
const SNIPPET_WORDS: usize = 30;

/// A search result as the page shows it: the same shape as a 404 page's suggestions.
pub type Hit = crate::web::error_page::Suggestion;

#[derive(Template)]
#[template(path = "site/search.html")]
pub struct SearchPage {
    pub ctx: Ctx,
    pub q: String,
    /// The query had no usable words.
    pub empty: bool,
    pub hits: Vec<Hit>,
    pub total: usize,
    pub pagination: crate::pagination::Pagination,
}

impl SearchPage {
    pub fn base(&self) -> String {
        format!(
            "/search?{}&",
            serde_urlencoded::to_string([("q", &self.q)]).unwrap_or_default()
        )
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: PageNumber,
}

/// A page of the visible pages matching `q`, best first, each with a snippet; how many there
/// are; and where that page is.
/// The ids of every page matching `q`, drafts included, best first: from the cache of recent
/// searches when this content version answered it already.
pub async fn matching(
    state: &AppState,
    q: &Query,
    stamp: Stamp,
) -> Result<Arc<Vec<i32>>, AppError> {
    let key = format!("{}|{}", q.any, q.fts5());
    if let Some(ids) = state.search_cache.get(&key, stamp) {
        return Ok(ids);
    }
    let query = q.clone();
    let asked = std::time::Instant::now();
    let ids = Arc::new(db::run(&state.pool, move |c| search::search(c, &query)).await?);
    metrics::histogram!("galley_search_duration_seconds").record(asked.elapsed().as_secs_f64());
    state.search_cache.put(key, stamp, Arc::clone(&ids));
    Ok(ids)
}

pub async fn find(
    state: &AppState,
    ctx: &Ctx,
    q: &Query,
    asked: PageNumber,
    per_page: usize,
) -> Result<(Vec<Hit>, usize, Pagination), AppError> {
    let now = ctx.now;
    let ids = matching(state, q, ctx.site.stamp(now)).await?;
    // The database knows each page's own status; the tree also knows whether its hubs are live.
    let visible: Vec<i32> = ids
        .iter()
        .copied()
        .filter(|id| ctx.site.tree.visible_by_id(*id, now).is_some())
        .collect();
    let pagination = Pagination::new(asked, visible.len(), per_page);
    let total = visible.len();
    let shown = pagination.slice(visible);
    let query = q.clone();
    // Ten rows by primary key: a short read.
    let rows = db::read(&state.pool, move |c| search::load(c, &shown)).await?;
    let hits = rows
        .into_iter()
        .map(|r| Hit {
            url: format!("/{}", r.path),
            snippet: search::snippet(&r.body_text, &query, SNIPPET_WORDS),
            title: r.title,
        })
        .collect();
    Ok((hits, total, pagination))
}

pub async fn search_page(
    state: web::Data<AppState>,
    ctx: Ctx,
    params: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let q = Query::parse(&params.q);
    let (hits, total, pagination) = if q.is_empty() {
        (Vec::new(), 0, Pagination::new(params.page, 0, PER_PAGE))
    } else {
        find(&state, &ctx, &q, params.page, PER_PAGE).await?
    };
    let view = SearchPage {
        ctx,
        q: params.q.chars().take(200).collect(),
        empty: q.is_empty(),
        hits,
        total,
        pagination,
    };
    render(&view)
}
