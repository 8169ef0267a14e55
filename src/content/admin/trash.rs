//! `/admin/trash`: what was deleted, by whom and when; restore (editors; with a new slug when
//! the address was taken since) and delete for good (admins).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Admin, Editor, Staff};
use crate::content::admin_views::TrashPage;
use crate::content::trash::{self, RestoreError, Restored};
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::{render_status, see_other};

async fn page(
    ed: Staff,
    state: &AppState,
    failed: Option<(i32, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let items = db::run(&state.pool, trash::list).await?;
    let is_admin = ed.ctx.is_admin();
    let retention_days = state.site.current().settings.trash_retention_days;
    render_status(
        status,
        &TrashPage {
            ctx: ed.ctx,
            items,
            failed,
            is_admin,
            retention_days,
        },
    )
}

/// `GET /admin/trash`.
pub async fn list(
    Editor(ed): Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    page(ed, &state, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    slug: String,
}

/// `POST /admin/trash/{id}/restore`, with an optional new `slug`.
pub async fn restore(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<RestoreForm>,
) -> Result<HttpResponse, AppError> {
    let (id, actor, slug) = (id.into_inner(), ed.actor(), form.slug.clone());
    let outcome = db::run(&state.pool, move |c| {
        match trash::restore(c, id, Some(slug.as_str()), &actor) {
            Ok(page) => Ok(Ok(page)),
            Err(RestoreError::Database(e)) => Err(e),
            Err(e) => Ok(Err(e)),
        }
    })
    .await?;
    match outcome {
        Ok(Restored::Page(page)) => {
            state.refresh().await?;
            flash(
                &ed.session,
                "success",
                format!("Restored “{}” at /{}.", page.title, page.path),
            );
            Ok(see_other(&format!("/admin/pages/{}/edit", page.id)))
        }
        Ok(Restored::File(id)) => {
            state.refresh().await?;
            flash(&ed.session, "success", "Restored the file to the library.");
            Ok(see_other(&format!("/admin/media/{id}")))
        }
        Err(RestoreError::NotFound) => Err(AppError::NotFound),
        Err(e @ RestoreError::PathTaken(_)) => {
            let message = format!("{e}: give it another slug to restore it under.");
            page(
                ed,
                &state,
                Some((id, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => {
            let message = format!("Not restored: {e}.");
            page(
                ed,
                &state,
                Some((id, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /admin/trash/{id}/delete`: for good (admins).
pub async fn delete_forever(
    Admin(ed): Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), ed.actor());
    if !db::run(&state.pool, move |c| trash::delete_forever(c, id, &actor)).await? {
        return Err(AppError::NotFound);
    }
    flash(&ed.session, "success", "Deleted for good.");
    Ok(see_other("/admin/trash"))
}
