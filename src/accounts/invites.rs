//! One-time links to set a password: for new accounts without one, for resets an admin makes
//! (three days) and for resets by e-mail (`RESET_LIFETIME`). Only the token's hash is stored; a
//! link works once, and none works once the password has changed.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::accounts::users::{self, User, UserError};
use crate::db::DbConnection;
use crate::db::schema::password_tokens;
use crate::tokens;

pub const LIFETIME: Duration = Duration::days(3);
/// A link sent by e-mail: long enough to read the mail, short enough to be stale soon after.
pub const RESET_LIFETIME: Duration = Duration::minutes(30);

/// Creates a link token for `user_id` that works for three days (earlier unused ones stop
/// working).
pub fn create(conn: &mut DbConnection, user_id: i32, now: NaiveDateTime) -> QueryResult<String> {
    create_for(conn, user_id, LIFETIME, now)
}

/// Creates a link token for `user_id` that works for `lifetime`.
pub fn create_for(
    conn: &mut DbConnection,
    user_id: i32,
    lifetime: Duration,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = tokens::random_token();
    crate::db::write(conn, |conn| {
        diesel::delete(password_tokens::table.filter(password_tokens::user_id.eq(user_id)))
            .execute(conn)?;
        diesel::insert_into(password_tokens::table)
            .values((
                password_tokens::token_hash.eq(tokens::hash(&token)),
                password_tokens::user_id.eq(user_id),
                password_tokens::expires_at.eq(now + lifetime),
            ))
            .execute(conn)
    })?;
    Ok(token)
}

/// The user a live, unused token belongs to.
pub fn find_user(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<User>> {
    let user_id: Option<i32> = password_tokens::table
        .filter(password_tokens::token_hash.eq(tokens::hash(token)))
        .filter(password_tokens::expires_at.gt(now))
        .filter(password_tokens::used_at.is_null())
        .select(password_tokens::user_id)
        .get_result(conn)
        .optional()?;
    match user_id {
        Some(id) => Ok(users::find(conn, id)?.filter(|u| !u.disabled)),
        None => Ok(None),
    }
}

/// Sets the password (hashed already, by `users::new_password_hash`) through a token, uses the
/// token up and ends the user's sessions.
pub fn redeem(
    conn: &mut DbConnection,
    token: &str,
    hash: &str,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    crate::db::write(conn, |conn| {
        let user = find_user(conn, token, now)?.ok_or(UserError::NotFound)?;
        // Used up first, by a conditional update: of two requests with the same link at once
        // (on two instances even), one sets the password and the other finds it used.
        let took = diesel::update(
            password_tokens::table
                .filter(password_tokens::token_hash.eq(tokens::hash(token)))
                .filter(password_tokens::used_at.is_null())
                .filter(password_tokens::expires_at.gt(now)),
        )
        .set(password_tokens::used_at.eq(now))
        .execute(conn)?;
        if took == 0 {
            return Err(UserError::NotFound);
        }
        users::set_password_hash(conn, user.id, hash, now)?;
        crate::accounts::sessions::end_for_user(conn, user.id, None)?;
        Ok(user)
    })
}
