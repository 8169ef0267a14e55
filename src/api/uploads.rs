//! `POST /api/v1/media` (`media:write`): a file into the library through the same checks and
//! domain function as the library's upload form (the type sniffed from the bytes, images cleaned
//! and re-encoded, alt text required for images, rendition jobs, the audit log as the token).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::api::caller::Caller;
use crate::api::documents;
use crate::api::idempotency::Stored;
use crate::api::problem::Problem;
use crate::api::tokens::Scope;
use crate::api::write::{once, writer};
use crate::db;
use crate::media::admin::{files_of, prepare_all};
use crate::media::{editing, intake::Details, store};
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::upload;

/// One file in the part named `file`, and the fields `title` (else from the file name), `alt`
/// (required for images), `caption` and `credit`: 201 with the file as `GET /api/v1/media/{id}`
/// shows it.
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, Problem> {
    let (token_id, actor) = writer(caller, Scope::MediaWrite, &req)?;
    let mut upload = upload::read_unchecked(&req, payload.into_inner()).await?;
    let mut details = Details {
        title: upload.text("title").to_owned(),
        alt: upload.text("alt").to_owned(),
        caption: upload.text("caption").to_owned(),
        credit: upload.text("credit").to_owned(),
        focal_x: 50,
        focal_y: 50,
    };
    let files = files_of(&mut upload);
    // What the idempotency key is checked against: the fields and the file's bytes.
    let request = files.iter().fold(format!("{details:?}"), |acc, f| {
        format!(
            "{acc}\n{} {}",
            f.file_name,
            crate::tokens::hex(&Sha256::digest(&f.bytes))
        )
    });
    let st = state.clone();
    once(&req, &state, token_id, request.as_bytes(), || async move {
        let mut errors = FieldErrors::default();
        if files.len() != 1 {
            errors.add("file", "Send one file, in the part named file.");
            return Err(Problem::invalid(&errors));
        }
        if details.title.trim().is_empty() {
            details.title = Details::title_from(&files[0].file_name);
        }
        let prepared = match prepare_all(files).await {
            Ok(p) => p,
            Err(e) => {
                errors.add("file", e);
                return Err(Problem::invalid(&errors));
            }
        };
        details.check(prepared[0].file_type.is_image(), &mut errors);
        if !errors.is_empty() {
            return Err(Problem::invalid(&errors));
        }
        let widths = st.config.rendition_widths();
        let w = widths.clone();
        let added = db::run(&st.pool, move |c| {
            editing::add(c, store::configured(), &prepared[0], &details, &actor, &w)
        })
        .await?;
        let base = st.site.current().base_url.clone();
        let location = format!("/api/v1/media/{}", added.id);
        let body = documents::media(added, &widths, &base);
        Ok(Stored {
            request_hash: String::new(),
            status: StatusCode::CREATED.as_u16(),
            location,
            body: serde_json::to_string(&body).map_err(|_| Problem::internal())?,
        })
    })
    .await
}
