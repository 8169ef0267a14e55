//! Webhook endpoints: an address, the events it wants, a signing secret (sealed in the
//! database, shown once when the endpoint is added) and whether it is on. Every change is
//! audited in its own transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::db::schema::{webhook_deliveries as deliveries, webhooks};
use crate::events::EVENTS;
use crate::sealed::Sealer;
use crate::validation::FieldErrors;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i32,
    pub url: String,
    pub events: String,
    pub secret_sealed: String,
    pub enabled: bool,
    pub disabled_reason: String,
    pub created_at: NaiveDateTime,
}

impl Webhook {
    pub fn event_list(&self) -> Vec<&str> {
        self.events.split(' ').filter(|e| !e.is_empty()).collect()
    }

    /// The signing secret, or `None` when the site key changed since it was sealed.
    pub fn secret(&self, sealer: &Sealer) -> Option<String> {
        let plain = sealer.open(&self.secret_sealed, &context(self.id))?;
        String::from_utf8(plain).ok()
    }
}

/// What the form to add an endpoint sends.
#[derive(Debug, Default, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
}

impl NewWebhook {
    pub fn validate(&self, allow_private: bool) -> FieldErrors {
        let mut errors = FieldErrors::default();
        let url = self.url.trim();
        if url.is_empty() {
            errors.add("url", "Enter the address galley should send events to.");
        } else if url.len() > 2000 {
            errors.add("url", "Keep the address under 2,000 characters.");
        } else if let Some(problem) = super::send::url_problem(url, allow_private) {
            errors.add("url", problem);
        }
        if self.events.is_empty() {
            errors.add("events", "Choose at least one event.");
        } else if let Some(bad) = self.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            errors.add("events", format!("{bad} is not an event galley sends."));
        }
        errors
    }
}

/// An endpoint's address for the audit log: a query string often carries a receiver's token.
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// Whose secret a sealed value is: it opens for this endpoint only.
fn context(id: i32) -> Vec<u8> {
    format!("webhook {id}").into_bytes()
}

/// A new signing secret: `whsec_` and 256 random bits.
fn new_secret() -> String {
    format!("whsec_{}", crate::tokens::random_token())
}

/// Adds an endpoint (validated by the caller); its id and its secret, which is shown once.
pub fn create(
    conn: &mut DbConnection,
    sealer: &Sealer,
    new: &NewWebhook,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<(i32, String)> {
    let secret = new_secret();
    let events: Vec<&str> = EVENTS
        .iter()
        .copied()
        .filter(|e| new.events.iter().any(|n| n == e))
        .collect();
    crate::db::write(conn, |c| {
        let id: i32 = diesel::insert_into(webhooks::table)
            .values((
                webhooks::url.eq(new.url.trim()),
                webhooks::events.eq(events.join(" ")),
                webhooks::secret_sealed.eq(""),
                webhooks::enabled.eq(true),
                webhooks::disabled_reason.eq(""),
                webhooks::created_by.eq(actor.user_id),
                webhooks::created_at.eq(now),
                webhooks::updated_at.eq(now),
            ))
            .returning(webhooks::id)
            .get_result(c)?;
        diesel::update(webhooks::table.find(id))
            .set(webhooks::secret_sealed.eq(sealer.seal(secret.as_bytes(), &context(id))))
            .execute(c)?;
        let detail = format!(
            "#{id} {} ({})",
            without_query(new.url.trim()),
            events.join(", ")
        );
        audit::record(c, actor, "webhook.create", &detail, now)?;
        Ok((id, secret.clone()))
    })
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .order(webhooks::id.asc())
        .select(Webhook::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Webhook>> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .get_result(conn)
        .optional()
}

/// Turns an endpoint on or off. Turning it off gives up what it still had to send (sending a
/// day-old backlog when it comes back on would surprise its receiver); `reason` says why.
pub fn set_enabled(
    conn: &mut DbConnection,
    id: i32,
    enabled: bool,
    reason: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    crate::db::write(conn, |c| {
        let changed = diesel::update(webhooks::table.find(id))
            .set((
                webhooks::enabled.eq(enabled),
                webhooks::disabled_reason.eq(if enabled { "" } else { reason }),
                webhooks::updated_at.eq(now),
            ))
            .execute(c)?;
        if changed == 0 {
            return Ok(false);
        }
        if !enabled {
            give_up_pending(c, id, "the endpoint was turned off", now)?;
        }
        let action = if enabled {
            "webhook.enable"
        } else {
            "webhook.disable"
        };
        audit::record(c, actor, action, &format!("#{id} {reason}"), now)?;
        Ok(true)
    })
}

/// Marks what the endpoint still had to send as given up.
pub fn give_up_pending(
    conn: &mut DbConnection,
    id: i32,
    why: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(deliveries::webhook_id.eq(id))
            .filter(deliveries::delivered_at.is_null())
            .filter(deliveries::gave_up_at.is_null())
            .filter(
                deliveries::locked_until
                    .is_null()
                    .or(deliveries::locked_until.lt(now)),
            ),
    )
    .set((
        deliveries::gave_up_at.eq(now),
        deliveries::last_error.eq(why),
    ))
    .execute(conn)
}

/// Deletes an endpoint and its delivery log.
pub fn delete(conn: &mut DbConnection, id: i32, actor: &Actor) -> QueryResult<bool> {
    crate::db::write(conn, |c| {
        let Some(hook) = find(c, id)? else {
            return Ok(false);
        };
        diesel::delete(deliveries::table.filter(deliveries::webhook_id.eq(id))).execute(c)?;
        diesel::delete(webhooks::table.find(id)).execute(c)?;
        let now = crate::clock::now();
        audit::record(
            c,
            actor,
            "webhook.delete",
            &format!("#{id} {}", hook.url),
            now,
        )?;
        Ok(true)
    })
}
