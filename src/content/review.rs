//! Review: a draft, or a live page's draft of changes (`content::stage`), is submitted; an editor
//! approves it (published now or at a chosen time) or asks for changes with a comment. Every step
//! is a `page_reviews` row kept with the page's revisions, an audit entry and, when e-mail is on,
//! a notice (to the editors of a submission, to the submitter of a decision), all in one
//! transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::reset::Site;
use crate::accounts::users::{self, Role};
use crate::audit::{self, Actor};
use crate::content::pages::{self, Page, Status};
use crate::content::saving::SaveError;
use crate::content::{editing, stage};
use crate::db::DbConnection;
use crate::db::schema::{page_review_states, page_reviews, pages as pages_table};
use crate::outbox;
use crate::validation::FieldErrors;

pub const IN_REVIEW: &str = "in_review";
pub const CHANGES_REQUESTED: &str = "changes_requested";
pub const MAX_MESSAGE: usize = 2000;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = page_reviews)]
pub struct Review {
    pub id: i32,
    pub page_id: i32,
    pub version: i32,
    /// `submitted`, `approved` or `changes_requested`.
    pub kind: String,
    pub message: String,
    pub user_id: Option<i32>,
    pub user_name: String,
    pub created_at: NaiveDateTime,
}

impl Review {
    pub fn label(&self) -> &'static str {
        match self.kind.as_str() {
            "submitted" => "Submitted for review",
            "approved" => "Approved",
            _ => "Changes requested",
        }
    }
}

/// A page's review history, newest first.
pub fn history(conn: &mut DbConnection, page_id: i32) -> QueryResult<Vec<Review>> {
    page_reviews::table
        .filter(page_reviews::page_id.eq(page_id))
        .order(page_reviews::id.desc())
        .select(Review::as_select())
        .load(conn)
}

/// The last step of a page's review, if it had one.
pub fn latest(conn: &mut DbConnection, page_id: i32) -> QueryResult<Option<Review>> {
    Ok(history(conn, page_id)?.into_iter().next())
}

/// A page waiting for an editor.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub page_id: i32,
    pub title: String,
    pub path: String,
    /// Changes to a live page (not a new page).
    pub staged: bool,
    pub submitted: Option<Review>,
}

/// Where the page's review stands: `''` (not in review), `in_review` or `changes_requested`.
pub fn state_of(conn: &mut DbConnection, page_id: i32) -> QueryResult<String> {
    Ok(page_review_states::table
        .find(page_id)
        .select(page_review_states::state)
        .get_result(conn)
        .optional()?
        .unwrap_or_default())
}

fn set_state(conn: &mut DbConnection, page_id: i32, state: &str) -> QueryResult<()> {
    close(conn, page_id)?;
    diesel::insert_into(page_review_states::table)
        .values((
            page_review_states::page_id.eq(page_id),
            page_review_states::state.eq(state),
        ))
        .execute(conn)
        .map(drop)
}

/// The page is out of review (published, or its draft of changes published or discarded).
pub fn close(conn: &mut DbConnection, page_id: i32) -> QueryResult<()> {
    diesel::delete(page_review_states::table.find(page_id))
        .execute(conn)
        .map(drop)
}

/// The review queue, oldest submission first.
pub fn queue(conn: &mut DbConnection) -> QueryResult<Vec<Waiting>> {
    let rows: Vec<(i32, String, String)> = pages_table::table
        .inner_join(page_review_states::table)
        .filter(page_review_states::state.eq(IN_REVIEW))
        .filter(pages_table::trash_id.is_null())
        .select((pages_table::id, pages_table::title, pages_table::path))
        .load(conn)?;
    let mut waiting = Vec::with_capacity(rows.len());
    for (page_id, title, path) in rows {
        let staged = stage::get(conn, page_id)?;
        let submitted = history(conn, page_id)?
            .into_iter()
            .find(|r| r.kind == "submitted");
        waiting.push(Waiting {
            page_id,
            staged: staged.is_some(),
            title: staged.map_or(title, |s| s.form.title),
            path,
            submitted,
        });
    }
    waiting.sort_by_key(|w| w.submitted.as_ref().map(|r| r.id));
    Ok(waiting)
}

/// A page an author wrote, where its review stands, and the review's last step.
pub type Owned = (Page, String, Option<Review>);

