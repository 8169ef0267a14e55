//! `AppError`, the one error type of the HTTP layer, and the status code of each. The page an
//! error response shows is rendered in `web::error_page`.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Not signed in: sends the browser to `/login?next=...`.
    #[error("sign-in required")]
    LoginRequired(String),
    /// Not before something else is done first (two-factor set-up the site requires, say):
    /// sends the browser there.
    #[error("see {0}")]
    SeeOther(String),
    #[error("forbidden")]
    Forbidden,
    /// The request body is over the limit for its route.
    #[error("request body too large")]
    TooLarge,
    /// The request body stopped arriving before its deadline.
    #[error("request body timed out")]
    Timeout,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form's values do not pass; handlers catch this and re-render the form (422).
    #[error("invalid input: {0}")]
    Invalid(crate::validation::FieldErrors),
    /// Someone else saved first; carries the version now stored. Handlers catch this (409).
    #[error("edit conflict: now at version {0}")]
    Conflict(i32),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    #[error("database pool error: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            // The database went away under a pooled connection (restarted, say): the site is
            // unavailable for a moment, not broken; the pool connects again when it is back.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => AppError::Unavailable(format!(
                "the database connection failed: {}",
                info.message()
            )),
            Error::BrokenTransactionManager => {
                AppError::Unavailable("the database connection broke mid-transaction".into())
            }
            e => AppError::Database(e),
        }
    }
}

impl AppError {
    /// The database cannot be reached just now (the pool timed out, the connection broke).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AppError::Pool(_) | AppError::Unavailable(_))
    }
}

/// Carried in the extensions of an error response so the error page can say the right thing and
/// the log line can carry the detail visitors never see.
#[derive(Clone, Debug)]
pub struct ErrorDetail(pub String);

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::LoginRequired(_) | AppError::SeeOther(_) => StatusCode::SEE_OTHER,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable(_) | AppError::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let AppError::LoginRequired(next) = self {
            let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/login?{query}")))
                .finish();
        }
        if let AppError::SeeOther(location) = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location.as_str()))
                .finish();
        }
        let mut res = HttpResponse::new(self.status_code());
        if matches!(self, AppError::TooLarge | AppError::Timeout) {
            // The rest of the body was never read: the connection cannot carry another request.
            res.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        res.extensions_mut().insert(ErrorDetail(self.to_string()));
        res
    }
}
