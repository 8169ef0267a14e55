//! A draft of changes to a live page (Wagtail's draft of a live page): the editor's form, kept
//! beside the page while the live version stays online everywhere (page, sitemap, feed, search),
//! previewed and reviewed, then published as one save. It carries the version it started from,
//! so publishing it follows the editor's conflict rule.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::content::admin_views::PageForm;
use crate::content::pages::{self, Page, PageInput, Status};
use crate::content::saving::SaveError;
use crate::content::{editing, review};
use crate::db::DbConnection;
use crate::db::schema::page_stages;
use crate::validation::FieldErrors;

#[derive(Debug, Clone)]
pub struct Stage {
    pub form: PageForm,
    pub base_version: i32,
    pub user_id: Option<i32>,
    pub saved_at: NaiveDateTime,
}

pub fn get(conn: &mut DbConnection, page_id: i32) -> QueryResult<Option<Stage>> {
    let row: Option<(String, i32, Option<i32>, NaiveDateTime)> = page_stages::table
        .find(page_id)
        .select((
            page_stages::form,
            page_stages::base_version,
            page_stages::user_id,
            page_stages::saved_at,
        ))
        .get_result(conn)
        .optional()?;
    Ok(row.and_then(|(json, base_version, user_id, saved_at)| {
        let form = serde_json::from_str(&json)
            .inspect_err(|e| {
                log::warn!("the draft of changes of page #{page_id} is unreadable: {e}")
            })
            .ok()?;
        Some(Stage {
            form,
            base_version,
            user_id,
            saved_at,
        })
    }))
}

/// Which draft of changes this is: a form opened from it says so, and saving it fails (the
/// conflict rule) when another draft of changes replaced it since.
pub fn mark(stage: &Stage) -> String {
    stage.saved_at.and_utc().timestamp_micros().to_string()
}

fn current_mark(conn: &mut DbConnection, page_id: i32) -> QueryResult<String> {
    Ok(get(conn, page_id)?.as_ref().map(mark).unwrap_or_default())
}

/// Whether the page has a (readable) draft of changes.
pub fn exists(conn: &mut DbConnection, page_id: i32) -> QueryResult<bool> {
    Ok(get(conn, page_id)?.is_some())
}

/// Keeps `form` as the live page's draft of changes (replacing an earlier one). Checked like a
/// save (the form's own rules, the conflict rule); the page itself does not change.
pub fn put(
    conn: &mut DbConnection,
    page_id: i32,
    form: &PageForm,
    actor: &Actor,
) -> Result<Page, SaveError> {
    crate::db::write(conn, |c| {
        let now = crate::clock::now();
        let page = pages::find(c, page_id)?;
        if page.in_trash() {
            return Err(diesel::result::Error::NotFound.into());
        }
        if page.status() == Status::Draft {
            let mut errors = FieldErrors::default();
            errors.add(
                "status",
                "This page is a draft: save it as it is (drafts of changes are for live pages).",
            );
            return Err(SaveError::Invalid(errors));
        }
        let input = form
            .to_input(page.path.is_empty())
            .map_err(SaveError::Invalid)?;
        let goes_offline = input.status == Status::Draft
            || input
                .publish_at
                .is_some_and(|t| t > now && page.publish_at.is_some_and(|p| p <= now))
            || input.unpublish_at.is_some_and(|t| t <= now);
        if goes_offline {
            let mut errors = FieldErrors::default();
            errors.add(
                "status",
                "A draft of changes keeps the page online: to unpublish or reschedule it, save \
                 the page itself.",
            );
            return Err(SaveError::Invalid(errors));
        }
        let base_version = form.expected_version().unwrap_or(page.version);
        if base_version != page.version || current_mark(c, page_id)? != form.stage {
            return Err(SaveError::Conflict {
                current_version: page.version,
            });
        }
        let stored = PageForm {
            action: String::new(),
            version: base_version.to_string(),
            ..form.clone()
        };
        let json = serde_json::to_string(&stored).unwrap_or_default();
        diesel::delete(page_stages::table.find(page_id)).execute(c)?;
        diesel::insert_into(page_stages::table)
            .values((
                page_stages::page_id.eq(page_id),
                page_stages::form.eq(&json),
                page_stages::base_version.eq(base_version),
                page_stages::user_id.eq(actor.user_id),
                page_stages::saved_at.eq(now),
            ))
            .execute(c)?;
        audit::record(c, actor, "page.stage", &format!("/{}", page.path), now)?;
        Ok(page)
    })
}

/// Throws the draft of changes away (and the review it was in); the live page stays as it is.
pub fn discard(conn: &mut DbConnection, page_id: i32, actor: &Actor) -> QueryResult<bool> {
    crate::db::write(conn, |c| {
        let page = pages::find(c, page_id)?;
        let gone = diesel::delete(page_stages::table.find(page_id)).execute(c)? > 0;
        if gone {
            review::close(c, page_id)?;
            let now = crate::clock::now();
            audit::record(
                c,
                actor,
                "page.discard-stage",
                &format!("/{}", page.path),
                now,
            )?;
        }
        Ok(gone)
    })
}

/// Saves `input` as the page (the editor's "publish changes") and lets the draft of changes
/// go, in one transaction. `opened` is the draft of changes the form was opened from
/// (`mark`): another one in its place is a conflict.
pub fn publish_input(
    conn: &mut DbConnection,
    page_id: i32,
    input: &PageInput,
    expected: Option<i32>,
    opened: &str,
    actor: &Actor,
    note: &str,
) -> Result<Page, SaveError> {
    crate::db::write(conn, |c| {
        if current_mark(c, page_id)? != opened {
            let current_version = pages::find(c, page_id)?.version;
            return Err(SaveError::Conflict { current_version });
        }
        let page = editing::save(c, Some(page_id), input, expected, actor, note)?;
        diesel::delete(page_stages::table.find(page_id)).execute(c)?;
        review::close(c, page_id)?;
        Ok(page)
    })
}

/// Publishes the stored draft of changes (an approval). A draft of changes never takes the page
/// offline: where it says "draft", the live page's status and time stay.
pub fn publish(
    conn: &mut DbConnection,
    page_id: i32,
    actor: &Actor,
    note: &str,
) -> Result<Page, SaveError> {
    let stage = get(conn, page_id)?.ok_or(diesel::result::Error::NotFound)?;
    let page = pages::find(conn, page_id)?;
    if page.status() == Status::Draft {
        let mut errors = FieldErrors::default();
        errors.add(
            "decision",
            "The page was unpublished after these changes were prepared: open it in the editor.",
        );
        return Err(SaveError::Invalid(errors));
    }
    let mut input = stage
        .form
        .to_input(page.path.is_empty())
        .map_err(SaveError::Invalid)?;
    if input.status == Status::Draft {
        input.status = page.status();
        input.publish_at = page.publish_at;
    }
    let note = match stage.form.note.trim() {
        "" => note.to_owned(),
        own => format!("{own} ({note})"),
    };
    publish_input(
        conn,
        page_id,
        &input,
        Some(stage.base_version),
        &mark(&stage),
        actor,
        &note,
    )
}
