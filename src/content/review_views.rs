//! The review screens' views: the queue and the review of one page.

use askama::Template;

use crate::content::review::{Review, Waiting};
use crate::content::revisions::DiffLine;
use crate::html::SafeHtml;
use crate::validation::FieldErrors;
use crate::web::ctx::Ctx;

#[derive(Template)]
#[template(path = "admin/reviews.html")]
pub struct ReviewQueue {
    pub ctx: Ctx,
    pub waiting: Vec<Waiting>,
}

/// The approve and request-changes forms, as typed.
#[derive(serde::Deserialize, Default, Clone, Debug)]
pub struct DecisionForm {
    /// `datetime-local`, in UTC; empty: publish now.
    #[serde(default)]
    pub publish_at: String,
    #[serde(default)]
    pub comment: String,
    /// What the editor looked at (`review::mark`).
    #[serde(default)]
    pub reviewed: String,
}

#[derive(Template)]
#[template(path = "admin/pages/review.html")]
pub struct ReviewScreen {
    pub ctx: Ctx,
    pub page_id: i32,
    /// The title under review (the draft of changes' when there is one).
    pub title: String,
    pub summary: String,
    pub path: String,
    /// Changes to a live page, shown against it.
    pub staged: bool,
    /// In the queue now (else the forms are not offered).
    pub waiting: bool,
    pub preview: SafeHtml,
    pub hunks: Vec<Vec<DiffLine>>,
    pub history: Vec<Review>,
    pub form: DecisionForm,
    pub errors: FieldErrors,
    /// `review::mark` of what this screen shows.
    pub reviewed: String,
    /// The address, title or status the draft of changes would change, as "what: old → new".
    pub changes: Vec<String>,
}