/// The drafts `user_id` wrote, newest first, each with its review.
pub fn of_owner(conn: &mut DbConnection, user_id: i32) -> QueryResult<Vec<Owned>> {
    let owned: Vec<Page> = pages_table::table
        .filter(pages_table::owner_id.eq(user_id))
        .filter(pages_table::trash_id.is_null())
        .filter(pages_table::status.eq(Status::Draft.as_str()))
        .order(pages_table::updated_at.desc())
        .select(Page::as_select())
        .load(conn)?;
    owned
        .into_iter()
        .map(|p| {
            let (state, last) = (state_of(conn, p.id)?, latest(conn, p.id)?);
            Ok((p, state, last))
        })
        .collect()
}

fn message_errors(field: &'static str, message: &str, required: bool) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if errors.check_text(field, message) {
    } else if required && message.trim().is_empty() {
        errors.add(field, "Say what should change.");
    } else if message.chars().count() > MAX_MESSAGE {
        errors.add(field, format!("Keep it under {MAX_MESSAGE} characters."));
    }
    errors
}

fn invalid(field: &'static str, message: &str) -> SaveError {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    SaveError::Invalid(errors)
}

fn record(
    conn: &mut DbConnection,
    page: &Page,
    kind: &str,
    message: &str,
    actor: &Actor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(page_reviews::table)
        .values((
            page_reviews::page_id.eq(page.id),
            page_reviews::version.eq(page.version),
            page_reviews::kind.eq(kind),
            page_reviews::message.eq(message.trim()),
            page_reviews::user_id.eq(actor.user_id),
            page_reviews::user_name.eq(&actor.name),
            page_reviews::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// What an editor looked at when deciding: the page's version and its draft of changes. An
/// approval carries it, and is refused when the page changed since.
pub fn mark(conn: &mut DbConnection, page: &Page) -> QueryResult<String> {
    Ok(mark_of(page, stage::get(conn, page.id)?.as_ref()))
}

fn mark_of(page: &Page, staged: Option<&stage::Stage>) -> String {
    format!(
        "{}-{}",
        page.version,
        staged.map(stage::mark).unwrap_or_default()
    )
}

/// Whether the page has something to review: a draft, or a draft of changes.
fn reviewable(conn: &mut DbConnection, page: &Page) -> QueryResult<bool> {
    Ok(page.status() == Status::Draft || stage::exists(conn, page.id)?)
}

/// Submits the page's draft (or its draft of changes) for review, with an optional message.
pub fn submit(
    conn: &mut DbConnection,
    page_id: i32,
    message: &str,
    actor: &Actor,
    site: Option<&Site>,
) -> Result<Page, SaveError> {
    let errors = message_errors("message", message, false);
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    crate::db::write(conn, |c| {
        let now = crate::clock::now();
        let page = pages::find(c, page_id)?;
        if page.in_trash() {
            return Err(diesel::result::Error::NotFound.into());
        }
        if !reviewable(c, &page)? {
            return Err(invalid(
                "message",
                "This page is live and has no draft of changes: there is nothing to review.",
            ));
        }
        set_state(c, page.id, IN_REVIEW)?;
        record(c, &page, "submitted", message, actor, now)?;
        audit::record(c, actor, "page.submit", &format!("/{}", page.path), now)?;
        if let Some(site) = site {
            for editor in users::list(c)? {
                if editor.disabled || editor.role() == Role::Author {
                    continue;
                }
                if Some(editor.id) == actor.user_id {
                    continue;
                }
                let mail = site.mail(
                    &editor.email,
                    &format!("For review: {}", page.title),
                    format!(
                        "{} submitted “{}” for review.\n\n{}Review it here: {}/admin/pages/{}/review\n",
                        actor.name,
                        page.title,
                        quoted(message),
                        site.base_url,
                        page.id,
                    ),
                );
                outbox::enqueue(c, None, &mail, now)?;
            }
        }
        Ok(page)
    })
}

fn quoted(message: &str) -> String {
    let message = message.trim();
    if message.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = message.lines().map(|l| format!("> {l}")).collect();
    format!("{}\n\n", lines.join("\n"))
}

/// Tells whoever submitted the page (and its owner) what was decided.
fn notify_submitter(
    conn: &mut DbConnection,
    page: &Page,
    subject: &str,
    body: &str,
    actor: &Actor,
    site: Option<&Site>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let Some(site) = site else { return Ok(()) };
    let submitter = history(conn, page.id)?
        .into_iter()
        .find(|r| r.kind == "submitted")
        .and_then(|r| r.user_id);
    let mut to: Vec<i32> = submitter.into_iter().chain(page.owner_id).collect();
    to.sort_unstable();
    to.dedup();
    for id in to.into_iter().filter(|id| Some(*id) != actor.user_id) {
        let Some(user) = users::find(conn, id)?.filter(|u| !u.disabled) else {
            continue;
        };
        let mail = site.mail(
            &user.email,
            &format!("{subject}: {}", page.title),
            format!(
                "{body}\n\nThe page: {}/admin/pages/{}/edit\n",
                site.base_url, page.id
            ),
        );
        outbox::enqueue(conn, None, &mail, now)?;
    }
    Ok(())
}

fn waiting_page(conn: &mut DbConnection, page_id: i32) -> Result<Page, SaveError> {
    let page = pages::find(conn, page_id)?;
    if page.in_trash() {
        return Err(diesel::result::Error::NotFound.into());
    }
    if state_of(conn, page.id)? != IN_REVIEW {
        return Err(invalid("decision", "This page is not waiting for review."));
    }
    Ok(page)
}

/// Approves what the page's review is about: a draft is published (at `publish_at` when that is
/// still to come), a draft of changes replaces the live version at once.
/// `reviewed` is the `mark` of what the editor saw: approving something else is refused.
pub fn approve(
    conn: &mut DbConnection,
    page_id: i32,
    publish_at: Option<NaiveDateTime>,
    reviewed: &str,
    actor: &Actor,
    site: Option<&Site>,
) -> Result<Page, SaveError> {
    crate::db::write(conn, |c| {
        let now = crate::clock::now();
        let page = waiting_page(c, page_id)?;
        let staged = stage::get(c, page.id)?;
        if mark_of(&page, staged.as_ref()) != reviewed {
            return Err(invalid(
                "decision",
                "The page changed after you opened it: look at it again, then decide.",
            ));
        }
        let later = publish_at.filter(|t| *t > now);
        let note = format!("Approved by {}", actor.name);
        let published = if staged.is_some() {
            if later.is_some() {
                return Err(invalid(
                    "publish_at",
                    "Changes to a live page are published at once: leave the time empty.",
                ));
            }
            stage::publish(c, page.id, actor, &note)?
        } else {
            let input = pages::PageInput {
                status: if later.is_some() {
                    Status::Scheduled
                } else {
                    Status::Published
                },
                publish_at: later,
                ..page.to_input()
            };
            editing::save(c, Some(page.id), &input, Some(page.version), actor, &note)?
        };
        close(c, page.id)?;
        let decision = match later {
            Some(t) => format!("Scheduled for {} UTC", t.format("%Y-%m-%d %H:%M")),
            None => "Published".to_owned(),
        };
        record(c, &published, "approved", &decision, actor, now)?;
        audit::record(
            c,
            actor,
            "page.approve",
            &format!("/{} ({decision})", published.path),
            now,
        )?;
        let body = format!("{} approved “{}”: {decision}.", actor.name, published.title);
        notify_submitter(c, &published, "Approved", &body, actor, site, now)?;
        Ok(published)
    })
}

/// Sends the page back to its author with a comment (required).
pub fn request_changes(
    conn: &mut DbConnection,
    page_id: i32,
    comment: &str,
    actor: &Actor,
    site: Option<&Site>,
) -> Result<Page, SaveError> {
    let errors = message_errors("comment", comment, true);
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    crate::db::write(conn, |c| {
        let now = crate::clock::now();
        let page = waiting_page(c, page_id)?;
        set_state(c, page.id, CHANGES_REQUESTED)?;
        record(c, &page, "changes_requested", comment, actor, now)?;
        audit::record(
            c,
            actor,
            "page.request-changes",
            &format!("/{}", page.path),
            now,
        )?;
        let body = format!(
            "{} asked for changes to “{}”:\n\n{}",
            actor.name,
            page.title,
            quoted(comment)
        );
        notify_submitter(c, &page, "Changes requested", &body, actor, site, now)?;
        Ok(page)
    })
}
