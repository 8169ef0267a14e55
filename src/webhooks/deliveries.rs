//! The webhooks' outbox (`webhook_deliveries`, filled by `events` in the changes' own
//! transactions): a worker claims one due delivery at a time with a lease (a conditional
//! update, so two instances never send the same one), and records each attempt. Failures are
//! retried with a doubling delay for about a day, then given up.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{webhook_deliveries as deliveries, webhooks};

/// How long a claim holds before another worker may take the delivery over (longer than a
/// send can take).
pub const LEASE: Duration = Duration::minutes(1);
/// The attempts a delivery gets: with the doubling delay, about a day of trying.
pub const MAX_ATTEMPTS: i32 = 12;

/// The delay after failed attempt `attempts`: 40 s, 80 s, 160 s, ... (about 23 hours in all
/// before the last attempt).
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(40) * (1i32 << (attempts.clamp(1, MAX_ATTEMPTS) - 1))
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i32,
    pub webhook_id: i32,
    pub event: String,
    pub object_kind: String,
    pub object_id: i32,
    pub delivery_id: String,
    pub body: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_status: Option<i32>,
    pub last_duration_ms: Option<i32>,
    pub last_error: String,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub gave_up_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Delivery {
    /// "delivered", "failed" (given up), "retrying" or "queued".
    pub fn state(&self) -> &'static str {
        if self.delivered_at.is_some() {
            "delivered"
        } else if self.gave_up_at.is_some() {
            "failed"
        } else if self.attempts > 0 {
            "retrying"
        } else {
            "queued"
        }
    }
}

/// Not delivered, not given up, and held by no one (or by a lease that ran out).
macro_rules! claimable {
    ($now:expr) => {
        deliveries::delivered_at
            .is_null()
            .and(deliveries::gave_up_at.is_null())
            .and(
                deliveries::locked_until
                    .is_null()
                    .or(deliveries::locked_until.lt($now)),
            )
    };
}

/// Claims the oldest due delivery of an enabled endpoint for `worker` (a token per attempt).
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Delivery>> {
    loop {
        let enabled = webhooks::table
            .filter(webhooks::enabled.eq(true))
            .select(webhooks::id);
        let candidate: Option<i32> = deliveries::table
            .filter(claimable!(now))
            .filter(deliveries::next_attempt_at.le(now))
            .filter(deliveries::webhook_id.eq_any(enabled))
            .order(deliveries::id.asc())
            .select(deliveries::id)
            .first(conn)
            .optional()?;
        let Some(id) = candidate else { return Ok(None) };
        // The conditions again, in the update itself: only one worker wins the row.
        let won = diesel::update(deliveries::table.find(id).filter(claimable!(now)))
            .set((
                deliveries::locked_until.eq(now + LEASE),
                deliveries::lock_token.eq(worker),
            ))
            .execute(conn)?;
        if won == 1 {
            return deliveries::table
                .find(id)
                .select(Delivery::as_select())
                .get_result(conn)
                .optional();
        }
    }
}

/// Keeps the document of a delivery's first attempt, so every retry sends the same one.
pub fn keep_body(conn: &mut DbConnection, id: i32, worker: &str, body: &str) -> QueryResult<()> {
    diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::lock_token.eq(worker)),
    )
    .set(deliveries::body.eq(body))
    .execute(conn)
    .map(drop)
}

/// How an attempt went.
pub struct Attempt {
    pub status: Option<u16>,
    pub duration_ms: i32,
    pub error: Option<String>,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// A 410 says the receiver is gone for good: the endpoint is turned off.
    pub fn gone(&self) -> bool {
        self.status == Some(410)
    }
}

