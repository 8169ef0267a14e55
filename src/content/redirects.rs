//! Redirects: old paths that answer 301 with a new location. Created automatically when a page
//! moves (for it and all its descendants) and by editors; chains are collapsed when a redirect is
//! added, so a visitor is never sent through more than one hop.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::redirects;
use crate::snapshot::version::bump_content_version;
use crate::validation::FieldErrors;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = redirects)]
pub struct Redirect {
    pub id: i32,
    pub from_path: String,
    pub to_path: String,
    pub hits: i64,
    pub created_at: NaiveDateTime,
}

/// Normalises an editor's "from" path: `/old/page/` -> `old/page`.
pub fn normalise_path(path: &str) -> String {
    path.trim().trim_matches('/').to_owned()
}

/// The location a target means: site paths are stored without the leading slash, full URLs as is.
pub fn location(to: &str) -> String {
    if to.starts_with("http://") || to.starts_with("https://") {
        to.to_owned()
    } else {
        format!("/{to}")
    }
}

/// Checks where a redirect may lead: a site path (`/new`, stored as `new`) or a full http(s) URL.
pub fn validate_target(to: &str) -> Result<String, String> {
    let to = to.trim();
    let target = if to.starts_with("http://") || to.starts_with("https://") {
        to.to_owned()
    } else if to.starts_with('/') {
        normalise_path(to)
    } else {
        return Err("Enter a path starting with / or a full http(s) URL.".to_owned());
    };
    if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The target cannot contain spaces.".to_owned());
    }
    Ok(target)
}

/// Checks a redirect an editor typed; returns (from, to) normalised, or what to fix per field.
pub fn validate(from: &str, to: &str) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let from_n = normalise_path(from);
    if from_n.is_empty()
        || from.contains("://")
        || from_n.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.add("from_path", "Enter a path on this site, like /old/page.");
    }
    let to_n = validate_target(to).unwrap_or_else(|message| {
        errors.add("to_path", message);
        String::new()
    });
    if errors.is_empty() && from_n == to_n {
        errors.add("to_path", "A redirect cannot point to itself.");
    }
    if errors.is_empty() {
        Ok((from_n, to_n))
    } else {
        Err(errors)
    }
}

/// Adds (or repoints) `from -> to`, collapsing chains both ways: redirects that ended at `from`
/// now end at `to`, and a redirect away from `to` is dropped (`to` is a real page now).
pub fn add(conn: &mut DbConnection, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<()> {
    if from == to {
        return Ok(());
    }
    crate::db::write(conn, |conn| {
        diesel::delete(redirects::table.filter(redirects::from_path.eq(to))).execute(conn)?;
        diesel::update(redirects::table.filter(redirects::to_path.eq(from)))
            .set(redirects::to_path.eq(to))
            .execute(conn)?;
        let updated = diesel::update(redirects::table.filter(redirects::from_path.eq(from)))
            .set(redirects::to_path.eq(to))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(redirects::table)
                .values((
                    redirects::from_path.eq(from),
                    redirects::to_path.eq(to),
                    redirects::hits.eq(0i64),
                    redirects::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        bump_content_version(conn)
    })
}

/// A page now lives at `path`: no redirect may hide it.
pub fn remove_from(conn: &mut DbConnection, path: &str) -> QueryResult<()> {
    diesel::delete(redirects::table.filter(redirects::from_path.eq(path)))
        .execute(conn)
        .map(drop)
}

/// The target of the redirect from `path`, counting the hit.
pub fn follow(conn: &mut DbConnection, path: &str) -> QueryResult<Option<String>> {
    let target: Option<String> = redirects::table
        .filter(redirects::from_path.eq(path))
        .select(redirects::to_path)
        .get_result(conn)
        .optional()?;
    if target.is_some() {
        diesel::update(redirects::table.filter(redirects::from_path.eq(path)))
            .set(redirects::hits.eq(redirects::hits + 1))
            .execute(conn)?;
    }
    Ok(target)
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Redirect>> {
    redirects::table
        .order(redirects::from_path.asc())
        .select(Redirect::as_select())
        .load(conn)
}

pub fn delete(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Redirect>> {
    let found = redirects::table
        .find(id)
        .select(Redirect::as_select())
        .get_result(conn)
        .optional()?;
    if found.is_some() {
        diesel::delete(redirects::table.find(id)).execute(conn)?;
        bump_content_version(conn)?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_input_is_checked_and_normalised() {
        assert_eq!(
            validate("/old/", "/new").unwrap(),
            ("old".into(), "new".into())
        );
        assert_eq!(
            validate("old", "https://example.com/x").unwrap().1,
            "https://example.com/x"
        );
        assert!(validate("", "/x").is_err());
        assert!(validate("/a", "/a/").is_err());
        assert!(validate("/a", "javascript:alert(1)").is_err());
        assert_eq!(location("x/y"), "/x/y");
        assert_eq!(location(""), "/");
    }
}
