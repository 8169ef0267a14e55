//! What the appearance settings give visitors besides the pages: the generated stylesheet (at
//! its hashed URL, cached for a year) and the web app manifest with the site's icons.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::AppError;
use crate::state::AppState;

/// `/theme/{hash}.css`. An old hash (a page cached before a change) gets today's stylesheet,
/// not to be kept.
pub async fn stylesheet(
    state: web::Data<AppState>,
    file: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let site = state.site.current();
    let current = site.theme.url.strip_prefix("/theme/") == Some(file.as_str());
    if !file.ends_with(".css") {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((
            header::CACHE_CONTROL,
            if current {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            },
        ))
        .body(site.theme.css.clone()))
}

/// `/manifest.webmanifest`: the site's name, colours and icons, when icons are set.
pub async fn manifest(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let site = state.site.current();
    let icons = site.appearance.icons.as_ref().ok_or(AppError::NotFound)?;
    let body = json!({
        "name": site.settings.site_name,
        "short_name": site.settings.site_name.chars().take(12).collect::<String>(),
        "start_url": "/",
        "display": "browser",
        "theme_color": site.theme.accent,
        "background_color": "#ffffff",
        "icons": [
            {"src": icons.icon_192, "sizes": "192x192", "type": "image/png"},
            {"src": icons.icon_512, "sizes": "512x512", "type": "image/png"},
        ],
    });
    Ok(HttpResponse::Ok()
        .content_type("application/manifest+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body.to_string()))
}
