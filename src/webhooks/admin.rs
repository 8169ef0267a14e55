//! The webhooks screens (admins only): `/admin/webhooks` lists the endpoints and adds one (its
//! secret shown once), `/admin/webhooks/{id}` shows its delivery log with "send again", and
//! turns it on, off, or deletes it.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

use crate::accounts::extract::Admin;
use crate::clock::now;
use crate::db;
use crate::error::AppError;
use crate::events::EVENTS;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::{Ctx, flash};
use crate::web::{render_status, see_other};
use crate::webhooks::deliveries::{self, Delivery};
use crate::webhooks::endpoints::{self, NewWebhook, Webhook};

/// How many deliveries an endpoint's log shows.
const LOG_LENGTH: i64 = 50;

pub struct EventChoice {
    pub value: &'static str,
    pub checked: bool,
}

pub struct EndpointRow {
    pub id: i32,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub disabled_reason: String,
}

impl EndpointRow {
    fn new(w: &Webhook) -> EndpointRow {
        EndpointRow {
            id: w.id,
            url: w.url.clone(),
            events: w.event_list().join(", "),
            enabled: w.enabled,
            disabled_reason: w.disabled_reason.clone(),
        }
    }
}

pub struct DeliveryRow {
    pub id: i32,
    pub delivery_id: String,
    pub time: String,
    pub event: String,
    pub state: &'static str,
    pub status: String,
    pub duration: String,
    pub attempts: i32,
    pub error: String,
}

fn at(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl DeliveryRow {
    fn new(d: &Delivery) -> DeliveryRow {
        DeliveryRow {
            id: d.id,
            delivery_id: d.delivery_id.clone(),
            time: at(d.last_attempt_at.unwrap_or(d.created_at)),
            event: d.event.clone(),
            state: d.state(),
            status: d.last_status.map(|s| s.to_string()).unwrap_or_default(),
            duration: d
                .last_duration_ms
                .map(|ms| format!("{ms} ms"))
                .unwrap_or_default(),
            attempts: d.attempts,
            error: d.last_error.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
pub struct WebhooksPage {
    pub ctx: Ctx,
    pub endpoints: Vec<EndpointRow>,
    pub errors: FieldErrors,
    pub url: String,
    pub events: Vec<EventChoice>,
    /// The endpoint just added and its signing secret, shown this once.
    pub added: Option<(i32, String)>,
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
pub struct WebhookPage {
    pub ctx: Ctx,
    pub endpoint: EndpointRow,
    pub deliveries: Vec<DeliveryRow>,
}

fn choices(checked: &[String]) -> Vec<EventChoice> {
    EVENTS
        .iter()
        .map(|&value| EventChoice {
            value,
            checked: checked.iter().any(|c| c == value),
        })
        .collect()
}

async fn list_page(
    admin: Admin,
    state: &AppState,
    errors: FieldErrors,
    form: NewWebhook,
    added: Option<(i32, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let hooks = db::run(&state.pool, endpoints::list).await?;
    let view = WebhooksPage {
        endpoints: hooks.iter().map(EndpointRow::new).collect(),
        errors,
        url: form.url,
        events: choices(&form.events),
        added,
        ctx: admin.0.ctx,
    };
    let mut res = render_status(status, &view)?;
    // The page may carry a secret: never kept by a cache or the back button.
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `GET /admin/webhooks`.
pub async fn list(admin: Admin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let form = NewWebhook::default();
    list_page(
        admin,
        &state,
        FieldErrors::default(),
        form,
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/webhooks`: adds an endpoint and shows its secret once.
pub async fn create(
    admin: Admin,
    state: web::Data<AppState>,
    // The raw pairs: `events` comes once per ticked box.
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let field = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let form = NewWebhook {
        url: field("url").into_iter().next().unwrap_or_default(),
        events: field("events"),
    };
    let errors = form.validate(state.config.webhook_allow_private);
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return list_page(admin, &state, errors, form, None, status).await;
    }
    let (sealer, actor, new) = (state.sealer.clone(), admin.0.actor(), form.clone());
    let added = db::run(&state.pool, move |c| {
        endpoints::create(c, &sealer, &new, &actor, now())
    })
    .await?;
    let blank = NewWebhook::default();
    list_page(
        admin,
        &state,
        FieldErrors::default(),
        blank,
        Some(added),
        StatusCode::OK,
    )
    .await
}

/// `GET /admin/webhooks/{id}`: the endpoint and its latest deliveries.
pub async fn show(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (hook, log) = db::run(&state.pool, move |c| {
        let hook = endpoints::find(c, id)?;
        Ok::<_, diesel::result::Error>((hook, deliveries::recent(c, id, LOG_LENGTH)?))
    })
    .await?;
    let hook = hook.ok_or(AppError::NotFound)?;
    let view = WebhookPage {
        endpoint: EndpointRow::new(&hook),
        deliveries: log.iter().map(DeliveryRow::new).collect(),
        ctx: admin.0.ctx,
    };
    render_status(StatusCode::OK, &view)
}

async fn switch(
    admin: Admin,
    state: &AppState,
    id: i32,
    on: bool,
) -> Result<HttpResponse, AppError> {
    let actor = admin.0.actor();
    let reason = format!("Turned off by {}.", actor.name);
    let changed = db::run(&state.pool, move |c| {
        endpoints::set_enabled(c, id, on, &reason, &actor, now())
    })
    .await?;
    if !changed {
        return Err(AppError::NotFound);
    }
    let said = if on {
        "The endpoint is on: new events are sent to it."
    } else {
        "The endpoint is off: nothing more is sent to it."
    };
    flash(&admin.0.session, "ok", said);
    Ok(see_other(&format!("/admin/webhooks/{id}")))
}

/// `POST /admin/webhooks/{id}/enable`.
pub async fn enable(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    switch(admin, &state, id.into_inner(), true).await
}

/// `POST /admin/webhooks/{id}/disable`.
pub async fn disable(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    switch(admin, &state, id.into_inner(), false).await
}

/// `POST /admin/webhooks/{id}/delete`: the endpoint and its log.
pub async fn delete(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), admin.0.actor());
    let deleted = db::run(&state.pool, move |c| endpoints::delete(c, id, &actor)).await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    flash(&admin.0.session, "ok", "The endpoint is deleted.");
    Ok(see_other("/admin/webhooks"))
}

/// `POST /admin/webhooks/{id}/deliveries/{delivery}/send-again`.
pub async fn send_again(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(i32, i32)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, delivery) = path.into_inner();
    let queued = db::run(&state.pool, move |c| {
        let queued = deliveries::send_again(c, id, delivery, now())?;
        Ok::<_, diesel::result::Error>(
            queued
                .then(|| endpoints::find(c, id))
                .transpose()?
                .flatten(),
        )
    })
    .await?;
    let hook = queued.ok_or(AppError::NotFound)?;
    let said = if hook.enabled {
        "Queued again, as a new delivery: it goes out within seconds."
    } else {
        "Queued again, as a new delivery: it goes out when the endpoint is turned on."
    };
    flash(&admin.0.session, "ok", said);
    Ok(see_other(&format!("/admin/webhooks/{id}")))
}
