//! The OpenAPI 3.1 document of the JSON API (`GET /api/v1/openapi.json`), made by utoipa from
//! the types the handlers take and answer (their `ToSchema` and `IntoParams` derives). The
//! operations are described here rather than on the handlers, which stay thin; any status an
//! operation does not list is a problem document (`default`), and every GET may answer 304.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::api::documents::{MediaBody, SubmissionBody};
use crate::api::inbox::SubmissionParams;
use crate::api::problem::{FieldProblem, Problem};
use crate::api::read::{ByPath, Hit, ListParams, SearchParams, Tree};
use crate::api::respond::List;
use crate::api::shapes::{PageDetail, PageSummary};
use crate::api::write::{PageBody, ScheduleBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "galley JSON API",
        version = "1",
        description = "Published content for anyone; drafts, writes, uploads and the contact inbox with a personal API token (`Authorization: Bearer glt_…`) whose scopes and owner's role allow it. Errors are RFC 9457 problem documents."
    ),
    paths(
        list_pages, create_page, page_by_path, get_page, update_page, delete_page, page_action,
        tree, search, get_media, upload_media, list_submissions, get_submission, openapi_json
    ),
    components(schemas(Problem, FieldProblem)),
    modifiers(&Common),
    tags(
        (name = "pages", description = "Pages: visitors see what is published; a pages:read token sees drafts; pages:write writes."),
        (name = "media", description = "Files of the media library."),
        (name = "inbox", description = "Contact-form submissions (submissions:read)."),
        (name = "meta", description = "This document.")
    )
)]
pub struct ApiDoc;

/// What every operation shares: the token scheme, problem documents for any other status, 304
/// for reads.
struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token (glt_…), made under My account."))
                    .build(),
            ),
        );
        let problem = ResponseBuilder::new()
            .description("A problem document (RFC 9457): its `type` names the kind of problem, `errors` the fields at fault (422).")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        let not_modified = ResponseBuilder::new()
            .description("Not modified: the `If-None-Match` validator still holds.")
            .build();
        for item in doc.paths.paths.values_mut() {
            if let Some(get) = item.get.as_mut() {
                get.responses
                    .responses
                    .entry("304".into())
                    .or_insert_with(|| not_modified.clone().into());
            }
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for op in operations.into_iter().flatten() {
                op.responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| problem.clone().into());
            }
        }
    }
}

/// The multipart form of `POST /api/v1/media` (the handler reads these parts by name).
#[derive(ToSchema)]
#[allow(dead_code)]
struct MediaUpload {
    /// The file: an image (JPEG, PNG, GIF, WebP) or a document (PDF, text, CSV, ZIP).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Else made from the file's name.
    title: Option<String>,
    /// Required for images.
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
}

/// `GET /api/v1/openapi.json`: this document.
pub async fn document() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default());
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body.clone())
}

/// The document as JSON, for the tests that check the API's answers against it.
pub fn json() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

#[utoipa::path(
    get, path = "/api/v1/pages", tag = "pages", params(ListParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "A part of the list (by id), `Link: rel=\"next\"` to the next", body = List<PageSummary>))
)]
#[allow(dead_code)]
fn list_pages() {}

#[utoipa::path(
    post, path = "/api/v1/pages", tag = "pages", request_body = PageBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key gets the first answer")),
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PageDetail, headers(("Location" = String, description = "The page's address in the API"))))
)]
#[allow(dead_code)]
fn create_page() {}

#[utoipa::path(
    get, path = "/api/v1/pages/by-path", tag = "pages", params(ByPath),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The page at this path (`/`: the home page)", body = PageDetail))
)]
#[allow(dead_code)]
fn page_by_path() {}

#[utoipa::path(
    get, path = "/api/v1/pages/{id}", tag = "pages", params(("id" = i32, Path)),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The page", body = PageDetail))
)]
#[allow(dead_code)]
fn get_page() {}

#[utoipa::path(
    patch, path = "/api/v1/pages/{id}", tag = "pages", request_body = PageBody,
    params(("id" = i32, Path), ("If-Match" = Option<String>, Header, description = "The version the change starts from: 412 if the page changed since")),
    security(("bearer" = [])),
    responses((status = 200, description = "The page as changed", body = PageDetail))
)]
#[allow(dead_code)]
fn update_page() {}

#[utoipa::path(
    delete, path = "/api/v1/pages/{id}", tag = "pages",
    params(("id" = i32, Path), ("If-Match" = Option<String>, Header)),
    security(("bearer" = [])),
    responses((status = 204, description = "Moved to the trash, with the pages under it"))
)]
#[allow(dead_code)]
fn delete_page() {}

#[utoipa::path(
    post, path = "/api/v1/pages/{id}/{action}", tag = "pages", request_body = ScheduleBody,
    params(
        ("id" = i32, Path),
        ("action" = String, Path, description = "publish, unpublish or schedule (with publish_at)"),
        ("If-Match" = Option<String>, Header),
        ("Idempotency-Key" = Option<String>, Header)
    ),
    security(("bearer" = [])),
    responses((status = 200, description = "The page as changed", body = PageDetail))
)]
#[allow(dead_code)]
fn page_action() {}

#[utoipa::path(
    get, path = "/api/v1/tree", tag = "pages", security((), ("bearer" = [])),
    responses((status = 200, description = "The navigation tree as visitors see it", body = Tree))
)]
#[allow(dead_code)]
fn tree() {}

#[utoipa::path(
    get, path = "/api/v1/search", tag = "pages", params(SearchParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "Matches, best first", body = List<Hit>))
)]
#[allow(dead_code)]
fn search() {}

#[utoipa::path(
    get, path = "/api/v1/media/{id}", tag = "media", params(("id" = i32, Path)),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The file and the addresses of its sizes", body = MediaBody))
)]
#[allow(dead_code)]
fn get_media() {}

#[utoipa::path(
    post, path = "/api/v1/media", tag = "media",
    request_body(content = MediaUpload, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = [])),
    responses((status = 201, description = "Added to the library", body = MediaBody, headers(("Location" = String, description = "The file's address in the API"))))
)]
#[allow(dead_code)]
fn upload_media() {}

#[utoipa::path(
    get, path = "/api/v1/submissions", tag = "inbox", params(SubmissionParams),
    security(("bearer" = [])),
    responses((status = 200, description = "Submissions, oldest first (spam left out unless asked for)", body = List<SubmissionBody>))
)]
#[allow(dead_code)]
fn list_submissions() {}

#[utoipa::path(
    get, path = "/api/v1/submissions/{id}", tag = "inbox", params(("id" = i32, Path)),
    security(("bearer" = [])),
    responses((status = 200, description = "One submission", body = SubmissionBody))
)]
#[allow(dead_code)]
fn get_submission() {}

#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", content_type = "application/json"))
)]
#[allow(dead_code)]
fn openapi_json() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_endpoint() {
        let doc = json();
        if std::env::var("PRINT_OPENAPI").is_ok() {
            println!("{}", serde_json::to_string_pretty(&doc).unwrap());
        }
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            paths,
            [
                "/api/v1/media",
                "/api/v1/media/{id}",
                "/api/v1/openapi.json",
                "/api/v1/pages",
                "/api/v1/pages/by-path",
                "/api/v1/pages/{id}",
                "/api/v1/pages/{id}/{action}",
                "/api/v1/search",
                "/api/v1/submissions",
                "/api/v1/submissions/{id}",
                "/api/v1/tree",
            ]
        );
        let problem = &doc["components"]["schemas"]["Problem"];
        assert_eq!(problem["properties"]["type"]["type"], "string", "{problem}");
    }
}
