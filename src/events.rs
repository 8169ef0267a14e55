//! What changed, for the webhooks. A change (a page published, a file added, a contact message)
//! queues one delivery per enabled endpoint that asked for its event, in the change's own
//! transaction: an acknowledged change always has its deliveries, a rolled-back one has none.
//! The webhooks domain sends them (and writes each document when it first sends it).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{webhook_deliveries as deliveries, webhooks};

/// Every event an endpoint can ask for, in the order the admin screen lists them.
pub const EVENTS: &[&str] = &[
    "page.published",
    "page.updated",
    "page.unpublished",
    "page.deleted",
    "media.created",
    "submission.created",
];

/// What an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    Page(i32),
    Media(i32),
    Submission(i32),
}

impl Object {
    pub fn kind(self) -> &'static str {
        match self {
            Object::Page(_) => "page",
            Object::Media(_) => "media",
            Object::Submission(_) => "submission",
        }
    }

    pub fn id(self) -> i32 {
        match self {
            Object::Page(id) | Object::Media(id) | Object::Submission(id) => id,
        }
    }

    pub fn of(kind: &str, id: i32) -> Option<Object> {
        match kind {
            "page" => Some(Object::Page(id)),
            "media" => Some(Object::Media(id)),
            "submission" => Some(Object::Submission(id)),
            _ => None,
        }
    }
}

/// Queues `event` about `object` for every endpoint that wants it; how many were queued.
pub fn record(
    conn: &mut DbConnection,
    event: &'static str,
    object: Object,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    queue(conn, event, object, None, now)
}

/// `record`, at most once per endpoint for `key` whoever calls it (an event that comes with
/// time rather than with a request: each instance may notice it).
pub fn record_once(
    conn: &mut DbConnection,
    event: &'static str,
    object: Object,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    queue(conn, event, object, Some(key), now)
}

/// The endpoints that want `event` now.
pub fn subscribers(conn: &mut DbConnection, event: &str) -> QueryResult<Vec<i32>> {
    let hooks: Vec<(i32, String)> = webhooks::table
        .filter(webhooks::enabled.eq(true))
        .select((webhooks::id, webhooks::events))
        .load(conn)?;
    Ok(hooks
        .into_iter()
        .filter(|(_, events)| events.split(' ').any(|e| e == event))
        .map(|(id, _)| id)
        .collect())
}

fn queue(
    conn: &mut DbConnection,
    event: &'static str,
    object: Object,
    key: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    debug_assert!(EVENTS.contains(&event), "{event}");
    let mut queued = 0;
    for webhook_id in subscribers(conn, event)? {
        let key = key.map(|k| format!("{webhook_id} {k}"));
        let row = (
            deliveries::webhook_id.eq(webhook_id),
            deliveries::event.eq(event),
            deliveries::object_kind.eq(object.kind()),
            deliveries::object_id.eq(object.id()),
            deliveries::delivery_id.eq(delivery_id()),
            deliveries::dedupe_key.eq(key.clone()),
            deliveries::next_attempt_at.eq(now),
            deliveries::created_at.eq(now),
        );
        let Some(key) = &key else {
            queued += diesel::insert_into(deliveries::table)
                .values(row)
                .execute(conn)?;
            continue;
        };
        let queued_before: i64 = deliveries::table
            .filter(deliveries::dedupe_key.eq(key))
            .count()
            .get_result(conn)?;
        if queued_before > 0 {
            continue;
        }
        // Another instance may queue it in between: its unique key refuses the second row, and
        // the savepoint (or transaction) keeps that refusal from spoiling anything else.
        let inserted = conn.transaction(|c| {
            diesel::insert_into(deliveries::table)
                .values(row)
                .execute(c)
        });
        queued += match inserted {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => 0,
            other => other?,
        };
    }
    Ok(queued)
}

/// A delivery's id, which receivers use to drop repeats: 128 random bits.
pub fn delivery_id() -> String {
    format!("dlv_{}", &crate::tokens::random_token()[..32])
}

/// Forgets what the webhooks' outbox holds of a deleted object (a contact message: its text
/// is not kept in copies): its documents are emptied, and what was not sent yet is not sent.
pub fn forget(conn: &mut DbConnection, object: Object) -> QueryResult<()> {
    let about = deliveries::table
        .filter(deliveries::object_kind.eq(object.kind()))
        .filter(deliveries::object_id.eq(object.id()));
    diesel::delete(about.filter(deliveries::delivered_at.is_null())).execute(conn)?;
    diesel::update(about)
        .set(deliveries::body.eq(""))
        .execute(conn)
        .map(drop)
}
