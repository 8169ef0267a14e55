//! Cross-cutting HTTP pieces: the layout context, static assets, security headers, rendering.

pub mod assets;
pub mod ctx;
pub mod headers;

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

/// Renders a template as a 200 HTML response.
pub fn render(view: &impl Template) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, view)
}
