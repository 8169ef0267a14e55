//! The webhooks' events of pages: what a save, the trash and the clock tell the endpoints
//! (`events`). A page is "published" when visitors can see it by its own status and times; a
//! page scheduled for later is announced when its time comes, by whichever instance looks first.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::content::pages::{Page, Status};
use crate::db::DbConnection;
use crate::db::schema::pages;
use crate::events::{self, Object};

/// Queues the event of a save: `page.published` when visitors can see the page now and could
/// not before, `page.unpublished` the other way round, `page.updated` for any other save (drafts
/// included: the document's status tells); and `page.updated` for each page under it that moved
/// along (`moved`: the new paths, its own among them).
pub fn save(
    conn: &mut DbConnection,
    before: Option<&Page>,
    after: &Page,
    moved: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let was = before.is_some_and(|b| b.live_at(now));
    let event = match (was, after.live_at(now)) {
        (false, true) => "page.published",
        (true, false) => "page.unpublished",
        _ => "page.updated",
    };
    events::record(conn, event, Object::Page(after.id), now)?;
    let below: Vec<&String> = moved.iter().filter(|p| **p != after.path).collect();
    if below.is_empty() || events::subscribers(conn, "page.updated")?.is_empty() {
        return Ok(());
    }
    let ids: Vec<i32> = pages::table
        .filter(pages::path.eq_any(below))
        .select(pages::id)
        .load(conn)?;
    for id in ids {
        events::record(conn, "page.updated", Object::Page(id), now)?;
    }
    Ok(())
}

/// Queues `page.deleted` for each page that went to the trash.
pub fn deleted(conn: &mut DbConnection, ids: &[i32], now: NaiveDateTime) -> QueryResult<()> {
    for &id in ids {
        events::record(conn, "page.deleted", Object::Page(id), now)?;
    }
    Ok(())
}

/// Queues `page.published` for the pages back from the trash that visitors can see. A page
/// whose scheduled time passed while it was in the trash is one the clock announces too: both
/// use the same key, so it is announced once.
pub fn restored(conn: &mut DbConnection, ids: &[i32], now: NaiveDateTime) -> QueryResult<()> {
    for &id in ids {
        let page = crate::content::pages::find(conn, id)?;
        if !page.live_at(now) {
            continue;
        }
        match page.publish_at.filter(|at| *at > page.updated_at) {
            Some(at) => {
                let key = published_key(id, at);
                events::record_once(conn, "page.published", Object::Page(id), &key, now)?
            }
            None => events::record(conn, "page.published", Object::Page(id), now)?,
        };
    }
    Ok(())
}

fn published_key(id: i32, at: NaiveDateTime) -> String {
    format!("page.published {id} {}", at.and_utc().timestamp())
}

/// How far back the clock's events are looked for: an instance down for longer than this
/// does not announce, on its return, what went live meanwhile.
const LOOK_BACK: Duration = Duration::days(1);

/// Queues the events that came with time since `LOOK_BACK`: a scheduled page whose publication
/// time passed after its last save (`page.published`), a page whose unpublication time passed
/// (`page.unpublished`). Each at most once per endpoint, however many instances look.
pub fn schedule(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let since = now - LOOK_BACK;
    let mut queued = 0;
    if !events::subscribers(conn, "page.published")?.is_empty() {
        let went_live: Vec<(i32, NaiveDateTime)> = pages::table
            .filter(pages::trash_id.is_null())
            .filter(pages::status.ne(Status::Draft.as_str()))
            .filter(pages::publish_at.gt(since))
            .filter(pages::publish_at.le(now))
            .filter(pages::publish_at.assume_not_null().gt(pages::updated_at))
            .filter(
                pages::unpublish_at
                    .is_null()
                    .or(pages::unpublish_at.gt(now)),
            )
            .select((pages::id, pages::publish_at.assume_not_null()))
            .load(conn)?;
        for (id, at) in went_live {
            let key = published_key(id, at);
            queued += events::record_once(conn, "page.published", Object::Page(id), &key, now)?;
        }
    }
    if !events::subscribers(conn, "page.unpublished")?.is_empty() {
        let went_off: Vec<(i32, NaiveDateTime)> = pages::table
            .filter(pages::trash_id.is_null())
            .filter(pages::status.ne(Status::Draft.as_str()))
            .filter(pages::unpublish_at.gt(since))
            .filter(pages::unpublish_at.le(now))
            .filter(pages::unpublish_at.assume_not_null().gt(pages::updated_at))
            .select((pages::id, pages::unpublish_at.assume_not_null()))
            .load(conn)?;
        for (id, at) in went_off {
            let key = format!("page.unpublished {id} {}", at.and_utc().timestamp());
            queued += events::record_once(conn, "page.unpublished", Object::Page(id), &key, now)?;
        }
    }
    Ok(queued)
}
