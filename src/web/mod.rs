//! Cross-cutting HTTP pieces that name no domain: the request id and access log, the layout
//! context, the edge (control characters, body deadlines), form reading and CSRF, conditional
//! responses, the error page, static assets, security headers, rendering.

pub mod access_log;
pub mod assets;
pub mod client;
pub mod conditional;
pub mod csrf;
pub mod ctx;
pub mod edge;
pub mod error_page;
pub mod form;
pub mod headers;
pub mod upload;

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
        .insert_header((
            actix_web::http::header::LOCATION,
            encode_location(location).as_ref(),
        ))
        .finish()
}

/// A URL fit for a `Location` header: bytes outside visible ASCII (a `next` path in another
/// script, say) percent-encoded; escapes already there are kept as they are.
pub fn encode_location(location: &str) -> std::borrow::Cow<'_, str> {
    if location.bytes().all(|b| b.is_ascii_graphic()) {
        return std::borrow::Cow::Borrowed(location);
    }
    let mut out = String::with_capacity(location.len() * 3);
    for b in location.bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Renders a template as a 200 HTML response.
pub fn render(view: &impl Template) -> Result<HttpResponse, AppError> {
    render_status(StatusCode::OK, view)
}

#[cfg(test)]
mod tests {
    #[test]
    fn locations_are_percent_encoded_once() {
        assert_eq!(
            super::encode_location("/admin/pages?q=a%20b"),
            "/admin/pages?q=a%20b"
        );
        assert_eq!(super::encode_location("/café dé"), "/caf%C3%A9%20d%C3%A9");
    }
}
