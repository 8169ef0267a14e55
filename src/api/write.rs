//! The write API: pages created, changed, published, unpublished, scheduled and deleted with a
//! `pages:write` token, through the same domain functions as the editor (validation, revisions,
//! redirects on moves, the audit log as the token and its owner, the search index).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Deserializer};

use crate::api::caller::Caller;
use crate::api::idempotency::{self, Reservation, Stored};
use crate::api::problem::Problem;
use crate::api::respond;
use crate::api::shapes::PageDetail;
use crate::api::tokens::Scope;
use crate::audit::Actor;
use crate::content::editing;
use crate::content::pages::{self, PageInput, Status};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::client::client_ip;

/// Absent (`None`) or given, `null` included (`Some(None)`): PATCH changes only what it names.
fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A page as a request gives it, with the editor's field names.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageBody {
    title: Option<String>,
    slug: Option<String>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<i32>)]
    parent_id: Option<Option<i32>>,
    parent_path: Option<String>,
    summary: Option<String>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    seo_title: Option<Option<String>>,
    body: Option<String>,
    status: Option<String>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>, format = DateTime)]
    publish_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>, format = DateTime)]
    unpublish_at: Option<Option<String>>,
    nav_order: Option<i32>,
    in_nav: Option<bool>,
}

impl PageBody {
    /// `base` (the page as stored, or a new page's defaults) with what the request changes.
    fn apply(self, conn: &mut DbConnection, mut input: PageInput) -> Result<PageInput, AppError> {
        let mut errors = FieldErrors::default();
        if let Some(v) = self.title {
            input.title = v;
        }
        if let Some(v) = self.slug {
            input.slug = v;
        }
        if let Some(v) = self.summary {
            input.summary = v;
        }
        if let Some(v) = self.seo_title {
            input.seo_title = v;
        }
        if let Some(v) = self.body {
            input.body_md = v;
        }
        if let Some(v) = self.nav_order {
            input.nav_order = v;
        }
        if let Some(v) = self.in_nav {
            input.in_nav = v;
        }
        if let Some(v) = self.status {
            match Status::parse(&v) {
                Some(s) => input.status = s,
                None => errors.add("status", "Use draft, published or scheduled."),
            }
        }
        if let Some(v) = self.publish_at {
            input.publish_at = v.and_then(|t| respond::time("publish_at", &t, &mut errors));
        }
        if let Some(v) = self.unpublish_at {
            input.unpublish_at = v.and_then(|t| respond::time("unpublish_at", &t, &mut errors));
        }
        match (self.parent_id, self.parent_path) {
            (Some(_), Some(_)) => {
                errors.add("parent_path", "Give parent_id or parent_path, not both.")
            }
            (Some(id), None) => input.parent_id = id,
            (None, Some(path)) => match path.trim().trim_matches('/') {
                "" => input.parent_id = None,
                p => match pages::id_by_path(conn, p)? {
                    Some(id) => input.parent_id = Some(id),
                    None => errors.add("parent_path", format!("There is no page /{p}.")),
                },
            },
            (None, None) => {}
        }
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

/// A new page's defaults: a draft at the top level.
fn new_page() -> PageInput {
    PageInput {
        parent_id: None,
        slug: String::new(),
        title: String::new(),
        summary: String::new(),
        seo_title: None,
        body_md: String::new(),
        status: Status::Draft,
        publish_at: None,
        nav_order: 0,
        in_nav: false,
        related_pins: String::new(),
        image_id: None,
        unpublish_at: None,
    }
}

/// The caller, if its token may write pages.
pub(crate) fn writer(
    caller: Caller,
    scope: Scope,
    req: &HttpRequest,
) -> Result<(i32, Actor), Problem> {
    if !caller.may(scope) {
        return Err(match caller {
            Caller::Visitor => Problem::unauthorized(),
            Caller::Token { .. } => Problem::forbidden(format!(
                "This needs a token with {} whose owner may do it.",
                scope.as_str()
            )),
        });
    }
    let Caller::Token { token, user } = caller else {
        return Err(Problem::unauthorized());
    };
    let actor = Actor {
        user_id: Some(user.id),
        // The audit log names the token and its owner (never the token itself).
        name: format!("{} (API token \u{201c}{}\u{201d})", user.email, token.name),
        ip: client_ip(req),
    };
    Ok((token.id, actor))
}

fn body_of<T: for<'de> Deserialize<'de> + Default>(bytes: &[u8]) -> Result<T, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request(format!("The body is not the JSON this takes: {e}.")))
}

