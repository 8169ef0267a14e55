//! `Idempotency-Key` on POST: a request takes its token's key before it writes (one request per
//! key, even at the same moment), and its answer is kept for a day, so a retry (a timeout, a lost
//! connection) gets that answer and creates nothing twice. The same key with another request is
//! refused; a retry while the first is still being answered is told so (409).

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
        .get_result(conn)
        .optional()?;
    Ok(row.map(|(request_hash, status, location, body)| Stored {
        request_hash,
        status: u16::try_from(status).unwrap_or(500),
        location,
        body,
    }))
}

/// What a key held when a request came with it.
pub enum Reservation {
    /// Nothing: the key is this request's now (pending until `keep` or `release`).
    New,
    /// An answer, given before.
    Answered(Stored),
    /// Another request with this key is being answered (its request hash).
    Pending(String),
}

/// The status of a key whose request is still being answered.
const PENDING: i32 = 0;

/// Takes `key` for a request (`request_hash`) unless it is taken: one request per key, however
/// many arrive at once (the key's row is unique), and the token's day-old keys forgotten.
pub fn reserve(
    conn: &mut DbConnection,
    token_id: i32,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Reservation> {
    let old = now - chrono::TimeDelta::hours(KEPT_HOURS);
    diesel::delete(
        keys::table
            .filter(keys::token_id.eq(token_id))
            .filter(keys::created_at.le(old)),
    )
    .execute(conn)?;
    if let Some(held) = find(conn, token_id, key, now)? {
        return Ok(held.into());
    }
    let insert = conn.transaction(|c| {
        diesel::insert_into(keys::table)
            .values((
                keys::token_id.eq(token_id),
                keys::key.eq(key),
                keys::request_hash.eq(request_hash),
                keys::status.eq(PENDING),
                keys::location.eq(""),
                keys::body.eq(""),
                keys::created_at.eq(now),
            ))
            .execute(c)
    });
    match insert {
        Ok(_) => Ok(Reservation::New),
        // Taken a moment ago by a request arriving at the same time.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(find(conn, token_id, key, now)?.map_or(
            Reservation::Pending(request_hash.to_owned()),
            Reservation::from,
        )),
        Err(e) => Err(e),
    }
}

impl From<Stored> for Reservation {
    fn from(held: Stored) -> Reservation {
        if i32::from(held.status) == PENDING {
            Reservation::Pending(held.request_hash)
        } else {
            Reservation::Answered(held)
        }
    }
}

/// Keeps the answer to the request that reserved `key`.
pub fn keep(conn: &mut DbConnection, token_id: i32, key: &str, answer: &Stored) -> QueryResult<()> {
    diesel::update(
        keys::table
            .filter(keys::token_id.eq(token_id))
            .filter(keys::key.eq(key)),
    )
    .set((
        keys::status.eq(i32::from(answer.status)),
        keys::location.eq(&answer.location),
        keys::body.eq(&answer.body),
    ))
    .execute(conn)
    .map(drop)
}

/// Gives `key` back: its request failed, and a retry may try again.
pub fn release(conn: &mut DbConnection, token_id: i32, key: &str) -> QueryResult<()> {
    diesel::delete(
        keys::table
            .filter(keys::token_id.eq(token_id))
            .filter(keys::key.eq(key))
            .filter(keys::status.eq(PENDING)),
    )
    .execute(conn)
    .map(drop)
}
