//! The content version: one counter that every content or settings write bumps in its own
//! transaction, on any instance; cached pages and search results are valid for one (`Stamp`).

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::site_state;

/// Marks content or settings as changed, for every instance. Call inside the writing transaction.
pub fn bump_content_version(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::update(site_state::table.find(1))
        .set(site_state::content_version.eq(site_state::content_version + 1))
        .execute(conn)
        .map(drop)
}

pub fn content_version(conn: &mut DbConnection) -> QueryResult<i64> {
    site_state::table
        .find(1)
        .select(site_state::content_version)
        .get_result(conn)
}
