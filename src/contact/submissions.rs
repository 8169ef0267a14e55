//! Contact submissions: validation, storage (with the notification queued in the same
//! transaction), the per-address rate limit, the inbox queries and changes, and spam retention.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::accounts::users;
use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::db::schema::contact_submissions as subs;
use crate::outbox::{self, NewMail};
use crate::pagination::{PageNumber, Pagination};
use crate::tokens;
use crate::validation::FieldErrors;

pub const MAX_NAME: usize = 100;
pub const MAX_SUBJECT: usize = 200;
pub const MAX_MESSAGE: usize = 5000;
/// At most this many messages per address in `RATE_WINDOW`.
pub const RATE_LIMIT: i64 = 5;
pub const RATE_WINDOW: Duration = Duration::minutes(10);

pub const STATUSES: [&str; 5] = ["new", "read", "replied", "archived", "spam"];

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = subs)]
pub struct Submission {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub subject: String,
    pub message: String,
    pub ip: String,
    pub user_agent: String,
    pub status: String,
    pub spam_reason: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a visitor sent, checked.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub name: String,
    pub email: String,
    pub subject: String,
    pub message: String,
    pub ip: String,
    pub user_agent: String,
    /// Why this looks like spam (stored, never notified), if it does.
    pub spam_reason: Option<String>,
    /// The form token's nonce: the same form sent twice is stored once.
    pub nonce: String,
}

/// Checks a visitor's fields; returns them trimmed.
pub fn validate(
    name: &str,
    email: &str,
    subject: &str,
    message: &str,
) -> Result<(String, String, String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let (name, email, subject, message) =
        (name.trim(), email.trim(), subject.trim(), message.trim());
    if errors.check_text("name", name) {
    } else if name.is_empty() {
        errors.add("name", "Please tell us your name.");
    } else if name.chars().count() > MAX_NAME {
        errors.add(
            "name",
            format!("Please keep your name under {MAX_NAME} characters."),
        );
    }
    if email.is_empty() {
        errors.add("email", "Please give an e-mail address we can reply to.");
    } else if !users::plausible_email(email) {
        errors.add(
            "email",
            "This does not look like an e-mail address (name@example.com).",
        );
    }
    if errors.check_text("subject", subject) {
    } else if subject.chars().count() > MAX_SUBJECT {
        errors.add(
            "subject",
            format!("Please keep the subject under {MAX_SUBJECT} characters."),
        );
    }
    if errors.check_text("message", message) {
    } else if message.is_empty() {
        errors.add("message", "Please write your message.");
    } else if message.chars().count() > MAX_MESSAGE {
        errors.add(
            "message",
            format!(
                "Please keep the message under {MAX_MESSAGE} characters (it has {}).",
                message.chars().count()
            ),
        );
    }
    if errors.is_empty() {
        Ok((
            name.to_owned(),
            email.to_owned(),
            subject.to_owned(),
            message.to_owned(),
        ))
    } else {
        Err(errors)
    }
}

/// When this address may send again, if it has sent too much lately.
fn rate_limited_until(
    conn: &mut DbConnection,
    ip: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let recent: Vec<NaiveDateTime> = subs::table
        .filter(subs::ip.eq(ip))
        .filter(subs::created_at.gt(now - RATE_WINDOW))
        .order(subs::created_at.asc())
        .select(subs::created_at)
        .load(conn)?;
    if (recent.len() as i64) < RATE_LIMIT {
        return Ok(None);
    }
    // The oldest message in the window has to age out first.
    Ok(recent.first().map(|t| *t + RATE_WINDOW))
}

pub enum Stored {
    New {
        id: i32,
        spam: bool,
    },
    /// The same form was already sent (reload, double-click): nothing new was stored.
    Duplicate,
    /// This address sent `RATE_LIMIT` messages in the window: nothing was stored; it may send
    /// again at `until`.
    RateLimited {
        until: NaiveDateTime,
    },
}

/// Stores a submission and, unless it is spam or nobody is to be told, queues its notification,
/// in one transaction: what the visitor was thanked for is on disk, and so is the e-mail. The
/// address's rate limit is checked in the same transaction, under a lock on the address, so
/// parallel posts cannot all pass it.
pub fn store(
    conn: &mut DbConnection,
    new: &NewSubmission,
    notify: Option<&NewMail>,
    now: NaiveDateTime,
) -> QueryResult<Stored> {
    let token_hash = tokens::hash(&new.nonce);
    let stored = crate::db::write(conn, |conn| {
        let seen: Option<i32> = subs::table
            .filter(subs::token_hash.eq(&token_hash))
            .select(subs::id)
            .get_result(conn)
            .optional()?;
        if seen.is_some() {
            return Ok(Stored::Duplicate);
        }
        crate::db::lock_key(conn, &format!("contact_rate:{}", new.ip))?;
        if let Some(until) = rate_limited_until(conn, &new.ip, now)? {
            return Ok(Stored::RateLimited { until });
        }
        diesel::insert_into(subs::table)
            .values((
                subs::name.eq(&new.name),
                subs::email.eq(&new.email),
                subs::subject.eq(&new.subject),
                subs::message.eq(&new.message),
                subs::ip.eq(&new.ip),
                subs::user_agent.eq(new.user_agent.chars().take(300).collect::<String>()),
                subs::status.eq(if new.spam_reason.is_some() {
                    "spam"
                } else {
                    "new"
                }),
                subs::spam_reason.eq(new.spam_reason.clone().unwrap_or_default()),
                subs::token_hash.eq(&token_hash),
                subs::created_at.eq(now),
                subs::updated_at.eq(now),
            ))
            .execute(conn)?;
        let stored: Submission = subs::table
            .filter(subs::token_hash.eq(&token_hash))
            .select(Submission::as_select())
            .get_result(conn)?;
        if let (None, Some(mail)) = (&new.spam_reason, notify) {
            outbox::enqueue(conn, Some(stored.id), mail, now)?;
        }
        if new.spam_reason.is_none() {
            let message = crate::events::Object::Submission(stored.id);
            crate::events::record(conn, "submission.created", message, now)?;
        }
        Ok(Stored::New {
            id: stored.id,
            spam: new.spam_reason.is_some(),
        })
    });
    match stored {
        // The same form sent twice at once: the other request stored it.
        Err(e) if is_duplicate(&e) => Ok(Stored::Duplicate),
        other => other,
    }
}

