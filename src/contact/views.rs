//! Views of the contact form (visitors) and the submissions inbox (editors).

use askama::Template;
use serde::Deserialize;

use crate::contact::submissions::{MAX_MESSAGE, MAX_NAME, MAX_SUBJECT, Submission};
use crate::html::SafeHtml;
use crate::outbox::Mail;
use crate::validation::FieldErrors;
use crate::web::ctx::Ctx;

/// The contact form as sent (and as re-rendered, values kept).
#[derive(Deserialize, Default, Clone, Debug)]
pub struct ContactForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub message: String,
    /// The honeypot: hidden from people, filled in by bots.
    #[serde(default)]
    pub hp_comment: String,
    #[serde(default)]
    pub form_token: String,
}

#[derive(Template)]
#[template(path = "site/contact.html")]
pub struct ContactPage {
    pub ctx: Ctx,
    pub title: String,
    pub summary: String,
    pub canonical: String,
    pub intro: Option<SafeHtml>,
    pub form: ContactForm,
    pub errors: FieldErrors,
    /// A fresh signed token for this rendering.
    pub token: String,
    /// Why the form came back (expired, rate-limited), if not for field errors.
    pub notice: Option<String>,
}

impl ContactPage {
    pub fn limits(&self) -> (usize, usize, usize) {
        (MAX_NAME, MAX_SUBJECT, MAX_MESSAGE)
    }
}

#[derive(Template)]
#[template(path = "site/contact_thanks.html")]
pub struct ThanksPage {
    pub ctx: Ctx,
}

#[derive(Template)]
#[template(path = "admin/submissions/list.html")]
pub struct InboxList {
    pub ctx: Ctx,
    pub rows: Vec<Submission>,
    pub total: i64,
    pub status: String,
    pub q: String,
    pub pagination: crate::pagination::Pagination,
    /// The list's query string (filters) for pagination and the CSV link.
    pub filters: String,
    pub notifications_on: bool,
}

impl InboxList {
    /// The list's URL with its filters, ending so `page=N` can follow.
    pub fn base(&self) -> String {
        format!("/admin/submissions?{}&", self.filters)
    }

    pub fn statuses(&self) -> [&'static str; 5] {
        crate::contact::submissions::STATUSES
    }
}

#[derive(Template)]
#[template(path = "admin/submissions/show.html")]
pub struct SubmissionShow {
    pub ctx: Ctx,
    pub s: Submission,
    pub mail: Option<Mail>,
    pub notifications_on: bool,
    pub reply_link: String,
}

impl SubmissionShow {
    /// The status buttons that make sense for the current status.
    pub fn status_actions(&self) -> Vec<(&'static str, &'static str)> {
        [
            ("read", "Mark read"),
            ("replied", "Mark replied"),
            ("archived", "Archive"),
            ("new", "Mark unread"),
        ]
        .into_iter()
        .filter(|(value, _)| {
            self.s.status != *value && !(self.s.status == "spam" && *value == "read")
        })
        .collect()
    }
}
