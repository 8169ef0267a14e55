//! What admins, users and the command line do to accounts, each with its audit entry in one
//! transaction that the function owns. Outcomes are `UserError`s, which handlers match by variant.

use crate::accounts::reset::{self, Site};
use crate::accounts::users::{self, Role, User, UserError};
use crate::accounts::{invites, sessions, two_factor};
use crate::audit::{self, Actor};
use crate::clock::now;
use crate::db::DbConnection;
use crate::outbox;

/// A change an admin makes to another account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Role(Role),
    Disable,
    Enable,
    /// A new one-time link to set a password.
    Reset,
    /// Two-factor sign-in off (a user who lost their phone and their recovery codes).
    ResetTwoFactor,
    Delete,
}

impl Change {
    /// The audit action's name (`user.role`, `user.disable`, ...).
    fn action(self) -> &'static str {
        match self {
            Change::Role(_) => "user.role",
            Change::Disable => "user.disable",
            Change::Enable => "user.enable",
            Change::Reset => "user.reset",
            Change::ResetTwoFactor => "user.reset-2fa",
            Change::Delete => "user.delete",
        }
    }
}

fn describe(user: &User) -> String {
    format!("{} ({})", user.email, user.role)
}

/// Adds an account; with `with_link`, also a one-time link to set the password (returned).
pub fn add_user(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
    role: Role,
    with_link: bool,
    actor: &Actor,
) -> Result<(User, Option<String>), UserError> {
    let hash = users::new_password_hash(password)?;
    crate::db::write(conn, |c| {
        let user = users::create_with_hash(c, email, &hash, role, now())?;
        audit::record(c, actor, "user.create", &describe(&user), now())?;
        let link = with_link
            .then(|| invites::create(c, user.id, now()))
            .transpose()?;
        Ok((user, link))
    })
}

/// Applies `change` to the account `id`; a reset returns the new link.
pub fn change_user(
    conn: &mut DbConnection,
    id: i32,
    change: Change,
    actor: &Actor,
) -> Result<(User, Option<String>), UserError> {
    crate::db::write(conn, |c| {
        let t = now();
        let (user, link) = match change {
            Change::Role(role) => (users::set_role(c, id, role, t)?, None),
            Change::Disable => (users::set_disabled(c, id, true, t)?, None),
            Change::Enable => (users::set_disabled(c, id, false, t)?, None),
            Change::Reset => {
                let user = users::find(c, id)?.ok_or(UserError::NotFound)?;
                (user, Some(invites::create(c, id, t)?))
            }
            Change::ResetTwoFactor => {
                let user = users::find(c, id)?.ok_or(UserError::NotFound)?;
                // Audited there, once, and only when it was on.
                two_factor::disable(c, &user, change.action(), actor, t)?;
                return Ok((user, None));
            }
            Change::Delete => (users::delete(c, id)?, None),
        };
        audit::record(c, actor, change.action(), &describe(&user), t)?;
        Ok((user, link))
    })
}

/// Sets one's own password and ends one's other sessions (all but `keep_sid`); returns how many
/// were ended. With `notify`, the user is told by e-mail.
pub fn change_own_password(
    conn: &mut DbConnection,
    user_id: i32,
    password: &str,
    keep_sid: &str,
    actor: &Actor,
    notify: Option<&Site>,
) -> Result<usize, UserError> {
    let hash = users::new_password_hash(password)?;
    crate::db::write(conn, |c| {
        users::set_password_hash(c, user_id, &hash, now())?;
        let ended = sessions::end_for_user(c, user_id, Some(keep_sid))?;
        audit::record(c, actor, "password.change", &actor.name, now())?;
        if let Some(site) = notify {
            outbox::enqueue(c, None, &reset::password_changed(&actor.name, site), now())?;
        }
        Ok(ended)
    })
}

/// Sets a password through a one-time link (which it uses up), ending the user's sessions. With
/// `notify`, the user is told by e-mail.
pub fn set_password_by_link(
    conn: &mut DbConnection,
    token: &str,
    password: &str,
    ip: &str,
    notify: Option<&Site>,
) -> Result<User, UserError> {
    let hash = users::new_password_hash(password)?;
    crate::db::write(conn, |c| {
        let user = invites::redeem(c, token, &hash, now())?;
        let actor = Actor {
            user_id: Some(user.id),
            name: user.email.clone(),
            ip: ip.to_owned(),
        };
        audit::record(c, &actor, "password.set", &user.email, now())?;
        if let Some(site) = notify {
            outbox::enqueue(c, None, &reset::password_changed(&user.email, site), now())?;
        }
        Ok(user)
    })
}

/// Sets the password of the account with `email` (the command line's `user passwd`).
pub fn set_password(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
    actor: &Actor,
) -> Result<(), UserError> {
    let hash = users::new_password_hash(password)?;
    let email = users::normalise_email(email);
    crate::db::write(conn, |c| {
        let user = users::find_by_email(c, &email)?.ok_or(UserError::NotFound)?;
        users::set_password_hash(c, user.id, &hash, now())?;
        audit::record(c, actor, "password.set", &email, now())?;
        Ok(())
    })
}

/// Ends one of the user's own sessions (`id` is the row's); false when it had ended already.
pub fn end_session(
    conn: &mut DbConnection,
    user_id: i32,
    id: i32,
    actor: &Actor,
) -> diesel::QueryResult<bool> {
    crate::db::write(conn, |c| {
        let ended = sessions::end_one(c, user_id, id)?;
        if ended {
            audit::record(c, actor, "session.end", &format!("session #{id}"), now())?;
        }
        Ok(ended)
    })
}

/// Turns off two-factor sign-in for the account with `email` (the command line's
/// `user reset-2fa`, for an admin locked out with their phone and recovery codes gone).
pub fn reset_two_factor(
    conn: &mut DbConnection,
    email: &str,
    actor: &Actor,
) -> Result<User, UserError> {
    let email = users::normalise_email(email);
    let user = users::find_by_email(conn, &email)?.ok_or(UserError::NotFound)?;
    change_user(conn, user.id, Change::ResetTwoFactor, actor).map(|(user, _)| user)
}
