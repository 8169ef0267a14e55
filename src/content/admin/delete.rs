//! Deleting a page (to the trash, with the pages under it), optionally leaving a redirect at its
//! address.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Editor, Staff};
use crate::content::admin_views::*;
use crate::content::editing;
use crate::content::pages::{self};
use crate::content::redirects;
use crate::db::{self};
use crate::error::AppError;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::flash;
use crate::web::{render_status, see_other};

async fn delete_view(
    ed: Staff,
    state: &AppState,
    id: i32,
    redirect_to: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (page, kids) = db::run(&state.pool, move |c| {
        let page = pages::find(c, id)?;
        let kids: Vec<(String, String)> = pages::list_for_admin(c)?
            .into_iter()
            .filter(|(p, _)| p.parent_id == Some(id))
            .map(|(p, _)| (p.title, p.path))
            .collect();
        Ok::<_, AppError>((page, kids))
    })
    .await?;
    let view = DeleteConfirm {
        ctx: ed.ctx,
        page_id: id,
        title: page.title,
        path: page.path,
        children: kids,
        redirect_to,
        errors,
    };
    render_status(status, &view)
}

pub async fn confirm_delete(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    delete_view(
        ed,
        &state,
        id.into_inner(),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    redirect_to: String,
}

pub async fn delete_page(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let target = match form.redirect_to.trim() {
        "" => None,
        to => match redirects::validate_target(to) {
            Ok(to) => Some(to),
            Err(message) => {
                let mut errors = FieldErrors::default();
                errors.add("redirect_to", message);
                return delete_view(
                    ed,
                    &state,
                    id,
                    form.redirect_to,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let actor = ed.actor();
    let page = db::run(&state.pool, move |c| {
        editing::delete_page(c, id, target.as_deref(), &actor)
    })
    .await?;
    state.refresh().await?;
    flash(
        &ed.session,
        "success",
        format!("Moved “{}” to the trash.", page.title),
    );
    Ok(see_other("/admin/pages"))
}