/// `If-Match: <version>` (quoted or not), if sent.
fn if_match(req: &HttpRequest) -> Result<Option<i32>, Problem> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse().ok())
        .map(Some)
        .ok_or_else(|| Problem::bad_request("If-Match takes the page's version, a number."))
}

/// What a write answers: its status, its `Location`, the page as the read API shows it.
async fn answer(
    state: &web::Data<AppState>,
    status: StatusCode,
    page: pages::Page,
) -> Result<Stored, Problem> {
    state.refresh().await?;
    let site = state.site.current();
    let children = site
        .tree
        .children(Some(page.id), crate::clock::now())
        .iter()
        .map(|n| n.id)
        .collect();
    let location = format!("/api/v1/pages/{}", page.id);
    let (path, p) = (page.path.clone(), page.clone());
    let (above, author) = db::run(&state.pool, move |c| {
        let above = crate::api::documents::ancestors(c, &path)?;
        Ok::<_, diesel::result::Error>((above, crate::api::documents::author(c, &p)?))
    })
    .await?;
    let body = PageDetail::of(page, &above, children, author, &site.base_url);
    Ok(Stored {
        request_hash: String::new(),
        status: status.as_u16(),
        location,
        body: serde_json::to_string(&body).map_err(|_| Problem::internal())?,
    })
}

fn respond(stored: &Stored, replayed: bool) -> HttpResponse {
    let mut res =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    res.content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if !stored.location.is_empty() {
        res.insert_header((header::LOCATION, stored.location.clone()));
    }
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.body(stored.body.clone())
}

/// Runs a write under the request's `Idempotency-Key`, if it has one: a key already answered
/// for the same request gets that answer again, and nothing is written twice.
pub(crate) async fn once<F, Fut>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    token_id: i32,
    bytes: &[u8],
    write: F,
) -> Result<HttpResponse, Problem>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Stored, Problem>>,
{
    let Some(key) = req.headers().get("idempotency-key") else {
        return Ok(respond(&write().await?, false));
    };
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= idempotency::MAX_KEY)
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "Idempotency-Key takes up to {} visible characters.",
                idempotency::MAX_KEY
            ))
        })?
        .to_owned();
    let hash = crate::tokens::hash(&format!(
        "{} {}\n{}",
        req.method(),
        req.path(),
        String::from_utf8_lossy(bytes)
    ));
    let (now, k, h) = (crate::clock::now(), key.clone(), hash.clone());
    let held = db::run(&state.pool, move |c| {
        idempotency::reserve(c, token_id, &k, &h, now)
    })
    .await?;
    match held {
        Reservation::Answered(stored) if stored.request_hash == hash => {
            return Ok(respond(&stored, true));
        }
        Reservation::Pending(first) if first == hash => return Err(Problem::key_in_use()),
        Reservation::Answered(_) | Reservation::Pending(_) => {
            return Err(Problem::unprocessable_key());
        }
        Reservation::New => {}
    }
    let written = write().await;
    let k = key.clone();
    let kept = match &written {
        Ok(stored) => {
            let stored = stored.clone();
            db::run(&state.pool, move |c| {
                idempotency::keep(c, token_id, &k, &stored)
            })
            .await
        }
        Err(_) => db::run(&state.pool, move |c| idempotency::release(c, token_id, &k)).await,
    };
    if let Err(e) = kept {
        log::warn!("api: the answer to an idempotency key was not kept: {e}");
    }
    Ok(respond(&written?, false))
}

