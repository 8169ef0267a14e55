//! The in-memory picture of the site every request reads: settings and the page tree, swapped
//! whole when content changes. Every write bumps the content version (`version`) in its own
//! transaction; each instance polls that one row and reloads when it moves. It sits below the
//! domains: the content and the settings it is made of are written by `content` and `site`, and
//! read by everyone.

pub mod appearance;
pub mod menus;
pub mod settings;
pub mod theme;
pub mod tree;
pub mod version;

use std::sync::{Arc, RwLock};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::html::SafeHtml;
use crate::snapshot::appearance::Appearance;
use crate::snapshot::menus::Menus;
use crate::snapshot::settings::Settings;
use crate::snapshot::theme::Theme;
use crate::snapshot::tree::SiteTree;
use crate::snapshot::version::content_version;
use crate::stamp::Stamp;

#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    pub settings: Settings,
    pub tree: SiteTree,
    /// Canonical base URL without a trailing slash: the admin setting, else the configured one.
    pub base_url: String,
    pub appearance: Appearance,
    pub menus: Menus,
    /// The stylesheet made of the appearance settings.
    pub theme: Theme,
    /// The footer text, rendered from Markdown.
    pub footer_html: SafeHtml,
}

impl Snapshot {
    pub fn load(conn: &mut DbConnection, configured_base_url: &str) -> QueryResult<Snapshot> {
        // Read the version first: a write that lands while we load makes the next poll reload.
        let version = content_version(conn)?;
        let settings = Settings::load(conn)?;
        let tree = SiteTree::load(conn)?;
        let base_url = match settings.base_url.trim() {
            "" => configured_base_url.to_owned(),
            url => url.trim_end_matches('/').to_owned(),
        };
        let appearance = Appearance::load(conn)?;
        let menus = Menus::load(conn)?;
        let theme = Theme::build(&appearance);
        let footer_html = crate::markdown::render(&settings.footer_text).html;
        Ok(Snapshot {
            version,
            settings,
            tree,
            base_url,
            appearance,
            menus,
            theme,
            footer_html,
        })
    }

    /// What cached pages and search results are valid for at `now`: this content version, and
    /// the scheduled pages that have gone live by then.
    pub fn stamp(&self, now: NaiveDateTime) -> Stamp {
        Stamp {
            content_version: self.version,
            // The announcement's end changes every page, as a page going live does.
            schedule_epoch: self.tree.schedule_epoch(now)
                + usize::from(self.appearance.announcement_until.is_some_and(|t| t <= now)),
        }
    }
}

/// The current snapshot, shared by all workers of an instance.
pub struct SiteCache {
    current: RwLock<Arc<Snapshot>>,
    configured_base_url: String,
}

impl SiteCache {
    pub fn load(conn: &mut DbConnection, configured_base_url: &str) -> QueryResult<SiteCache> {
        let snapshot = Snapshot::load(conn, configured_base_url)?;
        Ok(SiteCache {
            current: RwLock::new(Arc::new(snapshot)),
            configured_base_url: configured_base_url.to_owned(),
        })
    }

    pub fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn reload(&self, conn: &mut DbConnection) -> QueryResult<()> {
        let snapshot = Arc::new(Snapshot::load(conn, &self.configured_base_url)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
        Ok(())
    }

    /// Reloads when another writer changed the content version; true when it did.
    pub fn reload_if_changed(&self, conn: &mut DbConnection) -> QueryResult<bool> {
        if content_version(conn)? == self.current().version {
            return Ok(false);
        }
        self.reload(conn)?;
        Ok(true)
    }
}
