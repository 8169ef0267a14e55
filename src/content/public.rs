//! What visitors reach: the home page and every page by its path.

use actix_web::http::{Method, header};

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::caches::Validators;
use crate::content::views::{HomeView, PageView};
use crate::content::{pages, redirects, trash};
use crate::db;
use crate::error::AppError;
use crate::search::{self, Query};
use crate::snapshot::tree::{Node, SiteTree};
use crate::state::AppState;
use crate::web::conditional::{self, not_modified, respond, respond_not_modified};
use crate::web::ctx::Ctx;
use crate::web::error_page::ErrorPage;
use crate::web::{render, render_status};
use actix_web::http::StatusCode;

/// `/`: the page chosen in the settings, else the page with the empty path, else a listing.
pub async fn home(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
) -> Result<HttpResponse, AppError> {
    let site = ctx.site.clone();
    let node = site
        .settings
        .home_page_id
        .and_then(|id| site.tree.visible_by_id(id, ctx.now))
        .or_else(|| site.tree.visible_by_path("", ctx.now));
    match node {
        Some(node) => show(&req, &state, ctx, &site.tree, node, true).await,
        None => render(&HomeView::new(ctx, &site.tree)),
    }
}

/// `/{path}`: a page or hub, found in the in-memory tree, its body fetched by one indexed query.
pub async fn show_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
) -> Result<HttpResponse, AppError> {
    // The default service takes every method; pages answer only reads.
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok(HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .finish());
    }
    // The path as actix decoded it (percent-escapes undone, except those of `/`, `%` and `+`).
    let raw = req
        .match_info()
        .as_str()
        .strip_prefix('/')
        .unwrap_or_default();
    let clean = raw.trim_matches('/');
    if clean != raw {
        // One address per page: `/glossary/` and `//glossary` redirect to `/glossary`.
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, format!("/{clean}")))
            .finish());
    }
    let site = ctx.site.clone();
    match site.tree.visible_by_path(clean, ctx.now) {
        Some(node) => show(&req, &state, ctx, &site.tree, node, false).await,
        None => follow_redirect(&state, ctx, clean).await,
    }
}

/// A path with no page: a 301 if a redirect was left there (a moved or deleted page), else a 404
/// that suggests pages found by searching for the words of the path.
async fn follow_redirect(state: &AppState, ctx: Ctx, path: &str) -> Result<HttpResponse, AppError> {
    let from = path.to_owned();
    let (redirect, gone) = db::run(&state.pool, move |c| {
        let to = redirects::follow(c, &from)?;
        let gone = to.is_none() && trash::is_gone(c, &from)?;
        Ok::<_, diesel::result::Error>((to, gone))
    })
    .await?;
    if gone {
        return render_status(StatusCode::GONE, &ErrorPage::gone(ctx));
    }
    if let Some(to) = redirect {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((
                header::LOCATION,
                crate::web::encode_location(&redirects::location(&to)).as_ref(),
            ))
            .finish());
    }
    let suggestions = search::public::find(
        state,
        &ctx,
        &Query::suggestions_for(path),
        crate::pagination::PageNumber(1),
        5,
    )
    .await?
    .0;
    render_status(
        StatusCode::NOT_FOUND,
        &ErrorPage::not_found(ctx, suggestions),
    )
}

/// A visible page: from the cache when this content version already rendered it, else one
/// indexed query and a template render (then cached). Answers conditional requests with 304.
async fn show(
    req: &HttpRequest,
    state: &AppState,
    ctx: Ctx,
    tree: &SiteTree,
    node: &Node,
    is_home: bool,
) -> Result<HttpResponse, AppError> {
    let stamp = ctx.site.stamp(ctx.now);
    let key = if is_home { "" } else { node.path() };
    // A cached page carries its validators and answers conditional requests itself.
    if let Some(entry) = state.page_cache.get(key, stamp) {
        return Ok(respond(req, &entry));
    }
    let validators = Validators::new(stamp, node.id, node.updated_at);
    if not_modified(req, &validators) {
        return Ok(respond_not_modified(&validators));
    }
    let (id, now) = (node.id, ctx.now);
    let page = db::read(&state.pool, move |c| pages::find_public(c, id, now))
        .await?
        .ok_or(AppError::NotFound)?;
    let view = PageView::new(ctx, tree, node, page, is_home);
    // Sized for the whole page up front: growing a String in steps copies the body each time.
    let mut html = String::with_capacity(view.body.as_str().len() + 24 * 1024);
    view.render_into(&mut html)?;
    Ok(conditional::store_and_respond(
        &state.page_cache,
        req,
        key,
        stamp,
        html,
        validators,
    ))
}
