//! Site settings: a key/value table read into one typed struct.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::settings;
use crate::snapshot::tree::ImageRef;
use crate::snapshot::version::bump_content_version;
use crate::with_backend;

/// The key of the secret that signs session cookies and form tokens (made on first start).
pub const SESSION_SECRET_KEY: &str = "session_secret";
/// The check value of the key that seals two-factor secrets (the key itself is not stored).
pub const SEALING_KEY_CHECK: &str = "sealing_key_check";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub site_name: String,
    pub tagline: String,
    /// Overrides `GALLEY_BASE_URL` when not empty.
    pub base_url: String,
    pub home_page_id: Option<i32>,
    pub footer_text: String,
    /// Where contact-form notifications go (empty: `GALLEY_NOTIFY_TO`, else nowhere).
    pub contact_recipient: String,
    /// Spam submissions older than this many days are deleted.
    pub spam_retention_days: i64,
    /// Deleted pages stay in the trash this many days.
    pub trash_retention_days: i64,
    /// Admins (and editors) must sign in with a second factor: one without it is sent to set it
    /// up right after the password and can do nothing else until then.
    pub require_2fa_admins: bool,
    pub require_2fa_editors: bool,
    /// The image of social previews for pages without a featured image: a media id, and its
    /// crop as pages print it.
    pub social_image_id: Option<i32>,
    pub social_image: Option<ImageRef>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            site_name: "galley".into(),
            tagline: String::new(),
            base_url: String::new(),
            home_page_id: None,
            footer_text: String::new(),
            contact_recipient: String::new(),
            spam_retention_days: 30,
            trash_retention_days: 30,
            require_2fa_admins: false,
            require_2fa_editors: false,
            social_image_id: None,
            social_image: None,
        }
    }
}

impl Settings {
    pub fn load(conn: &mut DbConnection) -> QueryResult<Settings> {
        let rows: Vec<(String, String)> = settings::table
            .select((settings::key, settings::value))
            .load(conn)?;
        let mut s = Settings::default();
        for (key, value) in rows {
            match key.as_str() {
                "site_name" if !value.trim().is_empty() => s.site_name = value,
                "tagline" => s.tagline = value,
                "base_url" => s.base_url = value,
                "home_page_id" => s.home_page_id = value.parse().ok(),
                "footer_text" => s.footer_text = value,
                "contact_recipient" => s.contact_recipient = value,
                "spam_retention_days" => s.spam_retention_days = value.parse().unwrap_or(30),
                "trash_retention_days" => s.trash_retention_days = value.parse().unwrap_or(30),
                "require_2fa_admins" => s.require_2fa_admins = value == "true",
                "require_2fa_editors" => s.require_2fa_editors = value == "true",
                "social_image_id" => s.social_image_id = value.parse().ok(),
                "social_image" => s.social_image = serde_json::from_str(&value).ok(),
                _ => {}
            }
        }
        Ok(s)
    }

    fn pairs(&self) -> [(&'static str, String); 12] {
        [
            ("site_name", self.site_name.clone()),
            ("tagline", self.tagline.clone()),
            ("base_url", self.base_url.clone()),
            (
                "home_page_id",
                self.home_page_id.map(|i| i.to_string()).unwrap_or_default(),
            ),
            ("footer_text", self.footer_text.clone()),
            ("contact_recipient", self.contact_recipient.clone()),
            ("spam_retention_days", self.spam_retention_days.to_string()),
            (
                "trash_retention_days",
                self.trash_retention_days.to_string(),
            ),
            ("require_2fa_admins", self.require_2fa_admins.to_string()),
            ("require_2fa_editors", self.require_2fa_editors.to_string()),
            (
                "social_image_id",
                self.social_image_id
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
            ),
            (
                "social_image",
                self.social_image
                    .as_ref()
                    .and_then(|i| serde_json::to_string(i).ok())
                    .unwrap_or_default(),
            ),
        ]
    }

    pub fn save(&self, conn: &mut DbConnection) -> QueryResult<()> {
        crate::db::write(conn, |conn| {
            for (key, value) in self.pairs() {
                set(conn, key, &value)?;
            }
            bump_content_version(conn)
        })
    }
}

/// Stores one setting (an upsert, which each backend spells itself).
pub fn set(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<()> {
    with_backend!(conn, |c| {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .on_conflict(settings::key)
            .do_update()
            .set(settings::value.eq(value))
            .execute(c)
            .map(drop)
    })
}

pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .get_result(conn)
        .optional()
}
