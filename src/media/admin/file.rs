//! A file's page: the file, its addresses and Markdown, its details and focal point, replacing
//! it, the pages that use it, deleting it; and the untouched original, for admins.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Admin, Editor, Staff};
use crate::db;
use crate::error::AppError;
use crate::media::editing::{self, ChangeError};
use crate::media::imaging::Encoding;
use crate::media::intake::Details;
use crate::media::library;
use crate::media::renditions::{self, Spec};
use crate::media::store;
use crate::media::views::{Address, Item, MediaPage};
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::upload::Upload;
use crate::web::{render_status, see_other};

use super::{files_of, prepare_all};

struct PageState {
    details: Option<Details>,
    errors: FieldErrors,
    delete_refused: bool,
}

async fn file_view(
    ed: Staff,
    state: &AppState,
    id: i32,
    page: PageState,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let author = (!ed.is_editor()).then_some(ed.user.id);
    let (file, usages) = db::run(&state.pool, move |c| {
        let file = library::find(c, id)?.ok_or(AppError::NotFound)?;
        let usages = library::used_by_as(c, id, author)?;
        Ok::<_, AppError>((file, usages))
    })
    .await?;
    let ctx = ed.ctx;
    let mut addresses = vec![Address {
        label: format!("The file ({})", file.ext.to_uppercase()),
        url: ctx.absolute(&file.original_url()),
    }];
    let widths = renditions::widths_of(&file, &state.config.rendition_widths());
    if file.is_image() && file.ext != Encoding::Webp.ext() {
        addresses.push(Address {
            label: "The file as WebP".into(),
            url: ctx.absolute(&file.url("original", Encoding::Webp.ext())),
        });
    }
    for w in &widths {
        addresses.push(Address {
            label: format!("{w} pixels wide (WebP)"),
            url: ctx.absolute(&file.url(&Spec::Width(*w).name(), Encoding::Webp.ext())),
        });
    }
    let preview = file.is_image().then(|| {
        let spec = widths
            .iter()
            .rev()
            .find(|w| **w <= 960)
            .map_or("original".to_owned(), |w| Spec::Width(*w).name());
        file.url(&spec, Encoding::Webp.ext())
    });
    let details = page.details.unwrap_or_else(|| Details {
        title: file.title.clone(),
        alt: file.alt.clone(),
        caption: file.caption.clone(),
        credit: file.credit.clone(),
        focal_x: file.focal_x,
        focal_y: file.focal_y,
    });
    let is_admin = ctx.is_admin();
    render_status(
        status,
        &MediaPage {
            markdown: file.markdown(),
            item: Item::new(file),
            details,
            errors: page.errors,
            addresses,
            preview,
            usages,
            delete_refused: page.delete_refused,
            is_admin,
            max_upload_mb: state.config.max_upload_mb,
            ctx,
        },
    )
}

