//! Autosave: what an editor typed and did not save, kept per user and page (a page not saved yet
//! is page 0) so a closed tab or a crashed browser loses nothing. Not a revision; restoring it
//! fills the form, and saving it then follows the usual conflict rule (it carries the version it
//! started from), so it never overwrites someone else's newer save.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::content::admin_views::PageForm;
use crate::db::DbConnection;
use crate::db::schema::autosaves;

pub fn put(
    conn: &mut DbConnection,
    user_id: i32,
    page_key: i32,
    form: &PageForm,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let json = serde_json::to_string(form).unwrap_or_default();
    let row = (
        autosaves::user_id.eq(user_id),
        autosaves::page_key.eq(page_key),
        autosaves::form.eq(&json),
        autosaves::saved_at.eq(now),
    );
    crate::with_backend!(conn, |c| diesel::insert_into(autosaves::table)
        .values(row)
        .on_conflict((autosaves::user_id, autosaves::page_key))
        .do_update()
        .set((autosaves::form.eq(&json), autosaves::saved_at.eq(now)))
        .execute(c))
    .map(drop)
}

pub fn get(
    conn: &mut DbConnection,
    user_id: i32,
    page_key: i32,
) -> QueryResult<Option<(PageForm, NaiveDateTime)>> {
    let row: Option<(String, NaiveDateTime)> = autosaves::table
        .find((user_id, page_key))
        .select((autosaves::form, autosaves::saved_at))
        .get_result(conn)
        .optional()?;
    Ok(row.and_then(|(json, at)| serde_json::from_str(&json).ok().map(|f| (f, at))))
}

pub fn discard(conn: &mut DbConnection, user_id: i32, page_key: i32) -> QueryResult<()> {
    diesel::delete(autosaves::table.find((user_id, page_key)))
        .execute(conn)
        .map(drop)
}
