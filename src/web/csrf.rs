//! CSRF protection: a token per session, sent back by every state-changing form as the hidden
//! field `csrf_token`. `CsrfForm<T>` is the form extractor of every state-changing handler that
//! has a session, so a POST without the right token is refused (403) before the handler runs (the
//! public contact form, which has no session, carries a signed token of its own: `web::form`).

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::tokens;
use crate::web::form;

const KEY: &str = "csrf";

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(KEY) {
        return t;
    }
    let t = tokens::random_token();
    let _ = session.insert(KEY, &t);
    t
}

/// A fresh token (after sign-in, so a token seen before cannot be replayed).
pub fn rotate(session: &Session) -> String {
    let t = tokens::random_token();
    let _ = session.insert(KEY, &t);
    t
}

pub(crate) fn verify(session: &Session, submitted: &str) -> Result<(), AppError> {
    match session.get::<String>(KEY) {
        Ok(Some(expected)) if !submitted.is_empty() && tokens::same(&expected, submitted) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf_token: String,
}

/// A URL-encoded form whose `csrf_token` matched the session's.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let too_large = form::declared_too_large(req, form::FORM_LIMIT);
        let payload = payload.take();
        Box::pin(async move {
            if too_large {
                return Err(AppError::TooLarge);
            }
            let bytes = form::read_body(payload, form::FORM_LIMIT).await?;
            let field: TokenField =
                serde_urlencoded::from_bytes(&bytes).map_err(|_| AppError::Forbidden)?;
            verify(&session, &field.csrf_token)?;
            serde_urlencoded::from_bytes(&bytes)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("malformed form: {e}")))
        })
    }
}

/// A form with nothing but its CSRF token (sign out, delete, ...).
#[derive(Deserialize)]
pub struct NoFields {}
