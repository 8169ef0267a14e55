//! Personal API tokens: made in My account or by `galley token create`, shown once, kept as a
//! SHA-256 hash, limited by their scopes and by their owner's role, revocable. A disabled
//! owner's tokens stop working at once (checked on every request).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::users::{self, User};
use crate::db::DbConnection;
use crate::db::schema::{api_tokens, users as users_table};
use crate::tokens;
use crate::validation::FieldErrors;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    PagesRead,
    PagesWrite,
    MediaWrite,
    SubmissionsRead,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::PagesRead,
        Scope::PagesWrite,
        Scope::MediaWrite,
        Scope::SubmissionsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PagesRead => "pages:read",
            Scope::PagesWrite => "pages:write",
            Scope::MediaWrite => "media:write",
            Scope::SubmissionsRead => "submissions:read",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::PagesRead => "Read pages, drafts included",
            Scope::PagesWrite => "Write, publish and delete pages",
            Scope::MediaWrite => "Upload files to the media library",
            Scope::SubmissionsRead => "Read contact-form submissions",
        }
    }
}

/// What every token starts with: a secret scanner (or a person) can tell a galley token.
pub const PREFIX: &str = "glt_";

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    /// The token's first characters (`glt_1a2b3c4d`), for telling tokens apart.
    pub hint: String,
    pub scopes: String,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiToken {
    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes
            .split_whitespace()
            .filter_map(Scope::parse)
            .collect()
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes().contains(&scope)
    }

    /// "active", "expired" or "revoked".
    pub fn state(&self, now: NaiveDateTime) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|t| t <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// What a new token is asked for with.
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<NaiveDateTime>,
}

pub const MAX_NAME: usize = 80;

impl NewToken {
    /// The form's errors, by field (`name`, `scopes`, `expires_at`).
    pub fn check(&self, now: NaiveDateTime) -> FieldErrors {
        let mut errors = FieldErrors::default();
        let name = self.name.trim();
        if errors.check_text("name", name) {
        } else if name.is_empty() {
            errors.add(
                "name",
                "Name the token after what uses it (for example: ci).",
            );
        } else if name.chars().count() > MAX_NAME {
            errors.add(
                "name",
                format!("Keep the name under {MAX_NAME} characters."),
            );
        }
        if self.scopes.is_empty() {
            errors.add("scopes", "Choose at least one thing the token may do.");
        }
        if self.expires_at.is_some_and(|t| t <= now) {
            errors.add("expires_at", "Choose a time in the future, or none.");
        }
        errors
    }
}

/// Stores a token for `user_id`; returns it with the secret, which is shown once and kept
/// nowhere.
pub fn create(
    conn: &mut DbConnection,
    user_id: i32,
    new: &NewToken,
    now: NaiveDateTime,
) -> QueryResult<(ApiToken, String)> {
    let secret = format!("{PREFIX}{}", tokens::random_token());
    let mut scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(new.name.trim()),
            api_tokens::token_hash.eq(tokens::hash(&secret)),
            api_tokens::hint.eq(&secret[..PREFIX.len() + 8]),
            api_tokens::scopes.eq(scopes.join(" ")),
            api_tokens::expires_at.eq(new.expires_at),
            api_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    let token = api_tokens::table
        .filter(api_tokens::token_hash.eq(tokens::hash(&secret)))
        .select(ApiToken::as_select())
        .get_result(conn)?;
    Ok((token, secret))
}

/// A user's tokens, newest first.
pub fn of_user(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// Every token with its owner's address and whether the owner is disabled, newest first (the
/// admins' list).
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<(ApiToken, String, bool)>> {
    api_tokens::table
        .inner_join(users_table::table)
        .order(api_tokens::id.desc())
        .select((
            ApiToken::as_select(),
            users_table::email,
            users_table::disabled,
        ))
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .get_result(conn)
        .optional()
}

/// Revokes token `id` (once: a revoked token keeps its first time). Whether it was active.
pub fn revoke(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
    .map(|n| n > 0)
}

/// The token a request presents, and its owner, if it may be used now: known, not revoked,
/// not expired, its owner enabled. Records its use (at most once a minute: not a write per
/// request).
pub fn authenticate(
    conn: &mut DbConnection,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(ApiToken, User)>> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let found: Option<ApiToken> = api_tokens::table
        .filter(api_tokens::token_hash.eq(tokens::hash(secret)))
        .select(ApiToken::as_select())
        .get_result(conn)
        .optional()?;
    let Some(token) = found.filter(|t| t.state(now) == "active") else {
        return Ok(None);
    };
    let Some(user) = users::find(conn, token.user_id)?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    // Conditional, so that requests at once from several workers write it once.
    let minute_ago = now - chrono::TimeDelta::minutes(1);
    if token.last_used_at.is_none_or(|t| t <= minute_ago) {
        diesel::update(
            api_tokens::table.find(token.id).filter(
                api_tokens::last_used_at
                    .is_null()
                    .or(api_tokens::last_used_at.le(minute_ago)),
            ),
        )
        .set(api_tokens::last_used_at.eq(now))
        .execute(conn)?;
    }
    Ok(Some((token, user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_and_unknown_ones_are_ignored() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("users:write"), None);
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let t = ApiToken {
            id: 1,
            user_id: 1,
            name: "ci".into(),
            hint: "glt_00000000".into(),
            scopes: "pages:read nonsense pages:write".into(),
            expires_at: Some(now + chrono::TimeDelta::hours(1)),
            last_used_at: None,
            created_at: now,
            revoked_at: None,
        };
        assert_eq!(t.scopes(), vec![Scope::PagesRead, Scope::PagesWrite]);
        assert!(t.has(Scope::PagesWrite) && !t.has(Scope::MediaWrite));
        assert_eq!(t.state(now), "active");
        assert_eq!(t.state(now + chrono::TimeDelta::hours(2)), "expired");
    }

    #[test]
    fn a_new_token_needs_a_name_a_scope_and_a_future_expiry() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let bad = NewToken {
            name: "  ".into(),
            scopes: vec![],
            expires_at: Some(now),
        };
        let errors = bad.check(now);
        for field in ["name", "scopes", "expires_at"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let good = NewToken {
            name: "ci".into(),
            scopes: vec![Scope::PagesRead],
            expires_at: None,
        };
        assert!(good.check(now).is_empty());
    }
}
