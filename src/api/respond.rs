//! How the API answers: JSON with an ETag (the content version, the schedule, the request and
//! what the caller may see) and 304 for a matching `If-None-Match`, a short `Cache-Control`,
//! cursor pagination with a `Link: rel="next"` header, and CORS for the origins the operator
//! listed (`GALLEY_API_CORS_ORIGINS`).

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::caller::Caller;
use crate::api::problem::Problem;
use crate::snapshot::Snapshot;
use crate::state::AppState;
use crate::validation::FieldErrors;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// What a response is valid for, and where its links point.
pub struct Validators {
    etag: Option<String>,
    public: bool,
    /// Seconds a shared cache may keep it: at most a minute, less when a page goes live or
    /// leaves the site by itself before then.
    max_age: i64,
    base_url: String,
}

/// For answers no cache may keep (the contact inbox): no validators, `no-store`.
pub fn private(site: &Snapshot) -> Validators {
    Validators {
        etag: None,
        public: false,
        max_age: 0,
        base_url: site.base_url.clone(),
    }
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
    let max_age = site
        .tree
        .next_change_after(now)
        .map_or(MAX_AGE, |t| (t - now).num_seconds().clamp(0, MAX_AGE));
    Validators {
        etag: Some(format!(
            "W/\"{}-{}-{}\"",
            stamp.content_version,
            stamp.schedule_epoch,
            &key[..16]
        )),
        public: view == "public",
        max_age,
        base_url: site.base_url.clone(),
    }
}

/// The longest a shared cache may keep an answer.
const MAX_AGE: i64 = 60;

/// A 304 when the caller already has this answer (`*` is no tag for a read).
pub fn not_modified(req: &HttpRequest, validators: &Validators) -> Option<HttpResponse> {
    let etag = validators.etag.as_deref()?;
    let sent = req.headers().get(header::IF_NONE_MATCH)?.to_str().ok()?;
    crate::web::conditional::lists_tag(sent, etag).then(|| {
        let mut res = HttpResponse::NotModified();
        caching(&mut res, validators);
        res.finish()
    })
}

fn caching(res: &mut actix_web::HttpResponseBuilder, validators: &Validators) {
    let cache = match (&validators.etag, validators.public) {
        (None, _) => "no-store".to_owned(),
        (Some(_), true) => format!("public, max-age={}", validators.max_age),
        (Some(_), false) => "private, no-cache".to_owned(),
    };
    if let Some(etag) = &validators.etag {
        res.insert_header((header::ETAG, etag.clone()));
    }
    res.insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Authorization, Origin"));
}

/// `body` as JSON, with its validators.
pub fn json<T: Serialize>(validators: &Validators, body: &T) -> Result<HttpResponse, Problem> {
    let mut res = HttpResponse::Ok();
    caching(&mut res, validators);
    Ok(res
        .content_type("application/json")
        .body(serde_json::to_string(body).map_err(|_| Problem::internal())?))
}

/// A part of a list, and where it is in the whole.
#[derive(Serialize, ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
    pub meta: Meta,
}

