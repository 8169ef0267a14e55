//! Back-office views of the site as a whole: dashboard, settings, audit log.

use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::audit::Entry;
use crate::content::admin_views::ParentOption;
use crate::validation::FieldErrors;
use crate::web::ctx::Ctx;

pub struct RecentChange {
    pub page_id: i32,
    pub title: String,
    pub version: i32,
    pub author: Option<String>,
    pub at: NaiveDateTime,
    pub note: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct Dashboard {
    pub ctx: Ctx,
    pub published: usize,
    pub scheduled: usize,
    pub drafts: usize,
    pub recent: Vec<RecentChange>,
    pub inbox_new: i64,
    pub notifications_on: bool,
}

#[derive(Deserialize, Default, Clone)]
pub struct SettingsForm {
    #[serde(default)]
    pub site_name: String,
    #[serde(default)]
    pub tagline: String,
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub home_page_id: String,
    #[serde(default)]
    pub footer_text: String,
    #[serde(default)]
    pub contact_recipient: String,
    #[serde(default)]
    pub spam_retention_days: String,
    /// The default social image: a media id, empty for none.
    #[serde(default)]
    pub social_image_id: String,
    /// Checkboxes: present when ticked.
    #[serde(default)]
    pub require_2fa_admins: Option<String>,
    #[serde(default)]
    pub require_2fa_editors: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    pub ctx: Ctx,
    pub form: SettingsForm,
    pub errors: FieldErrors,
    pub pages: Vec<ParentOption>,
    /// Images to choose the default social image from: id and title.
    pub images: Vec<(i32, String)>,
    /// What `GALLEY_BASE_URL` (or the bind address) gives when the field is empty.
    pub configured_base_url: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub ctx: Ctx,
    pub entries: Vec<Entry>,
    pub pagination: crate::pagination::Pagination,
    pub base: String,
}
