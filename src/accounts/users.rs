//! Users: the model and its queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::password;
use crate::db::DbConnection;
use crate::db::schema::{password_tokens, users};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The TOTP secret, sealed (`accounts::two_factor`); `None`: two-factor sign-in is off.
    pub totp_secret: Option<String>,
    /// Shown with what they write (the API's page author); empty: nothing is shown.
    pub display_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Editor,
    /// Writes pages and submits them for review; publishes nothing.
    Author,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "author" => Some(Role::Author),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("a user with this e-mail address already exists")]
    Exists,
    #[error("no user with this e-mail address")]
    NotFound,
    #[error("the last active admin cannot be demoted, disabled or deleted")]
    LastAdmin,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// E-mail addresses are compared case-insensitively: stored trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible address: one `@`, something before it, a dotted domain after it, no spaces.
pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(normalise_email(email)))
        .select(User::as_select())
        .get_result(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .get_result(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .order(users::email.asc())
        .select(User::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Creates a user with an already-checked password.
pub fn create(
    conn: &mut DbConnection,
    email: &str,
    plain_password: &str,
    role: Role,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let hash = new_password_hash(plain_password)?;
    create_with_hash(conn, email, &hash, role, now)
}

/// The stored hash of a new password, or why the password will not do. Hashing takes tens of
/// milliseconds on purpose: do it before a transaction, never inside one (SQLite's writers queue
/// behind the one holding the write lock).
pub fn new_password_hash(plain_password: &str) -> Result<String, UserError> {
    if let Some(problem) = password::weakness(plain_password) {
        return Err(UserError::Invalid(problem));
    }
    password::hash(plain_password).map_err(UserError::Invalid)
}

/// Creates a user whose password is already hashed (by [`new_password_hash`]).
pub fn create_with_hash(
    conn: &mut DbConnection,
    email: &str,
    hash: &str,
    role: Role,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    let email = normalise_email(email);
    if !plausible_email(&email) {
        return Err(UserError::Invalid(format!(
            "{email:?} is not a valid e-mail address"
        )));
    }
    crate::db::write(conn, |conn| {
        if find_by_email(conn, &email)?.is_some() {
            return Err(UserError::Exists);
        }
        diesel::insert_into(users::table)
            .values((
                users::email.eq(&email),
                users::password_hash.eq(&hash),
                users::role.eq(role.as_str()),
                users::disabled.eq(false),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        find_by_email(conn, &email)?.ok_or(UserError::NotFound)
    })
}

/// The longest display name.
pub const MAX_DISPLAY_NAME: usize = 100;

/// Why `name` cannot be a display name, if it cannot.
pub fn display_name_problem(name: &str) -> Option<String> {
    if name.chars().count() > MAX_DISPLAY_NAME {
        Some(format!("Keep it under {MAX_DISPLAY_NAME} characters."))
    } else if name.contains(['@', '\u{FF20}', '\u{FE6B}']) {
        Some("A name, not an e-mail address: it is shown to everyone.".into())
    } else if name.chars().any(|c| c.is_control() || invisible(c)) {
        Some("Use letters, spaces and punctuation only.".into())
    } else {
        None
    }
}

/// Characters that change how text around them shows without showing themselves (zero-width
/// spaces and joiners, direction overrides, the soft hyphen, the byte-order mark).
fn invisible(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Sets a user's display name (checked by the caller), with its audit entry.
pub fn set_display_name(
    conn: &mut DbConnection,
    id: i32,
    name: &str,
    actor: &crate::audit::Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::db::write(conn, |c| {
        diesel::update(users::table.find(id))
            .set((users::display_name.eq(name), users::updated_at.eq(now)))
            .execute(c)?;
        // Pages show the name (the API's author): what was cached with the old one is stale.
        crate::snapshot::version::bump_content_version(c)?;
        crate::audit::record(c, actor, "user.name", &format!("#{id} {name}"), now)
    })
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Editor)
    }
}

/// Active admins other than `except`: the last admin must stay.
fn other_active_admins(conn: &mut DbConnection, except: i32) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
}

fn guard_last_admin(conn: &mut DbConnection, user: &User) -> Result<(), UserError> {
    if user.role() == Role::Admin && !user.disabled && other_active_admins(conn, user.id)? == 0 {
        return Err(UserError::LastAdmin);
    }
    Ok(())
}

/// Changes a user's role; refuses to demote the last active admin.
pub fn set_role(
    conn: &mut DbConnection,
    id: i32,
    role: Role,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    crate::db::write(conn, |conn| {
        let user = find(conn, id)?.ok_or(UserError::NotFound)?;
        if role != Role::Admin {
            guard_last_admin(conn, &user)?;
        }
        diesel::update(users::table.find(id))
            .set((users::role.eq(role.as_str()), users::updated_at.eq(now)))
            .execute(conn)?;
        find(conn, id)?.ok_or(UserError::NotFound)
    })
}

/// Disables or enables a user; disabling ends their sessions and refuses the last active admin.
pub fn set_disabled(
    conn: &mut DbConnection,
    id: i32,
    disabled: bool,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    crate::db::write(conn, |conn| {
        let user = find(conn, id)?.ok_or(UserError::NotFound)?;
        if disabled {
            guard_last_admin(conn, &user)?;
            crate::accounts::sessions::end_for_user(conn, id, None)?;
        }
        diesel::update(users::table.find(id))
            .set((users::disabled.eq(disabled), users::updated_at.eq(now)))
            .execute(conn)?;
        find(conn, id)?.ok_or(UserError::NotFound)
    })
}

/// Deletes a user (their pages stay, without an author); refuses the last active admin.
pub fn delete(conn: &mut DbConnection, id: i32) -> Result<User, UserError> {
    crate::db::write(conn, |conn| {
        let user = find(conn, id)?.ok_or(UserError::NotFound)?;
        guard_last_admin(conn, &user)?;
        crate::accounts::sessions::end_for_user(conn, id, None)?;
        diesel::delete(users::table.find(id)).execute(conn)?;
        if !user.display_name.is_empty() {
            // The pages they wrote named them.
            crate::snapshot::version::bump_content_version(conn)?;
        }
        Ok(user)
    })
}

/// Stores an already-made password hash for user `id`.
pub fn set_password_hash(
    conn: &mut DbConnection,
    id: i32,
    hash: &str,
    now: NaiveDateTime,
) -> Result<(), UserError> {
    crate::db::write(conn, |conn| {
        let n = diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
            .execute(conn)?;
        if n == 0 {
            return Err(UserError::NotFound);
        }
        // A new password, by whatever path, voids every link that would set one.
        diesel::update(
            password_tokens::table
                .filter(password_tokens::user_id.eq(id))
                .filter(password_tokens::used_at.is_null()),
        )
        .set(password_tokens::used_at.eq(now))
        .execute(conn)?;
        Ok(())
    })
}

impl From<UserError> for crate::error::AppError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::NotFound => crate::error::AppError::NotFound,
            UserError::Database(e) => e.into(),
            e => crate::error::AppError::BadRequest(e.to_string()),
        }
    }
}
