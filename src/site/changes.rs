//! What admins change about the site as a whole, with its audit entry in one transaction.

use diesel::QueryResult;

use crate::audit::{self, Actor};
use crate::content::pages;
use crate::db::DbConnection;
use crate::snapshot::settings::Settings;

/// Saves the settings (their home page must exist: `NotFound` otherwise).
pub fn update_settings(
    conn: &mut DbConnection,
    settings: &Settings,
    actor: &Actor,
) -> QueryResult<()> {
    crate::db::write(conn, |c| {
        if let Some(id) = settings.home_page_id {
            pages::find(c, id)?;
        }
        settings.save(c)?;
        let now = crate::clock::now();
        audit::record(c, actor, "settings.update", &settings.site_name, now)
    })
}
