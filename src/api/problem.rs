//! The API's errors as `application/problem+json` (RFC 9457): a stable `type` per kind of
//! problem, the status, a title and a detail for people, and for 422 the errors by field.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::AppError;
use crate::validation::FieldErrors;

/// Where the `type` URIs point (the README's API section lists them).
const TYPE_BASE: &str = "https://galley.dev/problems/";

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl Problem {
    fn new(status: StatusCode, kind: &str, title: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("{TYPE_BASE}{kind}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// No token, or one that is unknown, revoked, expired or whose owner is disabled: the same
    /// answer for each, so a caller learns nothing about other people's tokens.
    pub fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "Send a valid API token: Authorization: Bearer <token>.",
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("Too many requests from this address: try again in {retry_after} s."),
        );
        p.retry_after = Some(retry_after);
        p
    }

    pub fn invalid(errors: &FieldErrors) -> Self {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Invalid request",
            "Some fields are not valid: see errors.",
        );
        p.errors = errors
            .0
            .iter()
            .map(|(field, message)| FieldProblem {
                field: (*field).to_owned(),
                message: message.to_owned(),
            })
            .collect();
        p
    }

    pub fn unavailable() -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "The database cannot be reached right now: try again shortly.",
        )
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side; it has been logged.",
        )
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(s) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        res.body(serde_json::to_string(self).unwrap_or_default())
    }
}

/// The site's errors as the API answers them.
impl From<AppError> for Problem {
    fn from(e: AppError) -> Problem {
        match e {
            AppError::NotFound => Problem::not_found("There is nothing here."),
            AppError::Unavailable(_) => Problem::unavailable(),
            AppError::Forbidden => Problem::forbidden("Your token may not do this."),
            AppError::BadRequest(detail) => Problem::bad_request(detail),
            AppError::Invalid(errors) => Problem::invalid(&errors),
            other => {
                log::error!("api: {other}");
                Problem::internal()
            }
        }
    }
}

impl From<diesel::result::Error> for Problem {
    fn from(e: diesel::result::Error) -> Problem {
        Problem::from(AppError::from(e))
    }
}
