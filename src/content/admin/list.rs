//! The pages list: the tree of pages with filters, search and pagination.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Editor, Staff};
use crate::content::admin_views::*;
use crate::content::pages::{self, Status};
use crate::db::{self};
use crate::error::AppError;
use crate::pagination::{PageNumber, Pagination};
use crate::search::{self, Query};
use crate::state::AppState;
use crate::web::render;

const PER_PAGE: usize = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    hub: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: PageNumber,
}

pub async fn list_pages(
    ed: Staff,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut all = db::run(&state.pool, pages::list_for_admin).await?;
    if !ed.is_editor() {
        // An author's list is what they wrote.
        all.retain(|(p, _)| p.owner_id == Some(ed.user.id));
    }
    let now = ed.ctx.now;
    let hubs: Vec<ParentOption> = {
        let parents: std::collections::HashSet<i32> =
            all.iter().filter_map(|(p, _)| p.parent_id).collect();
        all.iter()
            .filter(|(p, _)| parents.contains(&p.id))
            .map(|(p, _)| ParentOption {
                id: p.id,
                label: p.title.clone(),
            })
            .collect()
    };
    let hub: Option<i32> = query.hub.parse().ok();
    // The same full-text search as the public site, over every page, drafts included.
    let q = Query::parse(&query.q);
    let ranked: Option<Vec<i32>> = if q.is_empty() {
        None
    } else {
        let q = q.clone();
        Some(db::run(&state.pool, move |c| search::search(c, &q)).await?)
    };
    let tree = query.status.is_empty() && hub.is_none() && ranked.is_none() && ed.is_editor();
    if let Some(ids) = &ranked {
        let rank: std::collections::HashMap<i32, usize> =
            ids.iter().enumerate().map(|(r, id)| (*id, r)).collect();
        all.retain(|(p, _)| rank.contains_key(&p.id));
        all.sort_by_key(|(p, _)| rank[&p.id]);
    }
    let rows: Vec<PageRow> = all
        .into_iter()
        .filter(|(p, _)| query.status.is_empty() || p.status == query.status)
        .filter(|(p, _)| hub.is_none() || p.parent_id == hub || Some(p.id) == hub)
        .map(|(p, depth)| PageRow {
            live: p.status != Status::Draft.as_str() && p.publish_at.is_some_and(|t| t <= now),
            depth: if tree { depth } else { 0 },
            id: p.id,
            title: p.title,
            path: p.path,
            status: p.status,
            publish_at: p.publish_at,
            updated_at: p.updated_at,
            author: p.author,
            review_state: p.review_state.unwrap_or_default(),
        })
        .collect();
    let total = rows.len();
    let pagination = Pagination::new(query.page, total, PER_PAGE);
    let rows = pagination.slice(rows);
    let filters = serde_urlencoded::to_string([
        ("status", &query.status),
        ("hub", &query.hub),
        ("q", &query.q),
    ])
    .unwrap_or_default();
    let view = PagesList {
        ctx: ed.ctx,
        rows,
        total,
        status: query.status.clone(),
        hub: query.hub.clone(),
        q: query.q.clone(),
        hubs,
        pagination,
        base: format!("/admin/pages?{filters}&"),
        tree,
    };
    render(&view)
}

/// The bulk form: `action`, `parent_id` (for `move`), `nav_order` (for `order`), and a
/// `page-{id}` checkbox per page.
#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    nav_order: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

/// `POST /admin/pages/bulk`.
pub async fn bulk(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    crate::web::csrf::CsrfForm(form): crate::web::csrf::CsrfForm<BulkForm>,
) -> Result<HttpResponse, AppError> {
    use crate::content::bulk::{self, Action};
    let mut ids: Vec<i32> = form
        .fields
        .keys()
        .filter_map(|k| k.strip_prefix("page-")?.parse().ok())
        .collect();
    ids.sort_unstable();
    let action = match form.action.as_str() {
        "publish" => Some(Action::Publish),
        "unpublish" => Some(Action::Unpublish),
        "move" => match form.parent_id.trim() {
            "" => Some(Action::Move(None)),
            s => s.parse().ok().map(|p| Action::Move(Some(p))),
        },
        "order" => form.nav_order.trim().parse().ok().map(Action::Order),
        "trash" => Some(Action::Trash),
        _ => None,
    };
    let message = match (action, ids.is_empty()) {
        (_, true) => "Tick the pages to change first.".to_owned(),
        (None, false) => {
            "Choose what to do (and, to move or order, where or which number).".to_owned()
        }
        (Some(action), false) => {
            let actor = ed.actor();
            let report =
                db::run(&state.pool, move |c| bulk::apply(c, &ids, action, &actor)).await?;
            state.refresh().await?;
            let mut message = format!("Done for {} page(s)", report.done.len());
            if !report.refused.is_empty() {
                let refused: Vec<String> = report
                    .refused
                    .iter()
                    .map(|(title, why)| format!("“{title}”: {why}"))
                    .collect();
                message.push_str(&format!("; refused: {}", refused.join("; ")));
            }
            message.push('.');
            message
        }
    };
    crate::web::ctx::flash(&ed.session, "success", message);
    Ok(crate::web::see_other("/admin/pages"))
}
