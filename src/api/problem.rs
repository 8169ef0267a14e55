//! The API's errors as `application/problem+json` (RFC 9457): a stable `type` per kind of
//! problem, the status, a title and a detail for people, and for 422 the errors by field.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::AppError;
use crate::validation::FieldErrors;

/// The `type` of each problem is a tag URI (RFC 4151): stable, and naming no site we do not
/// own. The README's API section lists them.
const TYPE_BASE: &str = "tag:galley.invalid,2026:problem/";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// On a 412: the version stored now (send it as `If-Match` to overwrite, deliberately).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
            current_version: None,
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

    /// Someone saved the page since the version the request started from (`If-Match`).
    pub fn stale(current_version: i32) -> Self {
        let mut p = Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            "The page changed",
            format!(
                "Someone saved this page since: it is at version {current_version}. Read it again, or send If-Match: {current_version} to overwrite."
            ),
        );
        p.current_version = Some(current_version);
        p
    }

    pub fn key_in_use() -> Self {
        Problem::new(
            StatusCode::CONFLICT,
            "idempotency-key-in-use",
            "Idempotency key in use",
            "A request with this Idempotency-Key is still being answered: retry in a moment.",
        )
    }

    pub fn unprocessable_key() -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "Idempotency key reused",
            "This Idempotency-Key was used for another request: use a new key for each request.",
        )
    }

    /// An error the framework answered before a handler ran (a 405, a query it could not
    /// read), as a problem.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            404 => {
                Problem::not_found("There is no API endpoint here: see the README's API section.")
            }
            405 => Problem::new(
                status,
                "method-not-allowed",
                "Method not allowed",
                "This endpoint does not take this method: see the Allow header.",
            ),
            413 => Problem::new(
                status,
                "too-large",
                "Request too large",
                "The request body is over the limit.",
            ),
            s if s >= 500 => Problem::internal(),
            _ => Problem::bad_request("The request could not be read."),
        }
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
        if self.status == 401 {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"galley\""));
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
            AppError::Conflict(version) => Problem::stale(version),
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
