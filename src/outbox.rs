//! The outbox: e-mails waiting to be sent (contact notifications, account e-mails). A worker on each instance claims one due message at a
//! time with a lease (a conditional update, so two instances never hold the same message), sends
//! it, and records the result; failures are retried with a growing delay, and a restart simply
//! finds the queue where it was.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::outbox;

/// How long a claim holds before another worker may take the message over.
pub const LEASE: Duration = Duration::minutes(2);
/// After this many failed attempts the message is given up (and shown as failed).
pub const MAX_ATTEMPTS: i32 = 8;

/// The delay before attempt `attempts + 1`: 30 s, 1 min, 2 min, ... up to 1 h.
pub fn backoff(attempts: i32) -> Duration {
    let factor = 1i32 << (attempts.clamp(1, 8) - 1);
    (Duration::seconds(30) * factor).min(Duration::hours(1))
}

#[derive(Debug, Clone)]
pub struct NewMail {
    pub recipient: String,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = outbox)]
pub struct Mail {
    pub id: i32,
    pub submission_id: Option<i32>,
    pub recipient: String,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: String,
    pub sent_at: Option<NaiveDateTime>,
    pub gave_up_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn enqueue(
    conn: &mut DbConnection,
    submission_id: Option<i32>,
    mail: &NewMail,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::submission_id.eq(submission_id),
            outbox::recipient.eq(&mail.recipient),
            outbox::reply_to.eq(&mail.reply_to),
            outbox::subject.eq(&mail.subject),
            outbox::body.eq(&mail.body),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::last_error.eq(""),
            outbox::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Claims the oldest due message for `worker` (a random token per attempt), if any.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Mail>> {
    loop {
        let candidate: Option<i32> = outbox::table
            .filter(outbox::sent_at.is_null())
            .filter(outbox::gave_up_at.is_null())
            .filter(outbox::next_attempt_at.le(now))
            .filter(
                outbox::locked_until
                    .is_null()
                    .or(outbox::locked_until.lt(now)),
            )
            .order(outbox::id.asc())
            .select(outbox::id)
            .first(conn)
            .optional()?;
        let Some(id) = candidate else { return Ok(None) };
        // The same conditions again, in the update itself: only one worker can win the row.
        let won = diesel::update(
            outbox::table
                .find(id)
                .filter(outbox::sent_at.is_null())
                .filter(
                    outbox::locked_until
                        .is_null()
                        .or(outbox::locked_until.lt(now)),
                ),
        )
        .set((
            outbox::locked_until.eq(now + LEASE),
            outbox::lock_token.eq(worker),
        ))
        .execute(conn)?;
        if won == 1 {
            return outbox::table
                .find(id)
                .select(Mail::as_select())
                .get_result(conn)
                .optional();
        }
    }
}

pub fn mark_sent(
    conn: &mut DbConnection,
    id: i32,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let sent = diesel::update(outbox::table.find(id).filter(outbox::lock_token.eq(worker)))
        .set((
            outbox::sent_at.eq(now),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(""),
        ))
        .execute(conn)?;
    if sent == 0 {
        return Ok(());
    }
    // Account e-mails (not tied to a contact message) may carry a live link: once delivered, the
    // queue keeps no copy of it.
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::submission_id.is_null()),
    )
    .set(outbox::body.eq(""))
    .execute(conn)
    .map(drop)
}

pub fn mark_failed(
    conn: &mut DbConnection,
    mail: &Mail,
    worker: &str,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let attempts = mail.attempts + 1;
    let gave_up = (attempts >= MAX_ATTEMPTS).then_some(now);
    diesel::update(
        outbox::table
            .find(mail.id)
            .filter(outbox::lock_token.eq(worker)),
    )
    .set((
        outbox::attempts.eq(attempts),
        outbox::next_attempt_at.eq(now + backoff(attempts)),
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(error.chars().take(500).collect::<String>()),
        outbox::gave_up_at.eq(gave_up),
    ))
    .execute(conn)
    .map(drop)
}

/// Gives back the messages this instance holds and has not sent (it is stopping), so another
/// instance can take them at once instead of after the lease.
pub fn release_held(conn: &mut DbConnection, prefix: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(
                outbox::lock_token
                    .like(format!("{}%", crate::db::escape_like(prefix)))
                    .escape('\\'),
            )
            .filter(outbox::sent_at.is_null()),
    )
    .set((
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::lock_token.eq(None::<String>),
    ))
    .execute(conn)
}

/// The notification of a submission, if one was queued.
pub fn for_submission(conn: &mut DbConnection, submission_id: i32) -> QueryResult<Option<Mail>> {
    outbox::table
        .filter(outbox::submission_id.eq(submission_id))
        .order(outbox::id.desc())
        .select(Mail::as_select())
        .first(conn)
        .optional()
}

impl Mail {
    /// "sent", "failed" (given up), "retrying" or "queued".
    pub fn state(&self) -> &'static str {
        if self.sent_at.is_some() {
            "sent"
        } else if self.gave_up_at.is_some() {
            "failed"
        } else if self.attempts > 0 {
            "retrying"
        } else {
            "queued"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(4), Duration::seconds(240));
        assert_eq!(backoff(20), Duration::hours(1));
    }
}