/// A unique-key violation: the form token's nonce is stored already.
fn is_duplicate(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// One of `STATUSES`, or empty for all but spam.
    pub status: String,
    pub q: String,
}

fn filtered<'a>(filter: &Filter) -> subs::BoxedQuery<'a, crate::db::DbBackend> {
    let mut q = subs::table.into_boxed();
    q = match filter.status.as_str() {
        "" => q.filter(subs::status.ne("spam")),
        s => q.filter(subs::status.eq(s.to_owned())),
    };
    let needle = filter.q.trim();
    if !needle.is_empty() {
        let like = format!("%{}%", crate::db::escape_like(&needle.to_lowercase()));
        q = q.filter(
            crate::db::lower(subs::name)
                .like(like.clone())
                .escape('\\')
                .or(crate::db::lower(subs::email)
                    .like(like.clone())
                    .escape('\\'))
                .or(crate::db::lower(subs::subject)
                    .like(like.clone())
                    .escape('\\'))
                .or(crate::db::lower(subs::message).like(like).escape('\\')),
        );
    }
    q
}

/// A page of the inbox, newest first, how many match, and where that page is.
pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    asked: PageNumber,
    per_page: usize,
) -> QueryResult<(Vec<Submission>, i64, Pagination)> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let pagination = Pagination::new(asked, usize::try_from(total).unwrap_or(0), per_page);
    let (offset, limit) = pagination.window();
    let rows = filtered(filter)
        .order((subs::created_at.desc(), subs::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(Submission::as_select())
        .load(conn)?;
    Ok((rows, total, pagination))
}

/// Everything matching, for the CSV export.
pub fn all_matching(conn: &mut DbConnection, filter: &Filter) -> QueryResult<Vec<Submission>> {
    filtered(filter)
        .order((subs::created_at.desc(), subs::id.desc()))
        .select(Submission::as_select())
        .load(conn)
}

pub fn count_new(conn: &mut DbConnection) -> QueryResult<i64> {
    subs::table
        .filter(subs::status.eq("new"))
        .count()
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Submission> {
    subs::table
        .find(id)
        .select(Submission::as_select())
        .get_result(conn)
}

/// Sets a submission's status (one of `STATUSES`), with its audit entry; false when there is no
/// such submission.
pub fn set_status(
    conn: &mut DbConnection,
    id: i32,
    status: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    crate::db::write(conn, |conn| {
        let before: Option<String> = subs::table
            .find(id)
            .select(subs::status)
            .get_result(conn)
            .optional()?;
        let changed = diesel::update(subs::table.find(id))
            .set((subs::status.eq(status), subs::updated_at.eq(now)))
            .execute(conn)?;
        if changed > 0 {
            let target = format!("#{id} -> {status}");
            audit::record(conn, actor, "submission.status", &target, now)?;
        }
        if before.as_deref() == Some("spam") && status != "spam" {
            // Taken for spam when it came: the endpoints hear of it now.
            let message = crate::events::Object::Submission(id);
            crate::events::record(conn, "submission.created", message, now)?;
        }
        Ok(changed > 0)
    })
}

/// Opening a new submission marks it read.
pub fn open(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> QueryResult<Submission> {
    diesel::update(subs::table.find(id).filter(subs::status.eq("new")))
        .set((subs::status.eq("read"), subs::updated_at.eq(now)))
        .execute(conn)?;
    find(conn, id)
}

/// Deletes a submission, with its audit entry; false when there is no such submission.
pub fn delete(
    conn: &mut DbConnection,
    id: i32,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    crate::db::write(conn, |conn| {
        let deleted = diesel::delete(subs::table.find(id)).execute(conn)?;
        if deleted > 0 {
            audit::record(conn, actor, "submission.delete", &format!("#{id}"), now)?;
            crate::events::forget(conn, crate::events::Object::Submission(id))?;
        }
        Ok(deleted > 0)
    })
}

/// Deletes spam older than `days` days; returns how many.
pub fn purge_spam(conn: &mut DbConnection, days: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        subs::table
            .filter(subs::status.eq("spam"))
            .filter(subs::created_at.lt(now - Duration::days(days))),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_input_is_checked() {
        assert!(validate("Ann", "ann@example.com", "", "Hi").is_ok());
        let e = validate(" ", "nope", &"s".repeat(201), "").unwrap_err();
        for f in ["name", "email", "subject", "message"] {
            assert!(e.has(f), "{f}");
        }
    }
}
