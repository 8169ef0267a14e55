//! Users: the model and its queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::password;
use crate::db::DbConnection;
use crate::db::schema::users;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Editor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
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
        && !email.chars().any(char::is_whitespace)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(normalise_email(email)))
        .select(User::as_select())
        .first(conn)
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
    let email = normalise_email(email);
    if !plausible_email(&email) {
        return Err(UserError::Invalid(format!(
            "{email:?} is not a valid e-mail address"
        )));
    }
    if let Some(problem) = password::weakness(plain_password) {
        return Err(UserError::Invalid(problem));
    }
    let hash = password::hash(plain_password).map_err(UserError::Invalid)?;
    conn.transaction(|conn| {
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

pub fn set_password(
    conn: &mut DbConnection,
    email: &str,
    plain_password: &str,
    now: NaiveDateTime,
) -> Result<(), UserError> {
    if let Some(problem) = password::weakness(plain_password) {
        return Err(UserError::Invalid(problem));
    }
    let hash = password::hash(plain_password).map_err(UserError::Invalid)?;
    let n = diesel::update(users::table.filter(users::email.eq(normalise_email(email))))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)?;
    if n == 0 {
        Err(UserError::NotFound)
    } else {
        Ok(())
    }
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Editor)
    }
}