/// A list (`data` and `meta`) as JSON, with a `Link` to the next part when there is one.
pub fn json_list<T: Serialize>(
    req: &HttpRequest,
    validators: &Validators,
    data: Vec<T>,
    meta: Meta,
) -> Result<HttpResponse, Problem> {
    let list = List { data, meta };
    let mut res = HttpResponse::Ok();
    caching(&mut res, validators);
    if let Some(cursor) = &list.meta.pagination.next_cursor {
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        pairs.retain(|(k, _)| k != "cursor");
        pairs.push(("cursor".into(), cursor.clone()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        res.insert_header((
            header::LINK,
            format!(
                "<{}{}?{query}>; rel=\"next\"",
                validators.base_url,
                req.path()
            ),
        ));
    }
    Ok(res
        .content_type("application/json")
        .body(serde_json::to_string(&list).map_err(|_| Problem::internal())?))
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub pagination: Pagination,
    /// Set when `limit` was over the most a request may ask for: what was asked and used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_clamped: Option<Clamp>,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    pub limit: usize,
    /// How many match, over all parts.
    pub total: usize,
    /// Pass as `cursor` for the next part; `null` on the last.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Clamp {
    pub requested: u64,
    pub used: usize,
}

/// How a list is walked: by id (the cursor is the last id sent) or by rank (a position).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Order {
    ById,
    Ranked,
}

impl Order {
    fn prefix(self) -> char {
        match self {
            Order::ById => 'i',
            Order::Ranked => 'p',
        }
    }
}

/// `limit` and `cursor` as asked.
pub struct Paging {
    limit: usize,
    clamp: Option<Clamp>,
    from: i64,
    order: Order,
}

impl Paging {
    pub fn parse(
        limit: Option<&str>,
        cursor: Option<&str>,
        order: Order,
        errors: &mut FieldErrors,
    ) -> Paging {
        let mut paging = Paging {
            limit: DEFAULT_LIMIT,
            clamp: None,
            from: 0,
            order,
        };
        if let Some(raw) = limit {
            let raw = raw.trim();
            let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
            match raw.parse::<u64>() {
                Ok(n @ 1..) if n <= MAX_LIMIT as u64 => paging.limit = n as usize,
                // Very large numbers are clamped too, however many digits they have.
                Ok(n @ 1..) => paging.clamp_to(n),
                Err(_) if digits && !raw.trim_start_matches('0').is_empty() => {
                    paging.clamp_to(u64::MAX)
                }
                _ => errors.add(
                    "limit",
                    format!("Give a whole number from 1 to {MAX_LIMIT}."),
                ),
            }
        }
        match cursor.filter(|c| !c.is_empty()) {
            None => {}
            Some(c) => match c
                .strip_prefix(order.prefix())
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n >= 0)
            {
                Some(n) => paging.from = n,
                None => errors.add(
                    "cursor",
                    "This cursor was not made for this list: pass meta.pagination.next_cursor as it is.",
                ),
            },
        }
        paging
    }

    fn clamp_to(&mut self, requested: u64) {
        self.limit = MAX_LIMIT;
        self.clamp = Some(Clamp {
            requested,
            used: MAX_LIMIT,
        });
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The last id sent (0 at the start).
    pub fn after(&self) -> i64 {
        self.from
    }

    /// The part of `all` (in id order) after the cursor: the cursor is the last id sent, so a
    /// page added or removed meanwhile moves nothing already sent.
    pub fn take<T>(self, all: Vec<T>, id: impl Fn(&T) -> i32) -> (Vec<T>, Meta) {
        let total = all.len();
        let after = self.from;
        let rest: Vec<T> = all
            .into_iter()
            .filter(|t| i64::from(id(t)) > after)
            .collect();
        self.finish(total, rest, id)
    }

    /// `rows`: what follows the cursor, in id order, at least `limit + 1` of them when there
    /// are more (a query asks for one more than it shows).
    pub fn finish<T>(
        self,
        total: usize,
        mut rows: Vec<T>,
        id: impl Fn(&T) -> i32,
    ) -> (Vec<T>, Meta) {
        let more = rows.len() > self.limit;
        rows.truncate(self.limit);
        let next = more
            .then(|| rows.last().map(|t| self.cursor(i64::from(id(t)))))
            .flatten();
        (rows, self.meta(total, next))
    }

    /// The part of a ranked list (search results) after the cursor, which is a position.
    pub fn take_ranked(self, ranked: Vec<i32>) -> (Vec<i32>, Meta) {
        let total = ranked.len();
        let from = usize::try_from(self.from).unwrap_or(usize::MAX);
        let window: Vec<i32> = ranked.into_iter().skip(from).take(self.limit).collect();
        let end = from.saturating_add(window.len());
        let next = (end < total).then(|| self.cursor(end as i64));
        (window, self.meta(total, next))
    }

    fn cursor(&self, n: i64) -> String {
        format!("{}{n}", self.order.prefix())
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

/// A time as the API takes it (RFC 3339), or the error next to `field`.
pub fn time(field: &'static str, value: &str, errors: &mut FieldErrors) -> Option<NaiveDateTime> {
    match chrono::DateTime::parse_from_rfc3339(value.trim()) {
        Ok(t) => Some(t.naive_utc()),
        Err(_) => {
            errors.add(
                field,
                "Give a time in RFC 3339 form, for example 2026-12-01T09:30:00Z.",
            );
            None
        }
    }
}

/// The API's edge, around every request under `/api/v1/`: the per-address rate limit (429),
/// CORS for the listed origins (preflights answered here), and errors that are not problem
/// documents yet (a 405, an unreadable query) turned into one.
pub async fn edge<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let allowed = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| state.config.api_origin_allowed(o))
        .map(str::to_owned);
    let answer = |req: ServiceRequest, res: HttpResponse| {
        let (http, _) = req.into_parts();
        let mut res = ServiceResponse::new(http, res).map_into_right_body();
        cors(res.headers_mut(), allowed.as_deref());
        Ok(res)
    };
    if req.method() == actix_web::http::Method::OPTIONS {
        let mut res = HttpResponse::NoContent();
        res.insert_header((header::VARY, "Origin"));
        if allowed.is_some() {
            res.insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        return answer(req, res.finish());
    }
    let unix = crate::clock::now().and_utc().timestamp().max(0) as u64;
    if let Err(wait) = state
        .api_limiter
        .check(&crate::web::client::client_ip(req.request()), unix)
    {
        return answer(req, Problem::rate_limited(wait).error_response());
    }
    let (site, now) = (state.site.current(), crate::clock::now());
    let stamp = site.stamp(now);
    // A kept answer's max-age was right when it was made: not when a scheduled change is near.
    let change_soon = site
        .tree
        .next_change_after(now)
        .is_some_and(|t| (t - now).num_seconds() < MAX_AGE);
    let key = crate::api::answers::key(&req).filter(|_| !change_soon);
    if let Some(key) = &key
        && let Some(hit) = crate::api::answers::hit(&state.api_cache, &req, key, stamp)
    {
        return answer(req, hit);
    }
    let res = next.call(req).await?;
    if let Some(key) = &key
        && crate::api::answers::keepable(&res, &state.api_cache)
    {
        let mut res = crate::api::answers::keep(&state.api_cache, key, stamp, res)
            .await?
            .map_into_right_body();
        cors(res.headers_mut(), allowed.as_deref());
        return Ok(res);
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    let status = res.status();
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let allow = res.headers().get(header::ALLOW).cloned();
        let (http, _) = res.into_parts();
        let mut problem = Problem::for_status(status).error_response();
        if let Some(allow) = allow {
            problem.headers_mut().insert(header::ALLOW, allow);
        }
        let mut res = ServiceResponse::new(http, problem).map_into_right_body();
        cors(res.headers_mut(), allowed.as_deref());
        return Ok(res);
    }
    let mut res = res.map_into_left_body();
    cors(res.headers_mut(), allowed.as_deref());
    Ok(res)
}

fn cors(headers: &mut header::HeaderMap, origin: Option<&str>) {
    let Some(value) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return;
    };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag, Link, Location, Retry-After"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_clamped_and_bad_values_named() {
        let mut errors = FieldErrors::default();
        let p = Paging::parse(Some("500"), None, Order::ById, &mut errors);
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
        assert_eq!(meta.pagination.next_cursor.as_deref(), Some("i100"));
        for bad in ["0", "-3", "ten", "", "000"] {
            let mut errors = FieldErrors::default();
            Paging::parse(Some(bad), Some("x9"), Order::ById, &mut errors);
            assert!(errors.has("limit") && errors.has("cursor"), "{bad}");
        }
        let mut errors = FieldErrors::default();
        let p = Paging::parse(
            Some("99999999999999999999999"),
            None,
            Order::ById,
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(p.limit(), MAX_LIMIT);
        Paging::parse(None, Some("p3"), Order::ById, &mut errors);
        assert!(errors.has("cursor"), "a search cursor is no list cursor");
    }

    #[test]
    fn a_cursor_is_the_last_id_sent_so_inserts_move_nothing() {
        let mut errors = FieldErrors::default();
        let (first, meta) =
            Paging::parse(Some("2"), None, Order::ById, &mut errors).take(vec![1, 3, 5, 7], |i| *i);
        assert_eq!(first, vec![1, 3]);
        let cursor = meta.pagination.next_cursor.unwrap();
        // 2 is added and 5 removed before the next request.
        let (next, meta) = Paging::parse(Some("2"), Some(&cursor), Order::ById, &mut errors)
            .take(vec![1, 2, 3, 7, 9], |i| *i);
        assert_eq!(next, vec![7, 9]);
        assert_eq!(meta.pagination.next_cursor, None);
        assert_eq!(meta.pagination.total, 5);
    }
}
