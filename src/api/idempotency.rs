//! `Idempotency-Key` on POST: the first answer to a token's key is kept for a day, in the same
//! transaction as the write it reports, so a retry (a timeout, a lost connection) gets that
//! answer and creates nothing twice. The same key with another request is refused.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::api_idempotency as keys;

/// How long an answer is kept.
pub const KEPT_HOURS: i64 = 24;
pub const MAX_KEY: usize = 200;

/// An answer as it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub request_hash: String,
    pub status: u16,
    pub location: String,
    pub body: String,
}

/// The answer kept for `key` of `token_id`, if any (younger than a day).
pub fn find(
    conn: &mut DbConnection,
    token_id: i32,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Stored>> {
    let row: Option<(String, i32, String, String)> = keys::table
        .filter(keys::token_id.eq(token_id))
        .filter(keys::key.eq(key))
        .filter(keys::created_at.gt(now - chrono::TimeDelta::hours(KEPT_HOURS)))
        .select((keys::request_hash, keys::status, keys::location, keys::body))
        .first(conn)
        .optional()?;
    Ok(row.map(|(request_hash, status, location, body)| Stored {
        request_hash,
        status: u16::try_from(status).unwrap_or(500),
        location,
        body,
    }))
}

/// Keeps `answer` for `key` (replacing an expired one), and forgets the token's answers older
/// than a day.
pub fn keep(
    conn: &mut DbConnection,
    token_id: i32,
    key: &str,
    answer: &Stored,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        keys::table.filter(keys::token_id.eq(token_id)).filter(
            keys::created_at
                .le(now - chrono::TimeDelta::hours(KEPT_HOURS))
                .or(keys::key.eq(key)),
        ),
    )
    .execute(conn)?;
    diesel::insert_into(keys::table)
        .values((
            keys::token_id.eq(token_id),
            keys::key.eq(key),
            keys::request_hash.eq(&answer.request_hash),
            keys::status.eq(i32::from(answer.status)),
            keys::location.eq(&answer.location),
            keys::body.eq(&answer.body),
            keys::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
