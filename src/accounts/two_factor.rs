//! Two-factor sign-in: turning it on and off, checking a code (an app's six digits or a recovery
//! code) so that none is accepted twice, even by two instances at once, and recovery codes. Every
//! change is audited in its own transaction. The TOTP secret is stored sealed (`sealed::Sealer`),
//! bound to its user.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::totp;
use crate::accounts::users::User;
use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::db::schema::{recovery_codes, users};
use crate::sealed::Sealer;
use crate::tokens;

/// How many recovery codes a set has.
pub const RECOVERY_CODES: usize = 10;

/// What the sealed secret is bound to: its user.
fn context(user_id: i32) -> Vec<u8> {
    format!("totp:{user_id}").into_bytes()
}

/// A new secret, sealed for `user_id` (for the setup form, before anything is stored).
pub fn seal_secret(sealer: &Sealer, user_id: i32, secret: &[u8]) -> String {
    sealer.seal(secret, &context(user_id))
}

/// The secret `sealed` holds for `user_id`, if it is one of ours for that user.
pub fn open_secret(sealer: &Sealer, user_id: i32, sealed: &str) -> Option<Vec<u8>> {
    sealer.open(sealed, &context(user_id))
}

/// A recovery code as people copy it: sixteen letters and digits (80 bits: too many to try, even
/// offline against a stolen hash) in four groups (`k7xq-p2mw-fa9d-3hte`).
fn new_recovery_code() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes: [u8; 16] = rand::random();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether `code` looks like one of ours (for the download, which echoes what the page sent).
pub fn is_recovery_code_shaped(code: &str) -> bool {
    code.len() == 19
        && code.bytes().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                b == b'-'
            } else {
                b.is_ascii_lowercase() || b.is_ascii_digit()
            }
        })
}

/// A typed recovery code, as it is hashed: lower case, without the dash or spaces.
fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Replaces the user's recovery codes with a new set; returns the codes (shown once).
fn replace_recovery_codes(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<String>> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    for code in &codes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(tokens::hash(&normalise_recovery(code))),
            ))
            .execute(conn)?;
    }
    Ok(codes)
}

/// Turns two-factor sign-in on with the secret the user's app now holds (`step` is the step of
/// the code that confirmed it, so that code cannot be used again) and signs out the user's other
/// sessions (any opened with the password alone); returns the recovery codes. `None` when it was
/// on already.
pub fn enable(
    conn: &mut DbConnection,
    user_id: i32,
    sealed_secret: &str,
    step: i64,
    keep_sid: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<Option<Vec<String>>> {
    crate::db::write(conn, |c| {
        let set = diesel::update(
            users::table
                .find(user_id)
                .filter(users::totp_secret.is_null()),
        )
        .set((
            users::totp_secret.eq(sealed_secret),
            users::totp_last_step.eq(step),
            users::updated_at.eq(now),
        ))
        .execute(c)?;
        if set == 0 {
            return Ok(None);
        }
        let codes = replace_recovery_codes(c, user_id)?;
        crate::accounts::sessions::end_for_user(c, user_id, Some(keep_sid))?;
        audit::record(c, actor, "2fa.enable", &actor.name, now)?;
        Ok(Some(codes))
    })
}

/// Turns two-factor sign-in off for `user` and drops their recovery codes; `action` names who
/// did it in the audit log (`2fa.disable` by the user, `user.reset-2fa` by an admin or the
/// command line). False when it was off.
pub fn disable(
    conn: &mut DbConnection,
    user: &User,
    action: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    crate::db::write(conn, |c| {
        let cleared = diesel::update(
            users::table
                .find(user.id)
                .filter(users::totp_secret.is_not_null()),
        )
        .set((
            users::totp_secret.eq(None::<String>),
            users::totp_last_step.eq(None::<i64>),
            users::updated_at.eq(now),
        ))
        .execute(c)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user.id)))
            .execute(c)?;
        if cleared > 0 {
            audit::record(c, actor, action, &user.email, now)?;
        }
        Ok(cleared > 0)
    })
}

/// A new set of recovery codes for the user, voiding the old one.
pub fn renew_recovery_codes(
    conn: &mut DbConnection,
    user_id: i32,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    crate::db::write(conn, |c| {
        let codes = replace_recovery_codes(c, user_id)?;
        audit::record(c, actor, "2fa.recovery-codes", &actor.name, now)?;
        Ok(codes)
    })
}

/// How many unused recovery codes the user has.
pub fn recovery_codes_left(conn: &mut DbConnection, user_id: i32) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The app's code for a step not used before.
    Code,
    /// One of the recovery codes, now used up.
    RecoveryCode,
    /// Neither (or one already used).
    Wrong,
}

/// Checks a code for `user`, whose secret is `secret` (`None`: only recovery codes can work). An
/// app's code counts only for a step later than the last one accepted, recorded by a conditional
/// update (so two requests, on two instances even, cannot both use one code); a recovery code is
/// used up the same way.
pub fn check(
    conn: &mut DbConnection,
    user_id: i32,
    secret: Option<&[u8]>,
    typed: &str,
    now: NaiveDateTime,
) -> QueryResult<Checked> {
    if let Some(step) = secret.and_then(|secret| totp::matching_step(secret, typed, now)) {
        let took = diesel::update(
            users::table.find(user_id).filter(
                users::totp_last_step
                    .is_null()
                    .or(users::totp_last_step.lt(step)),
            ),
        )
        .set(users::totp_last_step.eq(step))
        .execute(conn)?;
        return Ok(if took == 1 {
            Checked::Code
        } else {
            Checked::Wrong
        });
    }
    let hash = tokens::hash(&normalise_recovery(typed));
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(&hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(if used == 1 {
        Checked::RecoveryCode
    } else {
        Checked::Wrong
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_typed_forgivingly() {
        let code = new_recovery_code();
        assert!(is_recovery_code_shaped(&code), "{code}");
        assert!(!is_recovery_code_shaped("abcde-fghij"));
        let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(normalise_recovery(&typed), normalise_recovery(&code));
        assert_ne!(new_recovery_code(), code);
    }
}
