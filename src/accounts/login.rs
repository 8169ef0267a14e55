//! Signing in: throttling, password check (against a dummy hash for unknown accounts, so the time
//! taken does not tell who exists), the second step for accounts with two-factor sign-in (in the
//! same throttle), counters and the audit trail.

use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::accounts::password;
use crate::accounts::throttle::{self, ACCOUNT_LIMIT, ADDRESS_LIMIT};
use crate::accounts::two_factor::{self, Checked};
use crate::accounts::users::{self, User};
use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::sealed::Sealer;

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| password::hash("no account has this password").unwrap_or_default());

pub enum Attempt {
    Success(User),
    /// The password was right; the account's second factor comes next (`second_step`).
    SecondStep(User),
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
    let visitor = Actor {
        user_id: None,
        name: email.clone(),
        ip: ip.to_owned(),
    };
    let (account, address, counted) = match count(conn, &visitor, ip, now)? {
        Ok(counted) => counted,
        Err(locked) => return Ok(locked),
    };
    let user = users::find_by_email(conn, &email)?;
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str());
    let matches = password::verify(plain, hash);
    match user {
        Some(user) if matches && !user.disabled && user.totp_secret.is_some() => {
            // The account's count stands until the second step passes too.
            passed(conn, &counted, None, &address)?;
            audit::record(conn, &actor(&user, ip), "login.password", &user.email, now)?;
            Ok(Attempt::SecondStep(user))
        }
        Some(user) if matches && !user.disabled => {
            passed(conn, &counted, Some(&account), &address)?;
            audit::record(conn, &actor(&user, ip), "login", &user.email, now)?;
            Ok(Attempt::Success(user))
        }
        _ => {
            audit::record(conn, &visitor, "login.failed", &email, now)?;
            metrics::counter!("galley_sign_in_failures_total", "step" => "password").increment(1);
            Ok(Attempt::Failed)
        }
    }
}

/// The account's and the address's throttle keys, and what counting the attempt wrote.
type Admitted = (String, String, Vec<throttle::Counted>);

/// Counts an attempt as `who` (named by the account's e-mail) from `ip` against the account's and
/// the address's limits, or answers `Locked` (audited) when sign-in is closed.
fn count(
    conn: &mut DbConnection,
    who: &Actor,
    ip: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<Admitted, Attempt>> {
    let (account, address) = (throttle::account_key(&who.name), throttle::address_key(ip));
    let keys = [
        (account.as_str(), ACCOUNT_LIMIT),
        (address.as_str(), ADDRESS_LIMIT),
    ];
    Ok(match throttle::admit(conn, &keys, now)? {
        Ok(counted) => Ok((account, address, counted)),
        Err(until) => {
            audit::record(conn, who, "login.throttled", &who.name, now)?;
            metrics::counter!("galley_sign_in_throttled_total").increment(1);
            Err(Attempt::Locked { until })
        }
    })
}

fn actor(user: &User, ip: &str) -> Actor {
    Actor {
        user_id: Some(user.id),
        name: user.email.clone(),
        ip: ip.to_owned(),
    }
}

/// A step that passed: the account's count starts over (when `account` is given: the whole
/// sign-in is done), and the address takes back this attempt's count.
fn passed(
    conn: &mut DbConnection,
    counted: &[throttle::Counted],
    account: Option<&str>,
    address: &str,
) -> QueryResult<()> {
    if let Some(account) = account {
        throttle::reset(conn, account)?;
    }
    for c in counted.iter().filter(|c| c.key == address) {
        throttle::forgive(conn, c)?;
    }
    Ok(())
}

/// What the pending session keeps of the password it passed: when the password has changed
/// since (a reset), the half-finished sign-in is void.
pub fn password_proof(user: &User) -> String {
    crate::tokens::hash(&user.password_hash)
}

/// The second step of signing in: a code from the app or a recovery code for `user_id`, whose
/// password (`proof`) was right moments ago. Counted in the same throttle as passwords.
pub fn second_step(
    conn: &mut DbConnection,
    user_id: i32,
    proof: &str,
    typed: &str,
    sealer: &Sealer,
    ip: &str,
    now: NaiveDateTime,
) -> QueryResult<Attempt> {
    let Some(user) = users::find(conn, user_id)?
        .filter(|u| !u.disabled && u.totp_secret.is_some())
        .filter(|u| crate::tokens::same(&password_proof(u), proof))
    else {
        return Ok(Attempt::Failed);
    };
    let secret = user
        .totp_secret
        .as_deref()
        .and_then(|sealed| two_factor::open_secret(sealer, user.id, sealed));
    if secret.is_none() {
        // Recovery codes still work: they do not need the key.
        log::error!(
            "the two-factor secret of user #{} does not open: was it sealed with another key?",
            user.id
        );
    }
    let actor = actor(&user, ip);
    let (account, address, counted) = match count(conn, &actor, ip, now)? {
        Ok(counted) => counted,
        Err(locked) => return Ok(locked),
    };
    match two_factor::check(conn, user.id, secret.as_deref(), typed, now)? {
        Checked::Wrong => {
            audit::record(conn, &actor, "login.2fa-failed", &user.email, now)?;
            metrics::counter!("galley_sign_in_failures_total", "step" => "second factor")
                .increment(1);
            Ok(Attempt::Failed)
        }
        how => {
            passed(conn, &counted, Some(&account), &address)?;
            let target = match how {
                Checked::RecoveryCode => format!("{} (with a recovery code)", user.email),
                _ => user.email.clone(),
            };
            audit::record(conn, &actor, "login", &target, now)?;
            Ok(Attempt::Success(user))
        }
    }
}
