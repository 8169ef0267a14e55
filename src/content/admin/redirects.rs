//! Redirects: the list with hit counts, adding and removing them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Editor, Staff};
use crate::content::admin_views::*;
use crate::content::editing;
use crate::content::redirects;
use crate::db::{self};
use crate::error::AppError;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::{render_status, see_other};

async fn redirects_view(
    ed: Staff,
    state: &AppState,
    from: String,
    to: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let list = db::run(&state.pool, redirects::list).await?;
    render_status(
        status,
        &RedirectsList {
            ctx: ed.ctx,
            redirects: list,
            from_path: from,
            to_path: to,
            errors,
        },
    )
}

pub async fn list_redirects(
    Editor(ed): Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    redirects_view(
        ed,
        &state,
        String::new(),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct RedirectForm {
    #[serde(default)]
    from_path: String,
    #[serde(default)]
    to_path: String,
}

pub async fn create_redirect(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RedirectForm>,
) -> Result<HttpResponse, AppError> {
    let checked = redirects::validate(&form.from_path, &form.to_path).and_then(|(from, to)| {
        let site = state.site.current();
        if site
            .tree
            .visible_by_path(&from, crate::clock::now())
            .is_none()
        {
            return Ok((from, to));
        }
        let mut errors = FieldErrors::default();
        errors.add(
            "from_path",
            format!("A published page lives at /{from}; a redirect there would never be used."),
        );
        Err(errors)
    });
    let (from, to) = match checked {
        Ok(pair) => pair,
        Err(errors) => {
            return redirects_view(
                ed,
                &state,
                form.from_path,
                form.to_path,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let actor = ed.actor();
    let (f, t) = (from.clone(), to.clone());
    db::run(&state.pool, move |c| {
        editing::add_redirect(c, &f, &t, &actor)
    })
    .await?;
    flash(
        &ed.session,
        "success",
        format!("/{from} now redirects to {}.", redirects::location(&to)),
    );
    Ok(see_other("/admin/redirects"))
}

pub async fn delete_redirect(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), ed.actor());
    let removed = db::run(&state.pool, move |c| {
        editing::remove_redirect(c, id, &actor)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    flash(
        &ed.session,
        "success",
        format!("Removed the redirect from /{}.", removed.from_path),
    );
    Ok(see_other("/admin/redirects"))
}
