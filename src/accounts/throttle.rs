//! Sign-in throttling. Failures are counted per account and per client address in the database
//! (so the limits hold across instances and restarts); past a threshold, sign-in is refused for
//! a delay that doubles with every further failure.

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

/// When sign-in opens again for any of `keys`, if it is closed now.
pub fn locked_until(
    conn: &mut DbConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let until: Vec<Option<NaiveDateTime>> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .filter(login_throttle::locked_until.gt(now))
        .select(login_throttle::locked_until)
        .load(conn)?;
    Ok(until.into_iter().flatten().max())
}

pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    limit: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        let row: Option<(i32, NaiveDateTime)> = login_throttle::table
            .find(key)
            .select((login_throttle::failures, login_throttle::updated_at))
            .first(conn)
            .optional()?;
        let failures = match row {
            Some((n, at)) if at > now - FORGET_AFTER => n + 1,
            _ => 1,
        };
        let locked = delay(failures, limit).map(|d| now + d);
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
