//! Cross-cutting HTTP pieces: the layout context, static assets, security headers, rendering.

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod ctx;
pub mod headers;
pub mod page_cache;
pub mod session;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::error::AppError;

/// Renders a template as an HTML response with `status`.
pub fn render_status(status: StatusCode, view: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(view.render()?))
}

/// A 303 See Other: where every successful POST goes next.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// Renders a template as a 200 HTML response.
pub fn render(view: &impl Template) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, view)
}
