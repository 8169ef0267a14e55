//! A page's revisions: the list, one revision against the current text, and restoring one.

use actix_web::{HttpResponse, web};

use crate::accounts::extract::Staff;
use crate::content::admin_views::*;
use crate::content::editing;
use crate::content::pages::{self};
use crate::content::{permissions, review, revisions};
use crate::db::{self};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::{render, see_other};

pub async fn list_revisions(
    ed: Staff,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (page, revisions, reviews) = db::run(&state.pool, move |c| {
        Ok::<_, AppError>((
            pages::find(c, id)?,
            revisions::list(c, id)?,
            review::history(c, id)?,
        ))
    })
    .await?;
    permissions::check_view(&ed.user, &page)?;
    render(&RevisionsList {
        ctx: ed.ctx,
        page_id: id,
        title: page.title,
        current_version: page.version,
        revisions,
        reviews,
    })
}

pub async fn show_revision(
    ed: Staff,
    state: web::Data<AppState>,
    ids: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (id, rev) = ids.into_inner();
    let (page, revision) = db::run(&state.pool, move |c| {
        Ok::<_, AppError>((pages::find(c, id)?, revisions::find(c, id, rev)?))
    })
    .await?;
    permissions::check_view(&ed.user, &page)?;
    let view = RevisionShow {
        hunks: revisions::diff(&revision.body_md, &page.body_md),
        title_changed: revision.title != page.title,
        summary_changed: revision.summary != page.summary,
        ctx: ed.ctx,
        page_id: id,
        page_title: page.title,
        current_version: page.version,
        revision,
    };
    render(&view)
}

/// Restores a revision's text (title, summary, body) as a new save, itself a revision.
pub async fn restore_revision(
    ed: Staff,
    state: web::Data<AppState>,
    ids: web::Path<(i32, i32)>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, rev) = ids.into_inner();
    let page = db::run(&state.pool, move |c| pages::find(c, id)).await?;
    permissions::check_edit(&ed.user, &page)?;
    let actor = ed.actor();
    let page = db::run(&state.pool, move |c| {
        editing::restore_revision(c, id, rev, &actor)
    })
    .await?;
    state.refresh().await?;
    flash(
        &ed.session,
        "success",
        format!("Restored an earlier version of “{}”.", page.title),
    );
    Ok(see_other(&format!("/admin/pages/{id}/edit")))
}
