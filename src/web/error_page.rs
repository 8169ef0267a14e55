//! The error page: every error response (ours and actix's own) in the site's layout, and the log
//! line for server errors.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use askama::Template;

use crate::error::ErrorDetail;
use crate::html::SafeHtml;
use crate::web::ctx::Ctx;

/// A page a missing address may have meant (the 404 page lists them).
pub struct Suggestion {
    pub url: String,
    pub title: String,
    pub snippet: SafeHtml,
}

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub ctx: Ctx,
    pub status: u16,
    pub heading: &'static str,
    pub message: &'static str,
    /// For a missing page: pages found by searching for the words of its address.
    pub suggestions: Vec<Suggestion>,
}

impl ErrorPage {
    /// The 410 page for the address of a deleted page.
    pub fn gone(ctx: Ctx) -> ErrorPage {
        let (heading, message) = describe(StatusCode::GONE);
        ErrorPage {
            ctx,
            status: 410,
            heading,
            message,
            suggestions: Vec::new(),
        }
    }

    /// The 404 page for a missing address, with search suggestions.
    pub fn not_found(ctx: Ctx, suggestions: Vec<Suggestion>) -> ErrorPage {
        let (heading, message) = describe(StatusCode::NOT_FOUND);
        ErrorPage {
            ctx,
            status: 404,
            heading,
            message,
            suggestions,
        }
    }
}

fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Bad request",
            "The request could not be understood. Please check it and try again.",
        ),
        403 => (
            "Forbidden",
            "You are not allowed to do that, or the form you sent has expired. Go back, reload the page and try again.",
        ),
        404 => (
            "Page not found",
            "There is no page at this address. It may have moved, or the link may be mistyped.",
        ),
        410 => (
            "Page deleted",
            "The page that was at this address has been deleted.",
        ),
        405 => (
            "Method not allowed",
            "This address does not accept that kind of request.",
        ),
        408 => (
            "Request timed out",
            "What you sent stopped arriving before it was complete. Please try again.",
        ),
        413 => (
            "Too large",
            "What you sent is larger than this site accepts.",
        ),
        429 => (
            "Too many requests",
            "Please wait a moment before trying again.",
        ),
        503 => (
            "Temporarily unavailable",
            "The site is busy or under maintenance. Please try again shortly.",
        ),
        s if s >= 500 => (
            "Something went wrong",
            "An unexpected error occurred on our side. It has been logged; please try again later.",
        ),
        _ => (
            "Request not completed",
            "The request could not be completed.",
        ),
    }
}

/// `ErrorHandlers` hook: replaces the body of any error response that is not already a page we
/// rendered (a 422 form, say) with the error page, and logs server errors once, with the path.
pub fn render_error_page<B: MessageBody + 'static>(
    mut res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let detail = res.response().extensions().get::<ErrorDetail>().cloned();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // The JSON API's errors are problem documents already (`api::problem`).
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    if is_problem {
        if status.is_server_error() {
            log::error!(
                "{} {} -> {} (API)",
                res.request().method(),
                res.request().path(),
                status.as_u16()
            );
        }
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    if detail.is_none() && is_html {
        // A 404 or 410 of a page may stop being one (a page published, restored): browsers keep
        // an error page without caching rules as long as they like (Chromium: a 410 for ever).
        if !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    if status.is_server_error() {
        log::error!(
            "{} {} -> {}: {}",
            res.request().method(),
            res.request().path(),
            status.as_u16(),
            detail.as_ref().map_or("(no detail)", |d| d.0.as_str())
        );
    }
    let (heading, message) = describe(status);
    let page = ErrorPage {
        ctx: Ctx::from_request(res.request()),
        status: status.as_u16(),
        heading,
        message,
        suggestions: Vec::new(),
    };
    let body = page.render().unwrap_or_else(|e| {
        log::error!("error page failed to render: {e}");
        format!("<!doctype html><title>{heading}</title><h1>{heading}</h1>")
    });
    let (req, mut response) = res.into_parts();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let response = response
        .set_body(body)
        .map_into_boxed_body()
        .map_into_right_body();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(
        req, response,
    )))
}
