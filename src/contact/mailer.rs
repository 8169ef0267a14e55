//! Sending the outbox: the worker that each instance runs in the background, delivering due
//! notifications through the site's `Mailer` and purging old spam.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::NaiveDateTime;

use crate::contact::submissions;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::mailer::{Email, Mailer};
use crate::outbox::{self, Mail};
use crate::state::{AppState, Stopping};
use crate::tokens;

/// How often the worker looks for due messages.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_secs(5);

/// Sends every due message once; returns how many were sent.
pub async fn run_once(
    pool: &DbPool,
    mailer: &Arc<Mailer>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    run_until(pool, mailer, Some(now), &Stopping::default()).await
}

/// `run_once`, claiming nothing more once `stopping` is set. The clock is read for each message
/// (`at` fixes it, for tests): after a round of slow sends a lease dated in the past would let
/// another instance send the same message.
async fn run_until(
    pool: &DbPool,
    mailer: &Arc<Mailer>,
    at: Option<NaiveDateTime>,
    stopping: &Stopping,
) -> Result<usize, AppError> {
    let mut sent = 0;
    loop {
        if stopping.is_set() {
            return Ok(sent);
        }
        let now = at.unwrap_or_else(crate::clock::now);
        let worker = tokens::lease_token();
        let w = worker.clone();
        let Some(mail) = db::run(pool, move |c| outbox::claim_due(c, &w, now)).await? else {
            return Ok(sent);
        };
        let (m, message) = (Arc::clone(mailer), mail.clone());
        let result = actix_web::web::block(move || m.send(&email(&message)))
            .await
            .unwrap_or_else(|e| Err(format!("send task failed: {e}")));
        let kind = if mail.submission_id.is_some() {
            "contact"
        } else {
            "account"
        };
        match result {
            Ok(()) => {
                metrics::counter!("galley_outbox_sent_total", "kind" => kind).increment(1);
                db::run(pool, move |c| outbox::mark_sent(c, mail.id, &worker, now)).await?;
                sent += 1;
            }
            Err(error) => {
                metrics::counter!("galley_outbox_failures_total", "kind" => kind).increment(1);
                log::warn!(
                    "notification #{} not sent (attempt {}): {error}",
                    mail.id,
                    mail.attempts + 1
                );
                db::run(pool, move |c| {
                    outbox::mark_failed(c, &mail, &worker, &error, now)
                })
                .await?;
            }
        }
    }
}

/// What the mailer sends for a queued message. The message id is stable per message, so a mail
/// server can recognise a retry.
fn email(mail: &Mail) -> Email<'_> {
    Email {
        to: &mail.recipient,
        reply_to: &mail.reply_to,
        subject: &mail.subject,
        body: &mail.body,
        message_id: format!(
            "<outbox-{}-{}@galley>",
            mail.id,
            mail.created_at.and_utc().timestamp()
        ),
    }
}

/// The background loop: deliver due notifications, purge old spam. Ends when the instance
/// stops, after the message it is sending, if any.
pub async fn worker(state: actix_web::web::Data<AppState>) {
    let mut ticker = actix_web::rt::time::interval(POLL_INTERVAL);
    while state.stopping.tick(&mut ticker).await {
        let now = crate::clock::now();
        if let Some(mailer) = &state.mailer
            && let Err(e) = run_until(&state.pool, mailer, None, &state.stopping).await
        {
            log::warn!("outbox: {e}");
        }
        let days = state.site.current().settings.spam_retention_days;
        match db::run(&state.pool, move |c| submissions::purge_spam(c, days, now)).await {
            Ok(0) => {}
            Ok(n) => log::info!("purged {n} spam submission(s) older than {days} days"),
            Err(e) => log::warn!("spam purge: {e}"),
        }
    }
}
