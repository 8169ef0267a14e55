//! Sending e-mail: the SMTP transport (lettre) built from `GALLEY_SMTP_URL`. What to send and when
//! (the outbox, its leases and retries) is the domains' business.

use std::time::Duration as StdDuration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::Config;

/// One plain-text e-mail.
pub struct Email<'a> {
    pub to: &'a str,
    /// Used when it parses as an address (a visitor's, for a contact notification).
    pub reply_to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub message_id: String,
}

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

    /// Sends one e-mail, waiting for the server's answer (call it off the async workers).
    pub fn send(&self, mail: &Email) -> Result<(), String> {
        let to: Mailbox = mail.to.parse().map_err(|e| format!("bad recipient: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(mail.message_id.clone()));
        if let Ok(reply_to) = mail.reply_to.parse::<Mailbox>() {
            builder = builder.reply_to(reply_to);
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.to_owned())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|e| format!("SMTP: {e}"))
    }
}
