//! `/admin/navigation`: the header and footer menus, with forms to add, move and remove items
//! (editors). Moving works with buttons; dragging, where script runs, submits the same forms.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Editor, Staff};
use crate::content::admin_views::ParentOption;
use crate::content::pages;
use crate::db;
use crate::error::AppError;
use crate::site::menus;
use crate::site::views::{ItemForm, MenuRow, NavigationPage};
use crate::snapshot::menus::{Kind, MenuItem};
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::{render_status, see_other};

fn rows(items: &[MenuItem], titles: &std::collections::HashMap<i32, String>) -> Vec<MenuRow> {
    items
        .iter()
        .map(|i| MenuRow {
            id: Some(i.id),
            kind: i.kind.as_str(),
            target: match i.kind {
                Kind::Url => i.url.clone(),
                _ => i
                    .page_id
                    .and_then(|p| titles.get(&p).cloned())
                    .unwrap_or_else(|| "(a page that is gone)".into()),
            },
            label: i.label.clone(),
        })
        .collect()
}

async fn page(
    ed: Staff,
    state: &AppState,
    form: ItemForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let listed = db::run(&state.pool, pages::list_for_admin).await?;
    let titles = listed
        .iter()
        .map(|(p, _)| (p.id, format!("{} (/{})", p.title, p.path)))
        .collect();
    let site = state.site.current();
    let edited = site.appearance.header_menu_edited;
    let header = if edited {
        rows(&site.menus.header, &titles)
    } else {
        site.tree
            .navigation(ed.ctx.now)
            .into_iter()
            .map(|n| MenuRow {
                id: None,
                kind: Kind::Page.as_str(),
                target: format!("{} ({})", n.title.as_str(), n.url.as_str()),
                label: String::new(),
            })
            .collect()
    };
    let footer = rows(&site.menus.footer, &titles);
    let pages = listed
        .into_iter()
        .map(|(p, depth)| ParentOption {
            id: p.id,
            label: format!("{}{} (/{})", "— ".repeat(depth), p.title, p.path),
        })
        .collect();
    render_status(
        status,
        &NavigationPage {
            ctx: ed.ctx,
            header,
            footer,
            header_from_pages: !edited,
            pages,
            form,
            errors,
        },
    )
}

/// `GET /admin/navigation`.
pub async fn show(
    Editor(ed): Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = ItemForm {
        menu: "header".into(),
        kind: "page".into(),
        ..ItemForm::default()
    };
    page(ed, &state, form, FieldErrors::default(), StatusCode::OK).await
}

/// `POST /admin/navigation/items`: `menu`, `kind`, `page_id` or `url`, `label`.
pub async fn add(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, f) = (ed.actor(), form.clone());
    let outcome = db::run(&state.pool, move |c| {
        match menus::check(c, &f.menu, &f.kind, &f.page_id, &f.url, &f.label)? {
            Ok(item) => menus::add(c, &item, &actor).map(|_| Ok(item.menu)),
            Err(errors) => Ok(Err(errors)),
        }
    })
    .await?;
    match outcome {
        Ok(menu) => {
            state.refresh().await?;
            flash(&ed.session, "success", format!("Added to the {menu} menu."));
            Ok(see_other("/admin/navigation"))
        }
        Err(errors) => page(ed, &state, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    direction: String,
    /// With `direction=to`: the place to move to, from 1 (what dragging sends).
    #[serde(default)]
    position: String,
}

/// `POST /admin/navigation/items/{id}/move` with `direction` `up`, `down`, or `to` and a
/// `position`.
pub async fn move_item(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let to = match (
        form.direction.as_str(),
        form.position.trim().parse::<usize>(),
    ) {
        ("up", _) => menus::Move::Up,
        ("down", _) => menus::Move::Down,
        ("to", Ok(place)) if place >= 1 => menus::Move::To(place - 1),
        _ => return Err(AppError::BadRequest("move up, down, or to a place".into())),
    };
    let (id, actor) = (id.into_inner(), ed.actor());
    if !db::run(&state.pool, move |c| menus::move_item(c, id, to, &actor)).await? {
        return Err(AppError::NotFound);
    }
    state.refresh().await?;
    Ok(see_other("/admin/navigation"))
}

/// `POST /admin/navigation/take-over`: the in-navigation pages become header items.
pub async fn take_over(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let actor = ed.actor();
    db::run(&state.pool, move |c| menus::take_over(c, &actor)).await?;
    state.refresh().await?;
    flash(
        &ed.session,
        "success",
        "The header's pages are items now: move or remove them.",
    );
    Ok(see_other("/admin/navigation"))
}

/// `POST /admin/navigation/items/{id}/delete`.
pub async fn remove(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), ed.actor());
    if !db::run(&state.pool, move |c| menus::remove(c, id, &actor)).await? {
        return Err(AppError::NotFound);
    }
    state.refresh().await?;
    flash(&ed.session, "success", "Removed the item.");
    Ok(see_other("/admin/navigation"))
}
