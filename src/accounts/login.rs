//! Signing in: throttling, password check (against a dummy hash for unknown accounts, so the time
//! taken does not tell who exists), counters and the audit trail.

use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::accounts::password;
use crate::accounts::throttle::{self, ACCOUNT_LIMIT, ADDRESS_LIMIT};
use crate::accounts::users::{self, User};
use crate::audit::{self, Actor};
use crate::db::DbConnection;

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| password::hash("no account has this password").unwrap_or_default());

pub enum Attempt {
    Success(User),
    Failed,
    /// Refused without checking: too many failures for this account or address.
    Locked {
        until: NaiveDateTime,
    },
}

pub fn attempt(
    conn: &mut DbConnection,
    email: &str,
    plain: &str,
    ip: &str,
    now: NaiveDateTime,
) -> QueryResult<Attempt> {
    let email = users::normalise_email(email);
    let (account, address) = (throttle::account_key(&email), throttle::address_key(ip));
    let visitor = Actor {
        user_id: None,
        name: email.clone(),
        ip: ip.to_owned(),
    };
    let keys = [
        (account.as_str(), ACCOUNT_LIMIT),
        (address.as_str(), ADDRESS_LIMIT),
    ];
    let counted = match throttle::admit(conn, &keys, now)? {
        Ok(counted) => counted,
        Err(until) => {
            audit::record(conn, &visitor, "login.throttled", &email, now)?;
            return Ok(Attempt::Locked { until });
        }
    };
    let user = users::find_by_email(conn, &email)?;
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str());
    let matches = password::verify(plain, hash);
    match user {
        Some(user) if matches && !user.disabled => {
            throttle::reset(conn, &account)?;
            for c in counted.iter().filter(|c| c.key == address) {
                throttle::forgive(conn, c)?;
            }
            let actor = Actor {
                user_id: Some(user.id),
                name: user.email.clone(),
                ip: ip.to_owned(),
            };
            audit::record(conn, &actor, "login", &user.email, now)?;
            Ok(Attempt::Success(user))
        }
        _ => {
            audit::record(conn, &visitor, "login.failed", &email, now)?;
            Ok(Attempt::Failed)
        }
    }
}