/// `GET /admin/media/{id}`.
pub async fn show(
    ed: Staff,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let page = PageState {
        details: None,
        errors: FieldErrors::default(),
        delete_refused: false,
    };
    file_view(ed, &state, id.into_inner(), page, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    alt: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    credit: String,
    #[serde(default)]
    focal_x: String,
    #[serde(default)]
    focal_y: String,
}

/// A percentage as typed: `-1` (refused by the check) when it is not a number.
fn percent(s: &str) -> i32 {
    match s.trim() {
        "" => 50,
        s => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map_or(-1, |v| v.round().clamp(-1.0, 101.0) as i32),
    }
}

/// `POST /admin/media/{id}`: the details and the focal point.
pub async fn update(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    renderer: web::Data<PageRenderer>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<DetailsForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let details = Details {
        title: form.title,
        alt: form.alt,
        caption: form.caption,
        credit: form.credit,
        focal_x: percent(&form.focal_x),
        focal_y: percent(&form.focal_y),
    };
    let is_image = db::run(&state.pool, move |c| library::find(c, id))
        .await?
        .ok_or(AppError::NotFound)?
        .is_image();
    let mut errors = FieldErrors::default();
    details.check(is_image, &mut errors);
    if details.title.trim().is_empty() {
        errors.add("title", "Give the file a title.");
    }
    if !errors.is_empty() {
        let page = PageState {
            details: Some(details),
            errors,
            delete_refused: false,
        };
        return file_view(ed, &state, id, page, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (actor, widths) = (ed.actor(), state.config.rendition_widths());
    let saved = db::run(&state.pool, move |c| {
        editing::update_details(c, store::configured(), id, &details, &actor, &widths)
    })
    .await?;
    rerender_pages(&state, &renderer).await?;
    flash(&ed.session, "success", format!("Saved {}.", saved.title));
    Ok(see_other(&format!("/admin/media/{id}")))
}

/// What re-renders the pages a change to a file marked (their image URLs carry its version):
/// the content domain's, given to the app by `app::build` (content uses the library, so the
/// library cannot name content).
#[derive(Clone, Copy)]
pub struct PageRenderer(pub fn(&mut db::DbConnection) -> diesel::QueryResult<usize>);

async fn rerender_pages(
    state: &web::Data<AppState>,
    renderer: &web::Data<PageRenderer>,
) -> Result<(), AppError> {
    let rerender = renderer.0;
    db::run(&state.pool, rerender).await?;
    state.clone().into_inner().refresh().await
}

/// `POST /admin/media/{id}/replace`: a new file under the same id; pages using it follow.
pub async fn replace(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    renderer: web::Data<PageRenderer>,
    id: web::Path<i32>,
    mut upload: Upload,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let mut files = files_of(&mut upload);
    let refused = |ed: Staff, state: web::Data<AppState>, message: String| async move {
        let mut errors = FieldErrors::default();
        errors.add("file", message);
        let page = PageState {
            details: None,
            errors,
            delete_refused: false,
        };
        file_view(ed, &state, id, page, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    if files.len() != 1 {
        return refused(
            ed,
            state,
            "Choose one file to replace this one with.".into(),
        )
        .await;
    }
    let prepared = match prepare_all(vec![files.remove(0)]).await {
        Ok(mut p) => p.remove(0),
        Err(e) => return refused(ed, state, e).await,
    };
    let (actor, widths) = (ed.actor(), state.config.rendition_widths());
    let replaced = db::run(&state.pool, move |c| {
        match editing::replace(c, store::configured(), id, &prepared, &actor, &widths) {
            Err(ChangeError::Refused(message)) => Ok(Err(message)),
            other => other.map(Ok),
        }
    })
    .await?;
    match replaced {
        Err(message) => refused(ed, state, message).await,
        Ok(file) => {
            rerender_pages(&state, &renderer).await?;
            flash(
                &ed.session,
                "success",
                format!("Replaced the file: this is version {}.", file.version),
            );
            Ok(see_other(&format!("/admin/media/{id}")))
        }
    }
}

/// `POST /admin/media/{id}/delete`: refused, with the list, while pages use the file.
pub async fn delete(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), ed.actor());
    let deleted = db::run(&state.pool, move |c| {
        match editing::delete(c, id, &actor) {
            Err(ChangeError::InUse(_)) => Ok(Err(
                "This file cannot be deleted while pages use it: take it out of the pages listed first."
                    .to_owned(),
            )),
            Err(ChangeError::Refused(message)) => Ok(Err(message)),
            other => other.map(Ok),
        }
    })
    .await?;
    match deleted {
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("delete", message);
            let page = PageState {
                details: None,
                errors,
                delete_refused: true,
            };
            file_view(ed, &state, id, page, StatusCode::CONFLICT).await
        }
        Ok(file) => {
            state.clone().into_inner().refresh().await?;
            flash(
                &ed.session,
                "success",
                format!("Moved {} to the trash.", file.file_name),
            );
            Ok(see_other("/admin/media"))
        }
    }
}

/// `GET /admin/media/{id}/original`: the file exactly as it was uploaded, metadata and all, for
/// admins only (visitors get the cleaned copy).
pub async fn original(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (file, bytes) = db::run(&state.pool, move |c| {
        let file = library::find(c, id)?.ok_or(AppError::NotFound)?;
        let bytes = store::configured()
            .get(c, &file.original_hash)?
            .ok_or(AppError::NotFound)?;
        Ok::<_, AppError>((file, bytes))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            header::CONTENT_DISPOSITION,
            crate::media::public::attachment(&file.file_name),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            crate::media::public::FILE_POLICY,
        ))
        .body(bytes))
}
