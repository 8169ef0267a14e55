//! The library: the grid of files, search and filters, and the upload form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::Staff;
use crate::db;
use crate::error::AppError;
use crate::media::editing;
use crate::media::intake::Details;
use crate::media::jobs;
use crate::media::library::{self, KindFilter};
use crate::media::store;
use crate::media::views::{Item, MediaList, UploadForm};
use crate::pagination::PageNumber;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::ctx::flash;
use crate::web::upload::Upload;
use crate::web::{render_status, see_other};

use super::{files_of, prepare_all};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    page: String,
}

async fn library_view(
    ed: Staff,
    state: &AppState,
    query: ListQuery,
    form: UploadForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let kind = KindFilter::parse(&query.kind);
    let q = query.q.trim().to_owned();
    let page = PageNumber::parse(&query.page);
    let needle = q.clone();
    let (files, total, pagination, unused, pending) = db::run(&state.pool, move |c| {
        let (files, total, pagination) = library::list(c, &needle, kind, page)?;
        let unused = library::unused_count(c)?;
        let pending = jobs::pending(c)?;
        Ok::<_, diesel::result::Error>((files, total, pagination, unused, pending))
    })
    .await?;
    let filters = serde_urlencoded::to_string([("q", q.as_str()), ("kind", kind.as_str())])
        .unwrap_or_default();
    let base = format!("/admin/media?{filters}&");
    render_status(
        status,
        &MediaList {
            ctx: ed.ctx,
            total,
            items: files.into_iter().map(Item::new).collect(),
            q,
            kind,
            unused,
            pending,
            pagination,
            base,
            form,
            errors,
            max_upload_mb: state.config.max_upload_mb,
        },
    )
}

/// `GET /admin/media`.
pub async fn list(
    ed: Staff,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    library_view(
        ed,
        &state,
        query.into_inner(),
        UploadForm::default(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

fn upload_form(upload: &Upload) -> UploadForm {
    UploadForm {
        title: upload.text("title").to_owned(),
        alt: upload.text("alt").to_owned(),
        caption: upload.text("caption").to_owned(),
        credit: upload.text("credit").to_owned(),
    }
}

/// `POST /admin/media`: one or more files in `file`, with `alt` (required for images), `title`
/// (else from the file name), `caption` and `credit`. All are stored, or none.
pub async fn create(
    ed: Staff,
    state: web::Data<AppState>,
    mut upload: Upload,
) -> Result<HttpResponse, AppError> {
    let form = upload_form(&upload);
    let files = files_of(&mut upload);
    let mut errors = FieldErrors::default();
    let prepared = if files.is_empty() {
        errors.add("file", "Choose a file to upload.");
        Vec::new()
    } else {
        match prepare_all(files).await {
            Ok(p) => p,
            Err(e) => {
                errors.add("file", e);
                Vec::new()
            }
        }
    };
    let base = Details {
        title: form.title.clone(),
        alt: form.alt.clone(),
        caption: form.caption.clone(),
        credit: form.credit.clone(),
        focal_x: 50,
        focal_y: 50,
    };
    base.check(prepared.iter().any(|p| p.file_type.is_image()), &mut errors);
    if !errors.is_empty() {
        return library_view(
            ed,
            &state,
            ListQuery::default(),
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (actor, widths) = (ed.actor(), state.config.rendition_widths());
    let added = db::run(&state.pool, move |c| {
        editing::add_all(c, store::configured(), &prepared, &base, &actor, &widths)
    })
    .await?;
    match added.as_slice() {
        [one] => {
            flash(
                &ed.session,
                "success",
                format!("Uploaded {}.", one.file_name),
            );
            Ok(see_other(&format!("/admin/media/{}", one.id)))
        }
        many => {
            flash(
                &ed.session,
                "success",
                format!("Uploaded {} files.", many.len()),
            );
            Ok(see_other("/admin/media"))
        }
    }
}