/// `POST /api/v1/pages`: 201 with the page and its `Location`.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    bytes: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let (token_id, actor) = writer(caller, Scope::PagesWrite, &req)?;
    let body: PageBody = body_of(&bytes)?;
    once(&req, &state, token_id, &bytes, || async {
        let page = db::run(&state.pool, move |c| {
            let input = body.apply(c, new_page())?;
            editing::save(c, None, &input, None, &actor, "Created through the API")
                .map_err(AppError::from)
        })
        .await?;
        answer(&state, StatusCode::CREATED, page).await
    })
    .await
}

/// `PATCH /api/v1/pages/{id}`: what the body names changes; `If-Match` with the version it
/// started from (412 with the current version when someone saved since).
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    bytes: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let (_, actor) = writer(caller, Scope::PagesWrite, &req)?;
    let body: PageBody = body_of(&bytes)?;
    let expected = if_match(&req)?;
    let id = id.into_inner();
    let page = db::run(&state.pool, move |c| {
        let page = existing(c, id)?;
        let input = body.apply(c, page.to_input())?;
        editing::save(
            c,
            Some(id),
            &input,
            expected,
            &actor,
            "Changed through the API",
        )
        .map_err(AppError::from)
    })
    .await?;
    Ok(respond(&answer(&state, StatusCode::OK, page).await?, false))
}

fn existing(conn: &mut DbConnection, id: i32) -> Result<pages::Page, AppError> {
    match pages::find(conn, id) {
        Ok(p) if !p.in_trash() => Ok(p),
        Ok(_) | Err(diesel::result::Error::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    publish_at: Option<String>,
}

/// `POST /api/v1/pages/{id}/publish`, `/unpublish` and `/schedule` (`{"publish_at": …}`), with
/// an optional `If-Match`.
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i32, String)>,
    bytes: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let (token_id, actor) = writer(caller, Scope::PagesWrite, &req)?;
    let (id, action) = path.into_inner();
    let body: ScheduleBody = body_of(&bytes)?;
    let expected = if_match(&req)?;
    let mut errors = FieldErrors::default();
    let at = match (action.as_str(), body.publish_at) {
        ("schedule", Some(t)) => respond::time("publish_at", &t, &mut errors),
        ("schedule", None) => {
            errors.add("publish_at", "Give the time to publish at.");
            None
        }
        ("publish" | "unpublish", None) => None,
        ("publish" | "unpublish", Some(_)) => {
            errors.add("publish_at", "Only /schedule takes a time.");
            None
        }
        _ => return Err(Problem::not_found("Use publish, unpublish or schedule.")),
    };
    if !errors.is_empty() {
        return Err(Problem::invalid(&errors));
    }
    once(&req, &state, token_id, &bytes, || async {
        let page = db::run(&state.pool, move |c| {
            let page = existing(c, id)?;
            let mut input = page.to_input();
            match action.as_str() {
                "publish" => {
                    input.status = Status::Published;
                    input.publish_at = None;
                }
                "unpublish" => input.status = Status::Draft,
                _ => {
                    input.status = Status::Scheduled;
                    input.publish_at = at;
                }
            }
            let note = format!("{} through the API", capitalised(&action));
            editing::save(c, Some(id), &input, expected, &actor, &note).map_err(AppError::from)
        })
        .await?;
        answer(&state, StatusCode::OK, page).await
    })
    .await
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `DELETE /api/v1/pages/{id}`: to the trash (with what is under it), as the editor's delete; 204.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> Result<HttpResponse, Problem> {
    let (_, actor) = writer(caller, Scope::PagesWrite, &req)?;
    let id = id.into_inner();
    let expected = if_match(&req)?;
    db::run(&state.pool, move |c| {
        let page = existing(c, id)?;
        if expected.is_some_and(|v| v != page.version) {
            return Err(AppError::Conflict(page.version));
        }
        editing::delete_page(c, id, None, &actor).map_err(AppError::from)
    })
    .await?;
    state.refresh().await?;
    Ok(HttpResponse::NoContent().finish())
}
