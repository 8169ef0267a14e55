//! Autosave in the editor: the form as typed, every few seconds, into this user's slot; and
//! throwing the slot away.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::Staff;
use crate::content::admin_views::PageForm;
use crate::content::pages;
use crate::content::{autosave, permissions};
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::see_other;

#[derive(Deserialize)]
pub struct AutosaveQuery {
    /// The page (0: a page not saved yet).
    #[serde(default)]
    page: i32,
}

/// `POST /admin/pages/autosave?page=N`: the editor's form, as typed, into this user's slot
/// (the editor's script sends it a few seconds after typing stops). 204.
pub async fn autosave(
    ed: Staff,
    state: web::Data<AppState>,
    query: web::Query<AutosaveQuery>,
    CsrfForm(form): CsrfForm<PageForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, key) = (ed.user.id, query.page);
    if key != 0 {
        let page = db::run(&state.pool, move |c| pages::find(c, key)).await?;
        permissions::check_edit(&ed.user, &page)?;
    }
    db::run(&state.pool, move |c| {
        autosave::put(c, user_id, key, &form, crate::clock::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/pages/autosave/discard?page=N`: forget the autosaved changes.
pub async fn discard_autosave(
    ed: Staff,
    state: web::Data<AppState>,
    query: web::Query<AutosaveQuery>,
    _: CsrfForm<crate::web::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let (user_id, key) = (ed.user.id, query.page);
    db::run(&state.pool, move |c| autosave::discard(c, user_id, key)).await?;
    Ok(see_other(&if key == 0 {
        "/admin/pages/new".to_owned()
    } else {
        format!("/admin/pages/{key}/edit")
    }))
}
