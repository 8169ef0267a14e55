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
    /// For editors: the review queue.
    pub waiting: Vec<crate::content::review::Waiting>,
    /// For authors: their drafts, each with the last step of its review.
    pub own: Vec<crate::content::review::Owned>,
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
    #[serde(default)]
    pub trash_retention_days: String,
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

/// An item of a menu as the navigation screen lists it (`id` is `None` for the in-navigation
/// pages the header shows until its first change).
pub struct MenuRow {
    pub id: Option<i32>,
    pub kind: &'static str,
    pub target: String,
    pub label: String,
}

/// The add form, as typed.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct ItemForm {
    #[serde(default)]
    pub menu: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub page_id: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/navigation.html")]
pub struct NavigationPage {
    pub ctx: Ctx,
    pub header: Vec<MenuRow>,
    pub footer: Vec<MenuRow>,
    pub header_from_pages: bool,
    pub pages: Vec<ParentOption>,
    pub form: ItemForm,
    pub errors: FieldErrors,
}

/// One menu of the navigation screen.
pub struct MenuSection<'a> {
    pub menu: &'static str,
    pub heading: &'static str,
    pub rows: &'a [MenuRow],
}

impl NavigationPage {
    pub fn sections(&self) -> [MenuSection<'_>; 2] {
        [
            MenuSection {
                menu: "header",
                heading: "Header menu",
                rows: &self.header,
            },
            MenuSection {
                menu: "footer",
                heading: "Footer menu",
                rows: &self.footer,
            },
        ]
    }
}

/// The appearance form, as typed.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct AppearanceForm {
    #[serde(default)]
    pub accent_color: String,
    #[serde(default)]
    pub font: String,
    #[serde(default)]
    pub content_width: String,
    #[serde(default)]
    pub footer: String,
    #[serde(default)]
    pub announcement: String,
    #[serde(default)]
    pub announcement_until: String,
    #[serde(default)]
    pub logo_id: String,
    #[serde(default)]
    pub logo_alone: Option<String>,
    #[serde(default)]
    pub icon_id: String,
    #[serde(default)]
    pub custom_css: String,
}

impl AppearancePage {
    /// A chosen image that is not among the recent ones listed (kept selected, not lost).
    pub fn unlisted(&self, value: &str) -> bool {
        !value.trim().is_empty()
            && !self
                .images
                .iter()
                .any(|(id, _)| id.to_string() == value.trim())
    }
}

#[derive(Template)]
#[template(path = "admin/appearance.html")]
pub struct AppearancePage {
    pub ctx: Ctx,
    pub form: AppearanceForm,
    pub errors: FieldErrors,
    /// Images of the library: id and title.
    pub images: Vec<(i32, String)>,
    pub fonts: Vec<(&'static str, &'static str)>,
    pub widths: Vec<(&'static str, &'static str)>,
}
