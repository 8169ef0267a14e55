//! How the API answers: JSON with an ETag (the content version, the schedule, the request and
//! what the caller may see) and 304 for a matching `If-None-Match`, a short `Cache-Control`,
//! cursor pagination with a `Link: rel="next"` header, and CORS for the origins the operator
//! listed (`GALLEY_API_CORS_ORIGINS`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::api::caller::Caller;
use crate::api::problem::Problem;
use crate::snapshot::Snapshot;
use crate::state::AppState;
use crate::validation::FieldErrors;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// What a response is valid for.
pub struct Validators {
    etag: String,
    public: bool,
}

/// The validators of the answer to `req` for `caller` now.
pub fn validators(
    req: &HttpRequest,
    site: &Snapshot,
    now: NaiveDateTime,
    caller: &Caller,
) -> Validators {
    let stamp = site.stamp(now);
    let view = caller.view_key();
    let key = crate::tokens::hash(&format!("{}?{}|{view}", req.path(), req.query_string()));
    Validators {
        etag: format!(
            "W/\"{}-{}-{}\"",
            stamp.content_version,
            stamp.schedule_epoch,
            &key[..16]
        ),
        public: view == "public",
    }
}

/// A 304 when the caller already has this answer.
pub fn not_modified(
    req: &HttpRequest,
    validators: &Validators,
    _state: &AppState,
) -> Option<HttpResponse> {
    let sent = req.headers().get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let matches = sent.split(',').map(str::trim).any(|t| {
        t == "*"
            || t == validators.etag
            || t.trim_start_matches("W/") == validators.etag.trim_start_matches("W/")
    });
    matches.then(|| {
        let mut res = HttpResponse::NotModified();
        caching(&mut res, validators);
        res.finish()
    })
}

fn caching(res: &mut actix_web::HttpResponseBuilder, validators: &Validators) {
    res.insert_header((header::ETAG, validators.etag.clone()))
        .insert_header((
            header::CACHE_CONTROL,
            if validators.public {
                "public, max-age=60"
            } else {
                "private, no-cache"
            },
        ))
        .insert_header((header::VARY, "Authorization, Origin"));
}

/// `body` as JSON, with its validators.
pub fn json<T: Serialize>(
    _req: &HttpRequest,
    _state: &AppState,
    validators: &Validators,
    body: &T,
) -> Result<HttpResponse, Problem> {
    let mut res = HttpResponse::Ok();
    caching(&mut res, validators);
    Ok(res
        .content_type("application/json")
        .body(serde_json::to_string(body).map_err(|_| Problem::internal())?))
}

