//! Review in the back office: "Submit for review" (authors and editors), the queue and the review
//! of one page with its approve and request-changes forms (editors), and throwing a draft of
//! changes away.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Editor, Staff};
use crate::accounts::reset::Site;
use crate::content::admin::editor::{Editing, render_editor};
use crate::content::admin_views::{DATETIME_LOCAL, PageForm};
use crate::content::pages::{self, Page};
use crate::content::review_views::{DecisionForm, ReviewQueue, ReviewScreen};
use crate::content::{derived, permissions, review, revisions, stage};
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::{render, render_status, see_other};

#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    message: String,
}

/// `POST /admin/pages/{id}/submit`: the draft (or the draft of changes) goes to the editors.
pub async fn submit(
    ed: Staff,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<SubmitForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let page = db::run(&state.pool, move |c| pages::find(c, id)).await?;
    permissions::check_edit(&ed.user, &page)?;
    let (actor, site, message) = (ed.actor(), Site::for_mail(&state), form.message.clone());
    match db::run(&state.pool, move |c| {
        review::submit(c, id, &message, &actor, site.as_ref())
    })
    .await
    {
        Ok(page) => {
            flash(
                &ed.session,
                "success",
                format!("Submitted “{}” for review.", page.title),
            );
            Ok(see_other(&format!("/admin/pages/{id}/edit")))
        }
        Err(AppError::Invalid(errors)) => {
            let (mut editing, staged) = Editing::of(&state, &page).await?;
            editing.submit_message = form.message;
            let form = staged.unwrap_or_else(|| PageForm::from_page(&page));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_editor(ed, &state, editing, form, errors, None, status).await
        }
        Err(e) => Err(e),
    }
}

/// `GET /admin/reviews`: what waits for an editor, oldest first.
pub async fn queue(
    Editor(ed): Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let waiting = db::run(&state.pool, review::queue).await?;
    render(&ReviewQueue {
        ctx: ed.ctx,
        waiting,
    })
}

/// `GET /admin/pages/{id}/review`.
pub async fn show(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let form = DecisionForm::default();
    review_screen(
        ed,
        &state,
        id.into_inner(),
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn review_screen(
    ed: Staff,
    state: &AppState,
    id: i32,
    form: DecisionForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (page, staged, history, preview, waiting, reviewed) = db::run(&state.pool, move |c| {
        let page: Page = pages::find(c, id)?;
        let staged = stage::get(c, id)?;
        let body = staged.as_ref().map_or(&page.body_md, |s| &s.form.body);
        let preview = derived::render_preview(c, body)?.html;
        let waiting = review::state_of(c, id)? == review::IN_REVIEW;
        let history = review::history(c, id)?;
        let reviewed = review::mark(c, &page)?;
        Ok::<_, diesel::result::Error>((page.clone(), staged, history, preview, waiting, reviewed))
    })
    .await?;
    if page.in_trash() {
        return Err(AppError::NotFound);
    }
    let hunks = staged
        .as_ref()
        .map(|s| revisions::diff(&page.body_md, &s.form.body))
        .unwrap_or_default();
    let changes = staged
        .as_ref()
        .map(|s| {
            let f = &s.form;
            let mut changes = Vec::new();
            let mut note = |what: &str, old: &str, new: &str| {
                if old != new {
                    changes.push(format!("{what}: {old} → {new}"));
                }
            };
            note("Title", &page.title, &f.title);
            note("Slug", &page.slug, &f.slug);
            note("Summary", &page.summary, &f.summary);
            note("Status", &page.status, &f.status);
            let parent = page.parent_id.map(|p| p.to_string()).unwrap_or_default();
            note("Parent page (id)", &parent, f.parent_id.trim());
            changes
        })
        .unwrap_or_default();
    let (title, summary) = match &staged {
        Some(s) => (s.form.title.clone(), s.form.summary.clone()),
        None => (page.title.clone(), page.summary.clone()),
    };
    let view = ReviewScreen {
        ctx: ed.ctx,
        page_id: id,
        title,
        summary,
        path: page.path,
        staged: staged.is_some(),
        waiting,
        preview,
        hunks,
        history,
        form,
        errors,
        reviewed,
        changes,
    };
    render_status(status, &view)
}

/// What a refused decision shows: the field errors, or the conflict as one.
async fn refused(
    ed: Staff,
    state: &AppState,
    id: i32,
    form: DecisionForm,
    error: AppError,
) -> Result<HttpResponse, AppError> {
    let (errors, status) = match error {
        AppError::Invalid(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        AppError::Conflict(version) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "decision",
                format!(
                    "The live page was saved (version {version}) after these changes were \
                     prepared: open them in the editor, merge, and save them as a draft of \
                     changes again."
                ),
            );
            (errors, StatusCode::CONFLICT)
        }
        e => return Err(e),
    };
    review_screen(ed, state, id, form, errors, status).await
}

/// `POST /admin/pages/{id}/approve` with an optional `publish_at`.
pub async fn approve(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let publish_at = match form.publish_at.trim() {
        "" => None,
        s => match chrono::NaiveDateTime::parse_from_str(s, DATETIME_LOCAL) {
            Ok(t) => Some(t),
            Err(_) => {
                let mut errors = FieldErrors::default();
                errors.add("publish_at", "Enter a date and time like 2026-12-01T09:00.");
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return review_screen(ed, &state, id, form, errors, status).await;
            }
        },
    };
    let (actor, site, reviewed) = (ed.actor(), Site::for_mail(&state), form.reviewed.clone());
    let result = db::run(&state.pool, move |c| {
        review::approve(c, id, publish_at, &reviewed, &actor, site.as_ref())
    })
    .await;
    match result {
        Ok(page) => {
            state.refresh().await?;
            flash(
                &ed.session,
                "success",
                format!("Approved “{}” ({}).", page.title, page.status),
            );
            Ok(see_other("/admin/reviews"))
        }
        Err(e) => refused(ed, &state, id, form, e).await,
    }
}

/// `POST /admin/pages/{id}/request-changes` with a `comment`.
pub async fn request_changes(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (actor, site, comment) = (ed.actor(), Site::for_mail(&state), form.comment.clone());
    let result = db::run(&state.pool, move |c| {
        review::request_changes(c, id, &comment, &actor, site.as_ref())
    })
    .await;
    match result {
        Ok(page) => {
            flash(
                &ed.session,
                "success",
                format!("Sent “{}” back with your comment.", page.title),
            );
            Ok(see_other("/admin/reviews"))
        }
        Err(e) => refused(ed, &state, id, form, e).await,
    }
}

/// `POST /admin/pages/{id}/stage/discard`: the draft of changes goes; the live page stays.
pub async fn discard_stage(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), ed.actor());
    let gone = db::run(&state.pool, move |c| stage::discard(c, id, &actor)).await?;
    if gone {
        flash(
            &ed.session,
            "success",
            "The draft of changes was discarded.",
        );
    }
    Ok(see_other(&format!("/admin/pages/{id}/edit")))
}
