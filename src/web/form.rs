//! Reading a URL-encoded form: the body under a size limit (413 above it), within the edge's
//! deadlines (408 when it stops arriving), then its fields. `Form<T>` is for the public forms that
//! carry no session; the back office's forms use `CsrfForm<T>`, which reads the body the same way.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The largest form body accepted: a long page's Markdown with room to spare.
pub const FORM_LIMIT: usize = 1024 * 1024;

/// The whole body, or the error that says why not.
pub async fn read_body(mut payload: Payload, limit: usize) -> Result<Bytes, AppError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(payload_error)?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub(crate) fn payload_error(e: PayloadError) -> AppError {
    match e {
        PayloadError::Overflow => AppError::TooLarge,
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => AppError::Timeout,
        e => AppError::BadRequest(format!("the request body could not be read: {e}")),
    }
}

/// A body whose declared length is already over the limit is refused before reading it.
pub fn declared_too_large(req: &HttpRequest, limit: usize) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
}

/// A URL-encoded form without a CSRF token (the contact form has a signed token of its own).
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let too_large = declared_too_large(req, FORM_LIMIT);
        let payload = payload.take();
        Box::pin(async move {
            if too_large {
                return Err(AppError::TooLarge);
            }
            let bytes = read_body(payload, FORM_LIMIT).await?;
            serde_urlencoded::from_bytes(&bytes)
                .map(Form)
                .map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))
        })
    }
}
