//! How the site looks, as admins set it: accent colour, font, content width, announcement, logo,
//! icons and custom CSS. Key/value rows in the settings table, read into one struct; the
//! stylesheet made of them is `theme`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::settings;
use crate::snapshot::settings::set;
use crate::snapshot::tree::ImageRef;
use crate::snapshot::version::bump_content_version;

pub const DEFAULT_ACCENT: &str = "#1f4e79";
/// The largest custom stylesheet accepted.
pub const MAX_CUSTOM_CSS: usize = 20_000;
/// Set once an editor changed the header menu: until then it is the pages marked "in the main
/// navigation", as before menus existed.
pub const HEADER_MENU_EDITED: &str = "header_menu_edited";

/// The font stacks offered: no web font is downloaded from anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Font {
    #[default]
    Sans,
    Serif,
    Humanist,
}

impl Font {
    pub const ALL: [Font; 3] = [Font::Sans, Font::Serif, Font::Humanist];

    pub fn as_str(self) -> &'static str {
        match self {
            Font::Sans => "sans",
            Font::Serif => "serif",
            Font::Humanist => "humanist",
        }
    }

    pub fn parse(s: &str) -> Option<Font> {
        Font::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Font::Sans => "System sans-serif",
            Font::Serif => "Serif",
            Font::Humanist => "Humanist sans-serif",
        }
    }

    pub fn stack(self) -> &'static str {
        match self {
            Font::Sans => {
                "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif"
            }
            Font::Serif => {
                "Charter, \"Bitstream Charter\", \"Sitka Text\", Cambria, Georgia, \"Times New Roman\", serif"
            }
            Font::Humanist => {
                "Seravek, \"Gill Sans Nova\", Ubuntu, Calibri, \"DejaVu Sans\", source-sans-pro, sans-serif"
            }
        }
    }
}

/// The width of the text column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Width {
    Narrow,
    #[default]
    Normal,
    Wide,
}

impl Width {
    pub const ALL: [Width; 3] = [Width::Narrow, Width::Normal, Width::Wide];

    pub fn as_str(self) -> &'static str {
        match self {
            Width::Narrow => "narrow",
            Width::Normal => "normal",
            Width::Wide => "wide",
        }
    }

    pub fn parse(s: &str) -> Option<Width> {
        Width::ALL.into_iter().find(|w| w.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Width::Narrow => "Narrow (36rem)",
            Width::Normal => "Normal (42rem)",
            Width::Wide => "Wide (52rem)",
        }
    }

    pub fn rem(self) -> u32 {
        match self {
            Width::Narrow => 36,
            Width::Normal => 42,
            Width::Wide => 52,
        }
    }
}

/// The icons made from one square image: the sizes browsers and home screens ask for.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Icons {
    pub favicon: String,
    pub apple_touch: String,
    pub icon_192: String,
    pub icon_512: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appearance {
    /// `#rrggbb`.
    pub accent_color: String,
    pub font: Font,
    pub content_width: Width,
    /// One line above every public page, until `announcement_until` (if set).
    pub announcement: String,
    pub announcement_until: Option<NaiveDateTime>,
    pub logo_id: Option<i32>,
    pub logo: Option<ImageRef>,
    /// The logo replaces the site name (which stays its alt text).
    pub logo_alone: bool,
    pub icon_id: Option<i32>,
    pub icons: Option<Icons>,
    pub custom_css: String,
    pub header_menu_edited: bool,
}

impl Default for Appearance {
    fn default() -> Self {
        Appearance {
            accent_color: DEFAULT_ACCENT.into(),
            font: Font::default(),
            content_width: Width::default(),
            announcement: String::new(),
            announcement_until: None,
            logo_id: None,
            logo: None,
            logo_alone: false,
            icon_id: None,
            icons: None,
            custom_css: String::new(),
            header_menu_edited: false,
        }
    }
}

const TIME: &str = "%Y-%m-%dT%H:%M:%S";

impl Appearance {
    pub fn load(conn: &mut DbConnection) -> QueryResult<Appearance> {
        let rows: Vec<(String, String)> = settings::table
            .select((settings::key, settings::value))
            .filter(
                settings::key
                    .like("appearance.%")
                    .or(settings::key.eq(HEADER_MENU_EDITED)),
            )
            .load(conn)?;
        let mut a = Appearance::default();
        for (key, value) in rows {
            match key.strip_prefix("appearance.").unwrap_or(&key) {
                "accent_color" if value.len() == 7 => a.accent_color = value,
                "font" => a.font = Font::parse(&value).unwrap_or_default(),
                "content_width" => a.content_width = Width::parse(&value).unwrap_or_default(),
                "announcement" => a.announcement = value,
                "announcement_until" => {
                    a.announcement_until = NaiveDateTime::parse_from_str(&value, TIME).ok()
                }
                "logo_id" => a.logo_id = value.parse().ok(),
                "logo" => a.logo = serde_json::from_str(&value).ok(),
                "logo_alone" => a.logo_alone = value == "true",
                "icon_id" => a.icon_id = value.parse().ok(),
                "icons" => a.icons = serde_json::from_str(&value).ok(),
                "custom_css" => a.custom_css = value,
                HEADER_MENU_EDITED => a.header_menu_edited = value == "true",
                _ => {}
            }
        }
        Ok(a)
    }

    /// Saves everything but the menu flag, and bumps the content version (pages change).
    pub fn save(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let json = |v: Option<String>| v.unwrap_or_default();
        let pairs: [(&str, String); 11] = [
            ("accent_color", self.accent_color.clone()),
            ("font", self.font.as_str().into()),
            ("content_width", self.content_width.as_str().into()),
            ("announcement", self.announcement.clone()),
            (
                "announcement_until",
                self.announcement_until
                    .map(|t| t.format(TIME).to_string())
                    .unwrap_or_default(),
            ),
            (
                "logo_id",
                self.logo_id.map(|i| i.to_string()).unwrap_or_default(),
            ),
            (
                "logo",
                json(
                    self.logo
                        .as_ref()
                        .and_then(|l| serde_json::to_string(l).ok()),
                ),
            ),
            ("logo_alone", self.logo_alone.to_string()),
            (
                "icon_id",
                self.icon_id.map(|i| i.to_string()).unwrap_or_default(),
            ),
            (
                "icons",
                json(
                    self.icons
                        .as_ref()
                        .and_then(|i| serde_json::to_string(i).ok()),
                ),
            ),
            ("custom_css", self.custom_css.clone()),
        ];
        crate::db::write(conn, |conn| {
            for (key, value) in &pairs {
                set(conn, &format!("appearance.{key}"), value)?;
            }
            bump_content_version(conn)
        })
    }

    /// The announcement, while it runs.
    pub fn announcement_at(&self, now: NaiveDateTime) -> Option<&str> {
        let live = self.announcement_until.is_none_or(|until| now < until);
        (live && !self.announcement.trim().is_empty()).then_some(self.announcement.as_str())
    }
}
