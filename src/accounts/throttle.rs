//! Sign-in throttling. Attempts are counted per account and per client address in the database
//! (so the limits hold across instances and restarts), before the password is checked; a success
//! takes its count back. Past a threshold, sign-in is refused for a delay that doubles with every
//! further failure.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::login_throttle;

/// Failures allowed per account, and per address, before a delay applies.
pub const ACCOUNT_LIMIT: i32 = 5;
pub const ADDRESS_LIMIT: i32 = 20;
/// The first delay; each further failure doubles it, up to `MAX_DELAY`.
pub const BASE_DELAY: Duration = Duration::seconds(30);
pub const MAX_DELAY: Duration = Duration::hours(1);
/// Counters start over after this long without a failure (a success leaves the time as it was).
pub const FORGET_AFTER: Duration = Duration::hours(24);

pub fn account_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

pub fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The delay after `failures` failures for a `limit`, if any.
pub fn delay(failures: i32, limit: i32) -> Option<Duration> {
    let over = failures - limit;
    if over < 0 {
        return None;
    }
    let factor = 1i64 << over.min(16);
    Some((BASE_DELAY * factor as i32).min(MAX_DELAY))
}

/// What one key's row held before an attempt was counted, and what the count set: enough for a
/// success to take back exactly its own part ([`forgive`]).
#[derive(Clone, Debug)]
pub struct Counted {
    pub key: String,
    /// `(failures, locked_until, updated_at)` before, or `None` when there was no row.
    before: Option<(i32, Option<NaiveDateTime>, NaiveDateTime)>,
    /// The closure this attempt started (it reached the limit), if it did.
    locked: Option<NaiveDateTime>,
    at: NaiveDateTime,
}

/// Counts a sign-in attempt against each `(key, limit)` before the password is checked, so that
/// parallel attempts cannot all slip past the limit: each one takes the next count atomically (the
/// keys' locks are held until the count is written, on every instance). An attempt that reaches a
/// limit closes sign-in for that key at once, as if it will fail; a success lifts that again
/// ([`reset`], [`forgive`]). `Err(until)` when sign-in is closed now, in which case nothing is
/// counted.
pub fn admit(
    conn: &mut DbConnection,
    keys: &[(&str, i32)],
    now: NaiveDateTime,
) -> QueryResult<Result<Vec<Counted>, NaiveDateTime>> {
    let mut keys = keys.to_vec();
    // One order for every transaction, so two that lock the same keys cannot deadlock.
    keys.sort_unstable();
    crate::db::write(conn, |conn| {
        for (key, _) in &keys {
            crate::db::lock_key(conn, &format!("login_throttle:{key}"))?;
        }
        let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        let rows: Vec<(String, i32, Option<NaiveDateTime>, NaiveDateTime)> = login_throttle::table
            .filter(login_throttle::key.eq_any(&names))
            .select((
                login_throttle::key,
                login_throttle::failures,
                login_throttle::locked_until,
                login_throttle::updated_at,
            ))
            .load(conn)?;
        if let Some(until) = rows.iter().filter_map(|r| r.2).filter(|u| *u > now).max() {
            return Ok(Err(until));
        }
        let mut counted = Vec::with_capacity(keys.len());
        for (key, limit) in &keys {
            let before = rows.iter().find(|r| r.0 == *key).map(|r| (r.1, r.2, r.3));
            let prior = before
                .filter(|b| b.2 > now - FORGET_AFTER)
                .map_or(0, |b| b.0);
            let failures = prior + 1;
            let locked = delay(failures, *limit).map(|d| now + d);
            let values = (
                login_throttle::failures.eq(failures),
                login_throttle::locked_until.eq(locked),
                login_throttle::updated_at.eq(now),
            );
            if before.is_some() {
                diesel::update(login_throttle::table.find(key))
                    .set(values)
                    .execute(conn)?;
            } else {
                diesel::insert_into(login_throttle::table)
                    .values((login_throttle::key.eq(key), values.0, values.1, values.2))
                    .execute(conn)?;
            }
            counted.push(Counted {
                key: (*key).to_owned(),
                before,
                locked,
                at: now,
            });
        }
        Ok(Ok(counted))
    })
}

/// Takes back the count of an attempt that succeeded (for an address many people share): one
/// failure less, and the closure and time that attempt wrote put back as they were, unless
/// another attempt has written its own since.
pub fn forgive(conn: &mut DbConnection, counted: &Counted) -> QueryResult<()> {
    let key = counted.key.as_str();
    crate::db::write(conn, |conn| {
        crate::db::lock_key(conn, &format!("login_throttle:{key}"))?;
        let row: Option<(i32, Option<NaiveDateTime>, NaiveDateTime)> = login_throttle::table
            .find(key)
            .select((
                login_throttle::failures,
                login_throttle::locked_until,
                login_throttle::updated_at,
            ))
            .get_result(conn)
            .optional()?;
        let Some((failures, locked, updated)) = row else {
            return Ok(());
        };
        let ours = updated == counted.at && locked == counted.locked;
        match (ours, counted.before) {
            (true, None) if failures <= 1 => {
                diesel::delete(login_throttle::table.find(key)).execute(conn)?;
            }
            (true, before) => {
                let (_, locked_before, updated_before) = before.unwrap_or((0, None, updated));
                diesel::update(login_throttle::table.find(key))
                    .set((
                        login_throttle::failures.eq((failures - 1).max(0)),
                        login_throttle::locked_until.eq(locked_before),
                        login_throttle::updated_at.eq(updated_before),
                    ))
                    .execute(conn)?;
            }
            (false, _) => {
                diesel::update(login_throttle::table.find(key))
                    .set(login_throttle::failures.eq((failures - 1).max(0)))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

pub fn reset(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key))
        .execute(conn)
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(delay(4, 5), None);
        assert_eq!(delay(5, 5), Some(Duration::seconds(30)));
        assert_eq!(delay(6, 5), Some(Duration::seconds(60)));
        assert_eq!(delay(8, 5), Some(Duration::seconds(240)));
        assert_eq!(delay(40, 5), Some(MAX_DELAY));
    }
}
