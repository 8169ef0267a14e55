//! The trash: deleting a page (a hub with all its pages) takes it off the site at once and keeps
//! it, with its revisions, until it is restored, deleted for good by an admin, or purged after
//! the retention period. Its address answers 410 Gone meanwhile. Each change is audited in the
//! transaction that makes it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::content::pages::{self, Page};
use crate::content::redirects;
use crate::db::DbConnection;
use crate::db::schema::{
    page_review_states, page_reviews, page_stages, pages as pages_table, trash,
};
use crate::slug;
use crate::snapshot::version::bump_content_version;

/// How long the trash keeps what was deleted, unless the settings say otherwise.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

#[derive(Queryable, Selectable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = trash)]
pub struct Item {
    pub id: i32,
    /// `page` or `media`.
    pub kind: String,
    pub page_id: Option<i32>,
    pub media_id: Option<i32>,
    pub title: String,
    pub path: String,
    /// The page and the pages under it.
    pub pages: i32,
    pub deleted_by: Option<i32>,
    pub deleted_by_name: String,
    pub deleted_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Item>> {
    trash::table
        .order((trash::deleted_at.desc(), trash::id.desc()))
        .select(Item::as_select())
        .load(conn)
}

/// Moves a page and everything under it to the trash, optionally leaving a redirect at its
/// address (else it answers 410 Gone).
pub fn trash_page(
    conn: &mut DbConnection,
    id: i32,
    redirect_to: Option<&str>,
    actor: &Actor,
) -> QueryResult<Page> {
    crate::db::write(conn, |c| {
        let now = crate::clock::now();
        let page = pages::find(c, id)?;
        if page.in_trash() {
            // Deleted twice (a double click, a stale tab): it is in the trash already.
            return Err(diesel::result::Error::NotFound);
        }
        let prefix = format!("{}/", crate::db::escape_like(&page.path));
        let family: Vec<(i32, String)> = pages_table::table
            .filter(pages_table::trash_id.is_null())
            .filter(
                pages_table::id
                    .eq(id)
                    .or(pages_table::path.like(format!("{prefix}%")).escape('\\')),
            )
            .select((pages_table::id, pages_table::path))
            .load(c)?;
        let family: Vec<(i32, String)> = if page.path.is_empty() {
            // The home page has no pages under it (every path would match the empty prefix).
            family.into_iter().filter(|(pid, _)| *pid == id).collect()
        } else {
            family
        };
        let trash_id: i32 = diesel::insert_into(trash::table)
            .values((
                trash::kind.eq("page"),
                trash::page_id.eq(id),
                trash::title.eq(&page.title),
                trash::path.eq(&page.path),
                trash::pages.eq(family.len() as i32),
                trash::deleted_by.eq(actor.user_id),
                trash::deleted_by_name.eq(&actor.name),
                trash::deleted_at.eq(now),
            ))
            .returning(trash::id)
            .get_result(c)?;
        for (pid, path) in &family {
            diesel::update(pages_table::table.find(pid))
                .set((
                    pages_table::trash_id.eq(trash_id),
                    pages_table::trashed_path.eq(path),
                    pages_table::path.eq(format!(".trash/{trash_id}/{path}")),
                ))
                .execute(c)?;
        }
        if let Some(to) = redirect_to.filter(|t| *t != page.path) {
            redirects::add(c, &page.path, to, now)?;
        }
        let ids: Vec<i32> = family.iter().map(|(pid, _)| *pid).collect();
        crate::content::announce::deleted(c, &ids, now)?;
        bump_content_version(c)?;
        audit::record(
            c,
            actor,
            "page.trash",
            &format!("/{} ({} page(s))", page.path, family.len()),
            now,
        )?;
        Ok(page)
    })
}

/// Whether `path` belonged to a page now in the trash (its address answers 410 Gone).
pub fn is_gone(conn: &mut DbConnection, path: &str) -> QueryResult<bool> {
    pages_table::table
        .filter(pages_table::trashed_path.eq(path))
        .filter(pages_table::trash_id.is_not_null())
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("nothing in the trash has that number")]
    NotFound,
    #[error("another page uses /{0} now")]
    PathTaken(String),
    #[error("use lowercase letters, digits and single hyphens")]
    BadSlug,
    #[error("the hub it was under is not on the site any more")]
    NoParent,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What a restore brought back.
#[derive(Debug)]
pub enum Restored {
    Page(Box<Page>),
    File(i32),
}

/// Puts a deleted page (and what was under it) back: at its old address, or with a new `slug`
/// when another page took that address since. A file goes back into the library.
pub fn restore(
    conn: &mut DbConnection,
    trash_id: i32,
    new_slug: Option<&str>,
    actor: &Actor,
) -> Result<Restored, RestoreError> {
    crate::db::write(conn, |c| {
        let item: Item = trash::table
            .find(trash_id)
            .select(Item::as_select())
            .get_result(c)
            .optional()?
            .ok_or(RestoreError::NotFound)?;
        if let Some(media_id) = item.media_id {
            crate::media::editing::restore(c, media_id, actor)?;
            diesel::delete(trash::table.find(trash_id)).execute(c)?;
            return Ok(Restored::File(media_id));
        }
        let page_id = item.page_id.ok_or(RestoreError::NotFound)?;
        let top = pages::find(c, page_id)?;
        if let Some(parent) = top.parent_id {
            let parent_trashed: Option<Option<i32>> = pages_table::table
                .find(parent)
                .select(pages_table::trash_id)
                .get_result(c)
                .optional()?;
            if !matches!(parent_trashed, Some(None)) {
                return Err(RestoreError::NoParent);
            }
        }
        // Under its parent as the parent is now (it may have moved since).
        let parent_path = match top.parent_id {
            Some(parent) => Some(pages::find(c, parent)?.path),
            None => None,
        };
        let slug = match new_slug.map(str::trim).filter(|s| !s.is_empty()) {
            None => top.slug.clone(),
            Some(s) if !slug::is_valid(s) => return Err(RestoreError::BadSlug),
            Some(s) => s.to_owned(),
        };
        let target = match parent_path {
            Some(parent) => format!("{parent}/{slug}"),
            None => slug.clone(),
        };
        let family: Vec<(i32, Option<String>)> = pages_table::table
            .filter(pages_table::trash_id.eq(trash_id))
            .select((pages_table::id, pages_table::trashed_path))
            .load(c)?;
        let mut moves = Vec::with_capacity(family.len());
        for (pid, old) in family {
            let old = old.unwrap_or_default();
            let new = format!("{target}{}", &old[item.path.len().min(old.len())..]);
            if pages::path_taken(c, &new, None)? {
                return Err(RestoreError::PathTaken(new));
            }
            moves.push((pid, new));
        }
        for (pid, new) in &moves {
            diesel::update(pages_table::table.find(pid))
                .set((
                    pages_table::path.eq(new),
                    pages_table::trash_id.eq(None::<i32>),
                    pages_table::trashed_path.eq(None::<String>),
                ))
                .execute(c)?;
            // A redirect left at the address when it was deleted would hide it.
            redirects::remove_from(c, new)?;
        }
        if slug != top.slug {
            diesel::update(pages_table::table.find(page_id))
                .set(pages_table::slug.eq(&slug))
                .execute(c)?;
        }
        diesel::delete(trash::table.find(trash_id)).execute(c)?;
        bump_content_version(c)?;
        let now = crate::clock::now();
        let ids: Vec<i32> = moves.iter().map(|(pid, _)| *pid).collect();
        crate::content::announce::restored(c, &ids, now)?;
        audit::record(c, actor, "page.restore", &format!("/{target}"), now)?;
        Ok(Restored::Page(Box::new(pages::find(c, page_id)?)))
    })
}

/// Deletes what a trash entry holds, for good (revisions go with the pages).
pub fn delete_forever(conn: &mut DbConnection, trash_id: i32, actor: &Actor) -> QueryResult<bool> {
    crate::db::write(conn, |c| {
        let Some(item) = trash::table
            .find(trash_id)
            .select(Item::as_select())
            .get_result(c)
            .optional()?
        else {
            return Ok(false);
        };
        if let Some(media_id) = item.media_id {
            crate::media::editing::delete_for_good(
                c,
                crate::media::store::configured(),
                media_id,
                actor,
            )?;
            diesel::delete(trash::table.find(trash_id)).execute(c)?;
            return Ok(true);
        }
        let mut family: Vec<(i32, String)> = pages_table::table
            .filter(pages_table::trash_id.eq(trash_id))
            .select((pages_table::id, pages_table::path))
            .load(c)?;
        // Pages put in the trash on their own before their hub went: they go with it now.
        let mut entries = vec![trash_id];
        loop {
            let ids: Vec<i32> = family.iter().map(|(id, _)| *id).collect();
            let under: Vec<(i32, String, Option<i32>)> = pages_table::table
                .filter(pages_table::parent_id.eq_any(&ids))
                .filter(pages_table::id.ne_all(&ids))
                .select((pages_table::id, pages_table::path, pages_table::trash_id))
                .load(c)?;
            if under.is_empty() {
                break;
            }
            for (id, path, entry) in under {
                entries.extend(entry);
                family.push((id, path));
            }
        }
        // Children before their parents.
        family.sort_by_key(|(_, path)| std::cmp::Reverse(path.matches('/').count()));
        for (pid, _) in family {
            diesel::delete(page_reviews::table.filter(page_reviews::page_id.eq(pid))).execute(c)?;
            diesel::delete(page_stages::table.find(pid)).execute(c)?;
            diesel::delete(page_review_states::table.find(pid)).execute(c)?;
            diesel::delete(pages_table::table.find(pid)).execute(c)?;
        }
        entries.sort_unstable();
        entries.dedup();
        diesel::delete(trash::table.filter(trash::id.eq_any(&entries))).execute(c)?;
        bump_content_version(c)?;
        audit::record(
            c,
            actor,
            "page.delete",
            &format!("/{} ({} page(s)), from the trash", item.path, item.pages),
            crate::clock::now(),
        )?;
        Ok(true)
    })
}

/// Deletes for good what has been in the trash longer than `days`; returns how many entries.
pub fn purge(conn: &mut DbConnection, days: i64, now: NaiveDateTime) -> QueryResult<usize> {
    let old: Vec<i32> = trash::table
        .filter(trash::deleted_at.lt(now - chrono::Duration::days(days.max(1))))
        .order(trash::id.desc())
        .select(trash::id)
        .load(conn)?;
    let actor = Actor {
        user_id: None,
        name: "trash retention".into(),
        ip: String::new(),
    };
    let mut purged = 0;
    for id in old {
        // One entry that cannot go must not keep the others.
        match delete_forever(conn, id, &actor) {
            Ok(done) => purged += usize::from(done),
            Err(e) => log::warn!("purging trash entry #{id} failed: {e}"),
        }
    }
    Ok(purged)
}
