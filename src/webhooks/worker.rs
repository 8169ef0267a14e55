//! Sending webhooks: the worker each instance runs in the background. It claims due
//! deliveries one at a time (a lease: never the same one on two instances), writes a delivery's
//! document at its first attempt (the object as the read API shows it to a `pages:read` token),
//! signs and sends it, and records the answer. Each round it also queues the events that came
//! with time (scheduled pages going live or off).

use std::time::{Duration as StdDuration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::api::documents;
use crate::contact::submissions;
use crate::content::pages::Page;
use crate::db::schema::pages;
use crate::db::{self, DbConnection, DbPool};
use crate::error::AppError;
use crate::events::Object;
use crate::media::library as media_library;
use crate::sealed::Sealer;
use crate::state::{AppState, Stopping};
use crate::webhooks::deliveries::{self, Attempt, Delivery};
use crate::webhooks::{endpoints, send};

/// How often the worker looks for due deliveries.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_secs(2);

/// How many rounds between two prunings of the delivery log (about ten minutes).
const PRUNE_EVERY: u32 = 300;

/// What sending needs of the instance.
#[derive(Clone)]
pub struct Context {
    pub sealer: Sealer,
    pub base_url: String,
    pub widths: Vec<u32>,
    pub allow_private: bool,
}

impl Context {
    pub fn of(state: &AppState) -> Context {
        Context {
            sealer: state.sealer.clone(),
            base_url: state.site.current().base_url.clone(),
            widths: state.config.rendition_widths(),
            allow_private: state.config.webhook_allow_private,
        }
    }
}

/// Sends every due delivery once, as at `now`; how many were delivered.
pub async fn run_once(pool: &DbPool, cx: &Context, now: NaiveDateTime) -> Result<usize, AppError> {
    run_until(pool, cx, Some(now), &Stopping::default()).await
}

/// Sends what is due until nothing is or the instance stops. The clock is read at each step
/// (`at` fixes it, for tests): a round of slow receivers must not leave a lease dated in the
/// past, which another instance would take over while this one still sends.
async fn run_until(
    pool: &DbPool,
    cx: &Context,
    at: Option<NaiveDateTime>,
    stopping: &Stopping,
) -> Result<usize, AppError> {
    let now = || at.unwrap_or_else(crate::clock::now);
    let mut delivered = 0;
    while !stopping.is_set() {
        let worker = crate::tokens::lease_token();
        let (w, t) = (worker.clone(), now());
        let claimed = db::run(pool, move |c| {
            let Some(delivery) = deliveries::claim_due(c, &w, t)? else {
                return Ok::<_, diesel::result::Error>(None);
            };
            Ok(endpoints::find(c, delivery.webhook_id)?.map(|hook| (delivery, hook)))
        })
        .await?;
        let Some((delivery, hook)) = claimed else {
            return Ok(delivered);
        };
        let started = Instant::now();
        let answer = match written(pool, cx, &delivery, &worker).await {
            Err(e) => Err(format!("the document could not be written: {e}")),
            Ok(body) => send(cx, &hook, &delivery, body, now()).await,
        };
        let attempt = Attempt {
            duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
            status: answer.as_ref().ok().copied(),
            error: answer.err(),
        };
        let outcome = if attempt.delivered() {
            "delivered"
        } else {
            "failed"
        };
        metrics::counter!("galley_webhook_deliveries_total", "outcome" => outcome).increment(1);
        if !attempt.delivered() {
            log::warn!(
                "webhook delivery {} ({} to endpoint #{}) not delivered (attempt {}): {}",
                delivery.delivery_id,
                delivery.event,
                delivery.webhook_id,
                delivery.attempts + 1,
                attempt
                    .error
                    .clone()
                    .unwrap_or_else(|| format!("status {:?}", attempt.status))
            );
        }
        delivered += usize::from(attempt.delivered());
        let t = now();
        db::run(pool, move |c| {
            deliveries::record(c, &delivery, &worker, &attempt, t)
        })
        .await?;
    }
    Ok(delivered)
}

/// The delivery's document: the one its first attempt wrote, else written now and kept.
async fn written(
    pool: &DbPool,
    cx: &Context,
    delivery: &Delivery,
    worker: &str,
) -> Result<String, AppError> {
    if !delivery.body.is_empty() {
        return Ok(delivery.body.clone());
    }
    let (d, cx, w) = (delivery.clone(), cx.clone(), worker.to_owned());
    db::run(pool, move |c| {
        let body = document(c, &d, &cx)?;
        deliveries::keep_body(c, d.id, &w, &body)?;
        Ok::<_, diesel::result::Error>(body)
    })
    .await
}

/// Signs `body` as sent at `now` and POSTs it, off the async workers.
async fn send(
    cx: &Context,
    hook: &endpoints::Webhook,
    delivery: &Delivery,
    body: String,
    now: NaiveDateTime,
) -> send::Answer {
    let Some(secret) = hook.secret(&cx.sealer) else {
        return Err("the signing secret cannot be opened: the site key (GALLEY_SECRET_KEY) changed since the endpoint was added".into());
    };
    let headers = vec![
        (
            "User-Agent",
            format!("galley/{} (webhooks)", env!("CARGO_PKG_VERSION")),
        ),
        ("Galley-Event", delivery.event.clone()),
        ("Galley-Delivery", delivery.delivery_id.clone()),
        (
            "Galley-Signature",
            send::signature(&secret, now.and_utc().timestamp(), &body),
        ),
    ];
    let (url, allow_private) = (hook.url.clone(), cx.allow_private);
    actix_web::web::block(move || send::post(&url, &headers, &body, allow_private))
        .await
        .unwrap_or_else(|e| Err(format!("send task failed: {e}")))
}

/// The document a delivery carries: the event, the delivery's id, when the change happened and
/// the object as it is now (a page in the trash, or gone for good, by its id, address and title).
fn document(c: &mut DbConnection, d: &Delivery, cx: &Context) -> QueryResult<String> {
    let data = match Object::of(&d.object_kind, d.object_id) {
        Some(Object::Page(id)) => {
            let page: Option<Page> = pages::table
                .find(id)
                .select(Page::as_select())
                .get_result(c)
                .optional()?;
            match page {
                Some(page) if page.in_trash() => {
                    let path: Option<String> = pages::table
                        .find(id)
                        .select(pages::trashed_path)
                        .get_result(c)?;
                    json!({"id": id, "path": format!("/{}", path.unwrap_or_default()), "title": page.title, "status": "deleted"})
                }
                Some(page) => serde_json::to_value(documents::page(c, page, &cx.base_url)?)
                    .unwrap_or_default(),
                None => json!({"id": id, "status": "deleted"}),
            }
        }
        Some(Object::Media(id)) => match media_library::find(c, id)? {
            Some(file) => serde_json::to_value(documents::media(file, &cx.widths, &cx.base_url))
                .unwrap_or_default(),
            None => json!({"id": id}),
        },
        Some(Object::Submission(id)) => match submissions::find(c, id).optional()? {
            Some(s) => serde_json::to_value(documents::submission(s)).unwrap_or_default(),
            None => json!({"id": id}),
        },
        None => json!({"id": d.object_id}),
    };
    Ok(json!({
        "event": d.event,
        "delivery_id": d.delivery_id,
        "time": crate::clock::iso(d.created_at),
        "data": data,
    })
    .to_string())
}

/// The background loop: queue the events that came with time, send what is due. Ends when the
/// instance stops, after the delivery it is sending, if any.
pub async fn worker(state: actix_web::web::Data<AppState>) {
    let mut ticker = actix_web::rt::time::interval(POLL_INTERVAL);
    let mut rounds: u32 = 0;
    while state.stopping.tick(&mut ticker).await {
        let now = crate::clock::now();
        if let Err(e) = db::run(&state.pool, move |c| {
            crate::content::announce::schedule(c, now)
        })
        .await
        {
            log::warn!("webhooks: scheduled events: {e}");
        }
        let cx = Context::of(&state);
        if let Err(e) = run_until(&state.pool, &cx, None, &state.stopping).await {
            log::warn!("webhooks: {e}");
        }
        rounds += 1;
        if rounds.is_multiple_of(PRUNE_EVERY) {
            let now = crate::clock::now();
            if let Err(e) = db::run(&state.pool, move |c| deliveries::prune(c, now)).await {
                log::warn!("webhooks: pruning the delivery log: {e}");
            }
        }
    }
}
