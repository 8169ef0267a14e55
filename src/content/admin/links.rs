//! The broken-links report.

use actix_web::{HttpResponse, web};

use crate::accounts::extract::Editor;
use crate::content::admin_views::*;
use crate::content::{links, redirects};
use crate::db::{self};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::render;

/// The broken-links report: internal links that lead to no published page (or only to a
/// redirect), with the page that contains each.
pub async fn broken_links(
    Editor(ed): Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (all, redirect_list) = db::run(&state.pool, |c| {
        Ok::<_, AppError>((links::all_links(c)?, redirects::list(c)?))
    })
    .await?;
    let (site, now) = (ed.ctx.site.clone(), ed.ctx.now);
    let rows = all
        .into_iter()
        .filter(|(_, _, to)| site.tree.visible_by_path(to, now).is_none())
        .map(|(page_id, page_title, to)| {
            let reason = match redirect_list.iter().find(|r| r.from_path == to) {
                Some(r) => format!("redirects to {}", redirects::location(&r.to_path)),
                None => "no published page at this address".to_owned(),
            };
            BrokenLink {
                page_id,
                page_title,
                target: format!("/{to}"),
                reason,
            }
        })
        .collect();
    render(&BrokenLinks { ctx: ed.ctx, rows })
}
