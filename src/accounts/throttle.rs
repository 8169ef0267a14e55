//! Sign-in throttling. Attempts are counted per account and per client address in the database
//! (so the limits hold across instances and restarts), before the password is checked; past a
//! threshold, sign-in is refused for a delay that doubles with every further failure.

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
/// Counters start over after this long without a failure.
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

/// Counts a sign-in attempt against each `(key, limit)` before the password is checked, so that
/// parallel attempts cannot all slip past the limit: each one takes the next count atomically (the
/// keys' locks are held until the count is written, on every instance). An attempt that reaches a
/// limit closes sign-in for that key at once, as if it will fail; a success lifts that again
/// ([`reset`], [`forgive`]). Returns when sign-in opens again if it is closed now, in which case
/// nothing is counted.
pub fn admit(
    conn: &mut DbConnection,
    keys: &[(&str, i32)],
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
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
            return Ok(Some(until));
        }
        for (key, limit) in &keys {
            let prior = rows
                .iter()
                .find(|r| r.0 == *key && r.3 > now - FORGET_AFTER)
                .map_or(0, |r| r.1);
            let failures = prior + 1;
            let locked = delay(failures, *limit).map(|d| now + d);
            let values = (
                login_throttle::failures.eq(failures),
                login_throttle::locked_until.eq(locked),
                login_throttle::updated_at.eq(now),
            );
            let updated = diesel::update(login_throttle::table.find(key))
                .set(values)
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(login_throttle::table)
                    .values((login_throttle::key.eq(key), values.0, values.1, values.2))
                    .execute(conn)?;
            }
        }
        Ok(None)
    })
}

/// Takes back the count of one attempt that succeeded (for an address many people share), and
/// lifts the closure that attempt may have started.
pub fn forgive(conn: &mut DbConnection, key: &str, limit: i32) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        crate::db::lock_key(conn, &format!("login_throttle:{key}"))?;
        let row: Option<(i32, Option<NaiveDateTime>)> = login_throttle::table
            .find(key)
            .select((login_throttle::failures, login_throttle::locked_until))
            .first(conn)
            .optional()?;
        let Some((failures, locked)) = row else {
            return Ok(());
        };
        let failures = (failures - 1).max(0);
        let locked = locked.filter(|_| failures >= limit);
        diesel::update(login_throttle::table.find(key))
            .set((
                login_throttle::failures.eq(failures),
                login_throttle::locked_until.eq(locked),
            ))
            .execute(conn)?;
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
