//! Sending the outbox: the SMTP transport (lettre) built from `GALLEY_SMTP_URL`, and the worker
//! that each instance runs in the background.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::NaiveDateTime;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{Message, SmtpTransport, Transport};

use crate::app::AppState;
use crate::config::Config;
use crate::contact::{outbox, submissions};
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::tokens;

/// How often the worker looks for due messages.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_secs(5);

pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl Mailer {
    /// The mailer `GALLEY_SMTP_URL` describes, or `None` when it is unset (notifications off).
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, String> {
        let Some(url) = config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        // The URL may carry a password: errors name the problem, never the URL.
        let transport = SmtpTransport::from_url(url.trim())
            .map_err(|e| format!("GALLEY_SMTP_URL is not a valid smtp:// or smtps:// URL ({e})"))?
            .timeout(Some(StdDuration::from_secs(15)))
            .build();
        let from = config
            .smtp_from
            .parse::<Mailbox>()
            .map_err(|e| format!("GALLEY_SMTP_FROM is not an e-mail address ({e})"))?;
        Ok(Some(Mailer { transport, from }))
    }

    pub fn send(&self, mail: &outbox::Mail) -> Result<(), String> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            // Stable per message, so a mail server can recognise a retry.
            .message_id(Some(format!(
                "<outbox-{}-{}@galley>",
                mail.id,
                mail.created_at.and_utc().timestamp()
            )));
        if let Ok(reply_to) = mail.reply_to.parse::<Mailbox>() {
            builder = builder.reply_to(reply_to);
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// Sends every due message once; returns how many were sent.
pub async fn run_once(
    pool: &DbPool,
    mailer: &Arc<Mailer>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let mut sent = 0;
    loop {
        let worker = tokens::random_token();
        let w = worker.clone();
        let Some(mail) = db::run(pool, move |c| outbox::claim_due(c, &w, now)).await? else {
            return Ok(sent);
        };
        let (m, message) = (Arc::clone(mailer), mail.clone());
        let result = actix_web::web::block(move || m.send(&message))
            .await
            .unwrap_or_else(|e| Err(format!("send task failed: {e}")));
        match result {
            Ok(()) => {
                db::run(pool, move |c| outbox::mark_sent(c, mail.id, &worker, now)).await?;
                sent += 1;
            }
            Err(error) => {
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

/// The background loop: deliver due notifications, purge old spam.
pub async fn worker(state: actix_web::web::Data<AppState>) {
    let mut ticker = actix_web::rt::time::interval(POLL_INTERVAL);
    loop {
        ticker.tick().await;
        let now = crate::clock::now();
        if let Some(mailer) = &state.mailer
            && let Err(e) = run_once(&state.pool, mailer, now).await
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
