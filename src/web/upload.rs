//! Reading a file upload (`multipart/form-data`): each file under the upload limit, checked as
//! it streams in (413 the moment one passes it, before the rest arrives), the text fields under
//! the form limit, and the `csrf_token` field checked against the session (403).

use std::collections::HashMap;

use actix_multipart::{Multipart, MultipartError};
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::error::AppError;
use crate::state::AppState;
use crate::web::{csrf, form};

/// Files one request may carry, and how many files' worth of bytes in all (what one upload may
/// hold in memory).
pub const MAX_FILES: usize = 20;
const FILES_IN_MEMORY: usize = 5;
/// A text field (title, alt text) is short.
const FIELD_LIMIT: usize = 64 * 1024;

/// A file as it arrived.
pub struct File {
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The fields of an upload form whose CSRF token matched the session's.
pub struct Upload {
    fields: HashMap<String, String>,
    pub files: Vec<File>,
}

impl Upload {
    /// A text field, empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

fn multipart_error(e: MultipartError) -> AppError {
    match e {
        MultipartError::Payload(p) => form::payload_error(p),
        e => AppError::BadRequest(format!("the upload could not be read: {e}")),
    }
}

async fn read(mut multipart: Multipart, file_limit: usize) -> Result<Upload, AppError> {
    let mut upload = Upload {
        fields: HashMap::new(),
        files: Vec::new(),
    };
    let (mut text_bytes, mut file_bytes) = (0, 0);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let limit = if file_name.is_some() {
            file_limit
        } else {
            FIELD_LIMIT
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if bytes.len() + chunk.len() > limit
                || file_bytes + bytes.len() + chunk.len()
                    > file_limit.saturating_mul(FILES_IN_MEMORY)
            {
                return Err(AppError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            // A file input left empty sends a part with no name and no bytes.
            Some(file_name) if file_name.is_empty() && bytes.is_empty() => {}
            Some(file_name) => {
                if upload.files.len() == MAX_FILES {
                    return Err(AppError::BadRequest(format!(
                        "Upload at most {MAX_FILES} files at once."
                    )));
                }
                file_bytes += bytes.len();
                upload.files.push(File {
                    field: name,
                    file_name,
                    bytes,
                });
            }
            None => {
                text_bytes += bytes.len();
                if text_bytes > form::FORM_LIMIT {
                    return Err(AppError::TooLarge);
                }
                upload
                    .fields
                    .insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok(upload)
}

/// The limits of an upload to `req`, and its parts.
fn start(req: &HttpRequest, payload: &mut Payload) -> (bool, usize, Multipart) {
    let file_limit = req
        .app_data::<web::Data<AppState>>()
        .map_or(form::FORM_LIMIT, |s| s.config.max_upload_bytes());
    let request_limit = file_limit
        .saturating_mul(FILES_IN_MEMORY)
        .saturating_add(form::FORM_LIMIT);
    let too_large = form::declared_too_large(req, request_limit);
    (
        too_large,
        file_limit,
        Multipart::new(req.headers(), payload.take()),
    )
}

impl FromRequest for Upload {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let (too_large, file_limit, multipart) = start(req, payload);
        Box::pin(async move {
            if too_large {
                return Err(AppError::TooLarge);
            }
            let upload = read(multipart, file_limit).await?;
            csrf::verify(&session, upload.text("csrf_token"))?;
            Ok(upload)
        })
    }
}

/// Reads an upload with the same limits and no CSRF token: for callers that authenticate with a
/// header (API tokens), which a browser never sends on its own. Called once the caller is
/// known, so that no one else makes the server read a file.
pub async fn read_unchecked(req: &HttpRequest, mut payload: Payload) -> Result<Upload, AppError> {
    let (too_large, file_limit, multipart) = start(req, &mut payload);
    if too_large {
        return Err(AppError::TooLarge);
    }
    read(multipart, file_limit).await
}