/// A list (`data` and `meta`) as JSON, with a `Link` to the next part when there is one.
pub fn json_list<T: Serialize>(
    req: &HttpRequest,
    state: &AppState,
    validators: &Validators,
    data: Vec<T>,
    meta: Meta,
) -> Result<HttpResponse, Problem> {
    #[derive(Serialize)]
    struct List<T: Serialize> {
        data: Vec<T>,
        meta: Meta,
    }
    let list = List { data, meta };
    let mut res = HttpResponse::Ok();
    caching(&mut res, validators);
    if let Some(cursor) = &list.meta.pagination.next_cursor {
        let site = state.site.current();
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        pairs.retain(|(k, _)| k != "cursor");
        pairs.push(("cursor".into(), cursor.clone()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        res.insert_header((
            header::LINK,
            format!("<{}{}?{query}>; rel=\"next\"", site.base_url, req.path()),
        ));
    }
    Ok(res
        .content_type("application/json")
        .body(serde_json::to_string(&list).map_err(|_| Problem::internal())?))
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub pagination: Pagination,
    /// Set when `limit` was over the most a request may ask for: what was asked and used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_clamped: Option<Clamp>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    pub limit: usize,
    /// How many match, over all parts.
    pub total: usize,
    /// Pass as `cursor` for the next part; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Clamp {
    pub requested: u64,
    pub used: usize,
}

/// `limit` and `cursor` as asked.
pub struct Paging {
    limit: usize,
    clamp: Option<Clamp>,
    cursor: Option<String>,
}

impl Paging {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>, errors: &mut FieldErrors) -> Paging {
        let mut paging = Paging {
            limit: DEFAULT_LIMIT,
            clamp: None,
            cursor: cursor.filter(|c| !c.is_empty()).map(str::to_owned),
        };
        if let Some(raw) = limit {
            match raw.trim().parse::<u64>() {
                Ok(0) | Err(_) => errors.add(
                    "limit",
                    format!("Give a whole number from 1 to {MAX_LIMIT}."),
                ),
                Ok(n) if n > MAX_LIMIT as u64 => {
                    paging.limit = MAX_LIMIT;
                    paging.clamp = Some(Clamp {
                        requested: n,
                        used: MAX_LIMIT,
                    });
                }
                Ok(n) => paging.limit = n as usize,
            }
        }
        if let Some(c) = &paging.cursor
            && decode(c).is_none()
        {
            errors.add(
                "cursor",
                "This cursor was not made by this API: pass meta.pagination.next_cursor as it is.",
            );
        }
        paging
    }

    /// The part of `all` (in id order) after the cursor: the cursor is the last id sent, so a
    /// page added or removed meanwhile moves nothing already sent.
    pub fn take<T>(self, all: Vec<T>, id: impl Fn(&T) -> i32) -> (Vec<T>, Meta) {
        let total = all.len();
        let after = self.cursor.as_deref().and_then(decode).unwrap_or(0);
        let mut rest: Vec<T> = all.into_iter().filter(|t| id(t) > after).collect();
        let more = rest.len() > self.limit;
        rest.truncate(self.limit);
        let next_cursor = more.then(|| rest.last().map(|t| encode(id(t)))).flatten();
        (rest, self.meta(total, next_cursor))
    }

    /// The part of a ranked list (search results) after the cursor, which is a position.
    pub fn take_ranked(self, ranked: Vec<(usize, i32)>) -> (Vec<i32>, Meta) {
        let total = ranked.len();
        let from = self.cursor.as_deref().and_then(decode).unwrap_or(0).max(0) as usize;
        let window: Vec<i32> = ranked
            .into_iter()
            .skip(from)
            .take(self.limit)
            .map(|(_, id)| id)
            .collect();
        let end = from + window.len();
        let next_cursor = (end < total).then(|| encode(end as i32));
        (window, self.meta(total, next_cursor))
    }

    fn meta(self, total: usize, next_cursor: Option<String>) -> Meta {
        Meta {
            pagination: Pagination {
                limit: self.limit,
                total,
                next_cursor,
            },
            limit_clamped: self.clamp,
        }
    }
}

/// Cursors are opaque to callers: `c` and a number.
fn encode(n: i32) -> String {
    format!("c{n}")
}

fn decode(c: &str) -> Option<i32> {
    c.strip_prefix('c')?.parse().ok().filter(|n: &i32| *n >= 0)
}

/// CORS on every API answer, errors included: the origins the operator listed may read them;
/// preflight requests (`OPTIONS`) are answered here.
pub async fn cors<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let allowed = origin.filter(|o| {
        req.app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.config.api_cors_origins.iter().any(|a| a.trim() == o))
    });
    if req.method() == actix_web::http::Method::OPTIONS {
        let mut res = HttpResponse::NoContent();
        res.insert_header((header::VARY, "Origin"));
        if let Some(o) = &allowed {
            res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, o.as_str()))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
                ))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        let (http, _) = req.into_parts();
        return Ok(ServiceResponse::new(http, res.finish()).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    if let Some(o) = allowed
        && let Ok(value) = HeaderValue::from_str(&o)
    {
        let headers = res.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, Link, Retry-After"),
        );
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_clamped_and_bad_values_named() {
        let mut errors = FieldErrors::default();
        let p = Paging::parse(Some("500"), None, &mut errors);
        assert!(errors.is_empty());
        let (part, meta) = p.take((1..=150).collect::<Vec<i32>>(), |i| *i);
        assert_eq!(part.len(), 100);
        assert_eq!(
            meta.limit_clamped,
            Some(Clamp {
                requested: 500,
                used: 100
            })
        );
        assert_eq!(meta.pagination.next_cursor.as_deref(), Some("c100"));
        for bad in ["0", "-3", "ten"] {
            let mut errors = FieldErrors::default();
            Paging::parse(Some(bad), Some("x9"), &mut errors);
            assert!(errors.has("limit") && errors.has("cursor"), "{bad}");
        }
    }

    #[test]
    fn a_cursor_is_the_last_id_sent_so_inserts_move_nothing() {
        let mut errors = FieldErrors::default();
        let (first, meta) =
            Paging::parse(Some("2"), None, &mut errors).take(vec![1, 3, 5, 7], |i| *i);
        assert_eq!(first, vec![1, 3]);
        let cursor = meta.pagination.next_cursor.unwrap();
        // 2 is added and 5 removed before the next request.
        let (next, meta) =
            Paging::parse(Some("2"), Some(&cursor), &mut errors).take(vec![1, 2, 3, 7, 9], |i| *i);
        assert_eq!(next, vec![7, 9]);
        assert_eq!(meta.pagination.next_cursor, None);
        assert_eq!(meta.pagination.total, 5);
    }
}