/// Records an attempt: delivered, retried later, or given up (after the last attempt, or at
/// once when the receiver answered 410, which also turns the endpoint off).
pub fn record(
    conn: &mut DbConnection,
    delivery: &Delivery,
    worker: &str,
    attempt: &Attempt,
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::db::write(conn, |c| {
        let attempts = delivery.attempts + 1;
        let error = match (&attempt.error, attempt.status) {
            (Some(e), _) => e.chars().take(500).collect(),
            (None, Some(s)) if !attempt.delivered() => format!("the receiver answered {s}"),
            _ => String::new(),
        };
        let done = attempt.delivered();
        // Turned off while this was being sent: what it had left was given up, this too.
        let off = !webhooks::table
            .find(delivery.webhook_id)
            .select(webhooks::enabled)
            .get_result::<bool>(c)
            .optional()?
            .unwrap_or(false);
        let give_up = !done && (attempts >= MAX_ATTEMPTS || attempt.gone() || off);
        let mine = deliveries::table
            .find(delivery.id)
            .filter(deliveries::lock_token.eq(worker));
        diesel::update(mine)
            .set((
                deliveries::attempts.eq(attempts),
                deliveries::last_status.eq(attempt.status.map(i32::from)),
                deliveries::last_duration_ms.eq(attempt.duration_ms),
                deliveries::last_error.eq(&error),
                deliveries::last_attempt_at.eq(now),
                deliveries::delivered_at.eq(done.then_some(now)),
                deliveries::gave_up_at.eq(give_up.then_some(now)),
                deliveries::next_attempt_at.eq(now + backoff(attempts)),
                deliveries::locked_until.eq(None::<NaiveDateTime>),
                deliveries::lock_token.eq(None::<String>),
            ))
            .execute(c)?;
        if attempt.gone() {
            let reason = "The receiver answered 410 Gone.";
            let changed = diesel::update(webhooks::table.find(delivery.webhook_id))
                .set((
                    webhooks::enabled.eq(false),
                    webhooks::disabled_reason.eq(reason),
                    webhooks::updated_at.eq(now),
                ))
                .execute(c)?;
            if changed > 0 {
                super::endpoints::give_up_pending(c, delivery.webhook_id, reason, now)?;
            }
        }
        Ok(())
    })
}

/// Queues a delivery's event again for its endpoint, as a new delivery (a new id: the receiver
/// is asked to take it, not to drop it as a repeat) with the same document, if it was written.
pub fn send_again(
    conn: &mut DbConnection,
    webhook_id: i32,
    id: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(old) = deliveries::table
        .find(id)
        .filter(deliveries::webhook_id.eq(webhook_id))
        .select(Delivery::as_select())
        .get_result(conn)
        .optional()?
    else {
        return Ok(false);
    };
    let delivery_id = crate::events::delivery_id();
    let body = match serde_json::from_str::<serde_json::Value>(&old.body) {
        Ok(mut doc) => {
            doc["delivery_id"] = delivery_id.clone().into();
            doc.to_string()
        }
        Err(_) => String::new(),
    };
    diesel::insert_into(deliveries::table)
        .values((
            deliveries::webhook_id.eq(webhook_id),
            deliveries::event.eq(&old.event),
            deliveries::object_kind.eq(&old.object_kind),
            deliveries::object_id.eq(old.object_id),
            deliveries::delivery_id.eq(delivery_id),
            deliveries::body.eq(body),
            deliveries::next_attempt_at.eq(now),
            deliveries::created_at.eq(old.created_at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// An endpoint's latest deliveries, newest first.
pub fn recent(conn: &mut DbConnection, webhook_id: i32, limit: i64) -> QueryResult<Vec<Delivery>> {
    deliveries::table
        .filter(deliveries::webhook_id.eq(webhook_id))
        .order(deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)
}

/// How long the log keeps a delivery that was delivered or given up.
pub const KEPT: Duration = Duration::days(30);

/// Deletes what the log no longer needs to show: deliveries finished more than `KEPT` ago.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let before = now - KEPT;
    diesel::delete(
        deliveries::table.filter(
            deliveries::delivered_at
                .lt(before)
                .or(deliveries::gave_up_at.lt(before)),
        ),
    )
    .execute(conn)
}

/// Gives back the deliveries this instance holds (it is stopping), for another to take at once.
pub fn release_held(conn: &mut DbConnection, prefix: &str) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(
                deliveries::lock_token
                    .like(format!("{}%", crate::db::escape_like(prefix)))
                    .escape('\\'),
            )
            .filter(deliveries::delivered_at.is_null()),
    )
    .set((
        deliveries::locked_until.eq(None::<NaiveDateTime>),
        deliveries::lock_token.eq(None::<String>),
    ))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_for_about_a_day() {
        assert_eq!(backoff(1), Duration::seconds(40));
        assert_eq!(backoff(2), Duration::seconds(80));
        let waited = (1..MAX_ATTEMPTS).fold(Duration::zero(), |all, n| all + backoff(n));
        assert!(
            waited > Duration::hours(20) && waited < Duration::hours(26),
            "{waited}"
        );
    }
}
