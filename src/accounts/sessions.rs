//! Sessions as stored rows: looked up by the hash of the cookie's key, listed per user, revoked.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::sessions;
use crate::tokens;

/// A session ends after this long, however active (the idle limit is the cookie's state TTL).
pub const ABSOLUTE_LIFETIME: Duration = Duration::hours(12);
/// A session ends after this long without a request.
pub const IDLE_LIFETIME: Duration = Duration::hours(2);

/// Neither idle nor past its absolute lifetime at `now`.
type Live = diesel::dsl::And<
    diesel::dsl::Gt<sessions::expires_at, NaiveDateTime>,
    diesel::dsl::Gt<sessions::created_at, NaiveDateTime>,
>;

fn live(now: NaiveDateTime) -> Live {
    sessions::expires_at
        .gt(now)
        .and(sessions::created_at.gt(now - ABSOLUTE_LIFETIME))
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i32,
    pub user_id: Option<i32>,
    pub sid: String,
    pub state: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// What the store mirrors out of the session state into columns.
#[derive(Debug, Default, Clone)]
pub struct Facts {
    pub user_id: Option<i32>,
    pub sid: String,
    pub user_agent: String,
    pub ip: String,
}

pub fn load(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .filter(sessions::key_hash.eq(tokens::hash(key)))
        .filter(live(now))
        .select(SessionRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConnection,
    key: &str,
    state: &str,
    facts: &Facts,
    now: NaiveDateTime,
    ttl: Duration,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(tokens::hash(key)),
            sessions::user_id.eq(facts.user_id),
            sessions::sid.eq(&facts.sid),
            sessions::state.eq(state),
            sessions::user_agent.eq(&facts.user_agent),
            sessions::ip.eq(&facts.ip),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + ttl),
        ))
        .execute(conn)
        .map(drop)
}

/// Updates a live session's state; false when it no longer exists (revoked or expired).
pub fn update(
    conn: &mut DbConnection,
    key: &str,
    state: &str,
    facts: &Facts,
    now: NaiveDateTime,
    ttl: Duration,
) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::key_hash.eq(tokens::hash(key)))
            .filter(live(now)),
    )
    .set((
        sessions::user_id.eq(facts.user_id),
        sessions::sid.eq(&facts.sid),
        sessions::state.eq(state),
        sessions::user_agent.eq(&facts.user_agent),
        sessions::ip.eq(&facts.ip),
        sessions::last_seen_at.eq(now),
        sessions::expires_at.eq(now + ttl),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

pub fn touch(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
    ttl: Duration,
) -> QueryResult<()> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(tokens::hash(key))))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + ttl),
        ))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(tokens::hash(key))))
        .execute(conn)
        .map(drop)
}

/// The live sessions of a user, most recently used first.
pub fn for_user(
    conn: &mut DbConnection,
    user_id: i32,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(live(now))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

/// Signs a user out everywhere (`except_sid`: but in the session they are using).
pub fn end_for_user(
    conn: &mut DbConnection,
    user_id: i32,
    except_sid: Option<&str>,
) -> QueryResult<usize> {
    let mut q = diesel::delete(sessions::table)
        .filter(sessions::user_id.eq(user_id))
        .into_boxed();
    if let Some(sid) = except_sid {
        q = q.filter(sessions::sid.ne(sid));
    }
    q.execute(conn)
}

/// Ends one session of a user; false when there was none with that id.
pub fn end_one(conn: &mut DbConnection, user_id: i32, id: i32) -> QueryResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .le(now)
                .or(sessions::created_at.le(now - ABSOLUTE_LIFETIME)),
        ),
    )
    .execute(conn)
}
