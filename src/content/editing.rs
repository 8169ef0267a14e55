//! What editors do to pages and redirects, each with its revision and audit entry in one
//! transaction that the function owns: the handlers call these and nothing below them.

use crate::audit::{self, Actor};
use crate::content::pages::{self, Page, PageInput, Status};
use crate::content::redirects::{self, Redirect};
use crate::content::revisions;
use crate::content::saving::{self, SaveError};
use crate::content::trash;
use crate::db::DbConnection;

/// The audit action of a save: publishing is recorded as such.
fn save_action(before: Option<&Page>, after: &Page) -> &'static str {
    let was_public = before.is_some_and(|b| b.status() != Status::Draft);
    match (before, after.status()) {
        (_, Status::Published | Status::Scheduled) if !was_public => "page.publish",
        (Some(_), Status::Draft) if was_public => "page.unpublish",
        (None, _) => "page.create",
        _ => "page.update",
    }
}

/// Creates or updates a page with its revision and audit entry, in one transaction.
pub fn save(
    conn: &mut DbConnection,
    id: Option<i32>,
    input: &PageInput,
    expected: Option<i32>,
    actor: &Actor,
    note: &str,
) -> Result<Page, SaveError> {
    crate::db::write(conn, |conn| {
        let now = crate::clock::now();
        let before = id.map(|id| pages::find(conn, id)).transpose()?;
        let page = match id {
            None => saving::create(conn, input, actor.user_id, note, now)?,
            Some(id) => saving::update(conn, id, input, expected, actor.user_id, note, now)?,
        };
        let action = save_action(before.as_ref(), &page);
        audit::record(
            conn,
            actor,
            action,
            &format!("/{} ({})", page.path, page.status),
            now,
        )?;
        if action == "page.publish" && before.is_none() {
            audit::record(conn, actor, "page.create", &format!("/{}", page.path), now)?;
        }
        Ok(page)
    })
}

/// Restores a revision's text (title, summary, body) as a new save, itself a revision.
pub fn restore_revision(
    conn: &mut DbConnection,
    id: i32,
    rev: i32,
    actor: &Actor,
) -> Result<Page, SaveError> {
    crate::db::write(conn, |c| {
        let (page, revision) = (pages::find(c, id)?, revisions::find(c, id, rev)?);
        let input = PageInput {
            title: revision.title,
            summary: revision.summary,
            body_md: revision.body_md,
            ..page.to_input()
        };
        let note = format!("Restored from version {}", revision.version);
        let now = crate::clock::now();
        let saved = saving::update(c, id, &input, Some(page.version), actor.user_id, &note, now)?;
        audit::record(
            c,
            actor,
            "page.restore",
            &format!("/{} to version {}", saved.path, revision.version),
            now,
        )?;
        Ok(saved)
    })
}

/// A draft copy of a page beside it: "(copy)" after its title, the first free `-copy` slug,
/// its text, summary, related pages and featured image; not in the navigation, not scheduled.
pub fn duplicate_page(conn: &mut DbConnection, id: i32, actor: &Actor) -> Result<Page, SaveError> {
    crate::db::write(conn, |c| {
        let now = crate::clock::now();
        let source = pages::find(c, id)?;
        if source.in_trash() {
            return Err(SaveError::Database(diesel::result::Error::NotFound));
        }
        let base = if source.slug.is_empty() {
            "home".to_owned()
        } else {
            source.slug.clone()
        };
        let path_of = |slug: &str| match source.path.rsplit_once('/') {
            Some((parent, _)) => format!("{parent}/{slug}"),
            None => slug.to_owned(),
        };
        let mut n = 1;
        let slug = loop {
            let slug = match n {
                1 => format!("{base}-copy"),
                n => format!("{base}-copy-{n}"),
            };
            if !pages::path_taken(c, &path_of(&slug), None)? {
                break slug;
            }
            n += 1;
        };
        let title: String = format!("{} (copy)", source.title)
            .chars()
            .take(pages::MAX_TITLE)
            .collect();
        let input = PageInput {
            title,
            slug,
            status: Status::Draft,
            publish_at: None,
            unpublish_at: None,
            in_nav: false,
            ..source.to_input()
        };
        let note = format!("Duplicated from /{}", source.path);
        let copy = saving::create(c, &input, actor.user_id, &note, now)?;
        audit::record(
            c,
            actor,
            "page.duplicate",
            &format!("/{} -> /{}", source.path, copy.path),
            now,
        )?;
        Ok(copy)
    })
}

/// Moves a page, and the pages under it, to the trash; optionally leaves a redirect at its path.
pub fn delete_page(
    conn: &mut DbConnection,
    id: i32,
    redirect_to: Option<&str>,
    actor: &Actor,
) -> diesel::QueryResult<Page> {
    trash::trash_page(conn, id, redirect_to, actor)
}

/// Adds (or replaces) the redirect from `from` to `to`.
pub fn add_redirect(
    conn: &mut DbConnection,
    from: &str,
    to: &str,
    actor: &Actor,
) -> diesel::QueryResult<()> {
    crate::db::write(conn, |c| {
        let now = crate::clock::now();
        redirects::add(c, from, to, now)?;
        audit::record(
            c,
            actor,
            "redirect.create",
            &format!("/{from} -> {}", redirects::location(to)),
            now,
        )
    })
}

/// Removes a redirect; `None` when there was none with that id.
pub fn remove_redirect(
    conn: &mut DbConnection,
    id: i32,
    actor: &Actor,
) -> diesel::QueryResult<Option<Redirect>> {
    crate::db::write(conn, |c| {
        let removed = redirects::delete(c, id)?;
        if let Some(r) = &removed {
            audit::record(
                c,
                actor,
                "redirect.delete",
                &format!("/{} -> {}", r.from_path, redirects::location(&r.to_path)),
                crate::clock::now(),
            )?;
        }
        Ok(removed)
    })
}
