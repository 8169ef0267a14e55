//! Serving files to visitors at `/media/{id}-{version}/{spec}/{name}.{ext}`: from the in-memory
//! cache when hot (no query), else the stored rendition (made on demand if the background work
//! has not reached it). The bytes behind a URL never change, so they are cached for a year; an
//! old version's URL redirects to the current one.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::caches::File;
use crate::db;
use crate::error::AppError;
use crate::media::library::{self, Media};
use crate::media::renditions::{self, Source, Spec};
use crate::media::store;
use crate::state::AppState;

pub const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// A file is not a page: nothing in it may run, load or be framed, even when opened directly.
pub const FILE_POLICY: &str = "default-src 'none'; sandbox";

/// What a media URL names.
struct Address {
    id: i32,
    version: i32,
    spec: Spec,
    name: String,
    ext: String,
}

fn parse(reference: &str, spec: &str, file: &str) -> Option<Address> {
    let (id, version) = reference.split_once('-')?;
    let number = |s: &str| -> Option<i32> {
        (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (name, ext) = file.rsplit_once('.')?;
    Some(Address {
        id: number(id)?,
        version: number(version)?,
        spec: Spec::parse(spec)?,
        name: name.to_owned(),
        ext: ext.to_owned(),
    })
}

/// The response for a file, or 304 when the client holds it already.
fn respond(req: &HttpRequest, file: &File) -> HttpResponse {
    let held = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == file.etag.as_bytes() || v.as_bytes() == b"*");
    let mut res = if held {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, CACHE_FOREVER))
        .insert_header((header::ETAG, file.etag.clone()))
        .insert_header((header::CONTENT_SECURITY_POLICY, FILE_POLICY));
    if held {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, file.content_type));
    if let Some(disposition) = &file.disposition {
        res.insert_header((header::CONTENT_DISPOSITION, disposition.clone()));
        // PDFs and archives are compressed already.
        if !file.content_type.starts_with("text/") {
            res.insert_header((header::CONTENT_ENCODING, "identity"));
        }
    }
    res.body(file.bytes.clone())
}

/// `attachment; filename="report.pdf"`: documents are downloaded, never shown in the site's
/// origin.
pub fn attachment(file_name: &str) -> HeaderValue {
    // Visible ASCII only, no quote or backslash: always a valid header value.
    let name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"))
}

enum Found {
    File(File),
    Moved(String),
    /// A rendition not made yet.
    ToMake(Box<Media>, Spec, crate::media::imaging::Encoding),
}

fn etag_of(hash: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", &hash[..hash.len().min(32)]))
        .unwrap_or(HeaderValue::from_static("\"m\""))
}

/// Looks the URL up.
fn look_up(
    conn: &mut db::DbConnection,
    address: &Address,
    widths: &[u32],
) -> Result<Option<Found>, AppError> {
    let Some(file) = library::find(conn, address.id)? else {
        return Ok(None);
    };
    // A version to come is not a version: redirecting it would have caches keep a wrong
    // permanent redirect once it exists.
    if address.version > file.version {
        return Ok(None);
    }
    // The widths configured now, and the ones this version was made at (pages ask for those).
    let mut widths = widths.to_vec();
    if let Spec::Width(w) = address.spec
        && !widths.contains(&w)
    {
        widths.extend(
            renditions::queued_widths(conn, [&file])?
                .remove(&file.id)
                .unwrap_or_default(),
        );
    }
    let allowed = renditions::allowed(&file, address.spec, &address.ext, &widths);
    if address.version < file.version {
        let current = allowed
            .map(|_| file.url(&address.spec.name(), &address.ext))
            .unwrap_or_else(|| file.original_url());
        return Ok(Some(Found::Moved(current)));
    }
    let Some(source) = allowed else {
        return Ok(None);
    };
    // One address per file: any other name is sent to it (so made-up names cannot fill the
    // cache or read the file again and again).
    if address.name != file.name {
        return Ok(Some(Found::Moved(
            file.url(&address.spec.name(), &address.ext),
        )));
    }
    let store = store::configured();
    let (hash, bytes, content_type) = match source {
        Source::File => {
            // Missing: replaced a moment ago (the next request is redirected).
            let Some(bytes) = store.get(conn, &file.blob_hash)? else {
                return Ok(None);
            };
            let content_type = crate::media::sniff::FileType::from_ext(&file.ext)
                .map_or("application/octet-stream", |t| t.mime());
            (file.blob_hash.clone(), bytes, content_type)
        }
        Source::Made(spec, encoding) => match renditions::find(conn, store, &file, spec, encoding)?
        {
            Some(made) => (made.blob_hash, made.bytes, encoding.mime()),
            None => return Ok(Some(Found::ToMake(Box::new(file), spec, encoding))),
        },
    };
    Ok(Some(Found::File(File {
        bytes: bytes.into(),
        etag: etag_of(&hash),
        content_type,
        disposition: (!file.is_image()).then(|| attachment(&format!("{}.{}", file.name, file.ext))),
    })))
}

/// `/media/{id}-{version}/{spec}/{name}.{ext}`.
pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let stamp = state.site.current().stamp(crate::clock::now());
    if let Some(file) = state.file_cache.get(req.path(), stamp) {
        return Ok(respond(&req, &file));
    }
    let (reference, spec, name) = path.into_inner();
    let address = parse(&reference, &spec, &name).ok_or(AppError::NotFound)?;
    let widths = state.config.rendition_widths();
    // Through the blocking pool even on SQLite: the read may be a file of megabytes.
    let found = db::run(&state.pool, move |c| look_up(c, &address, &widths)).await?;
    let found = match found {
        Some(Found::ToMake(file, spec, encoding)) => {
            let (pool, quality) = (state.pool.clone(), state.config.webp_quality);
            let made = web::block(move || {
                renditions::make_on_demand(
                    &pool,
                    store::configured(),
                    &file,
                    spec,
                    encoding,
                    quality,
                )
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(AppError::Internal)?;
            Some(Found::File(File {
                etag: etag_of(&made.blob_hash),
                bytes: made.bytes.into(),
                content_type: encoding.mime(),
                disposition: None,
            }))
        }
        other => other,
    };
    match found {
        None | Some(Found::ToMake(..)) => Err(AppError::NotFound),
        Some(Found::Moved(to)) => Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, to))
            .finish()),
        Some(Found::File(file)) => {
            let file = Arc::new(file);
            state.file_cache.put(req.path(), stamp, Arc::clone(&file));
            Ok(respond(&req, &file))
        }
    }
}

/// `/media/{id}`: the current version of the file, wherever its URL has moved to.
pub async fn current(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let file = db::read(&state.pool, move |c| library::find(c, id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, file.original_url()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .finish())
}
