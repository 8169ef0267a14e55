//! The page editor: new and edit forms, saving (with the edit-conflict rule) and the live preview.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Editor, Staff};
use crate::content::admin_views::*;
use crate::content::editing;
use crate::content::pages::{self, Page, Status};
use crate::content::review::{self, Review};
use crate::content::revisions;
use crate::content::{autosave, derived, permissions, stage};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::media::library as media_library;
use crate::media::markup;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::flash;
use crate::web::{render, render_status, see_other};

/// Pages that can hold `page_id` (all but the home page, itself and its descendants), indented.
/// An author (`author`) is offered published pages and their own, never others' drafts.
fn parent_options(
    conn: &mut DbConnection,
    page_id: Option<i32>,
    author: Option<i32>,
) -> diesel::QueryResult<Vec<ParentOption>> {
    let mut all = pages::list_for_admin(conn)?;
    if let Some(me) = author {
        all.retain(|(p, _)| p.status != Status::Draft.as_str() || p.owner_id == Some(me));
    }
    let own_path = all
        .iter()
        .find(|(p, _)| Some(p.id) == page_id)
        .map(|(p, _)| p.path.clone());
    Ok(all
        .into_iter()
        .filter(|(p, _)| !p.path.is_empty())
        .filter(|(p, _)| {
            own_path
                .as_ref()
                .is_none_or(|own| p.path != *own && !p.path.starts_with(&format!("{own}/")))
        })
        .map(|(p, depth)| ParentOption {
            id: p.id,
            label: format!("{}{} (/{})", "— ".repeat(depth), p.title, p.path),
        })
        .collect())
}

/// The images an editor can pick from: the most recent ones.
fn image_choices(conn: &mut DbConnection) -> diesel::QueryResult<Vec<ImageChoice>> {
    Ok(media_library::recent_images(conn, 200)?
        .into_iter()
        .map(|m| ImageChoice {
            thumb: markup::thumb_url(&m).unwrap_or_default(),
            id: m.id,
            title: m.title,
            alt: m.alt,
        })
        .collect())
}

pub(super) struct Editing {
    pub page_id: Option<i32>,
    pub public_url: Option<String>,
    pub is_home: bool,
    /// The form shows an autosave slot restored.
    pub restored: bool,
    /// When the page (or its draft of changes) was last saved: an older autosave is not offered.
    pub saved_at: Option<chrono::NaiveDateTime>,
    /// Published or scheduled.
    pub live: bool,
    /// When the draft of changes the form shows was saved.
    pub staged: Option<chrono::NaiveDateTime>,
    pub review_state: String,
    pub last_review: Option<Review>,
    pub submit_message: String,
}

impl Editing {
    fn new_page(restored: bool) -> Editing {
        Editing {
            page_id: None,
            public_url: None,
            is_home: false,
            restored,
            saved_at: None,
            live: false,
            staged: None,
            review_state: String::new(),
            last_review: None,
            submit_message: String::new(),
        }
    }

    /// The editor of a stored page, with its draft of changes and its review, if any.
    pub(super) async fn of(
        state: &AppState,
        page: &Page,
    ) -> Result<(Editing, Option<PageForm>), AppError> {
        let id = page.id;
        let (staged, last_review, review_state) = db::run(&state.pool, move |c| {
            Ok::<_, diesel::result::Error>((
                stage::get(c, id)?,
                review::latest(c, id)?,
                review::state_of(c, id)?,
            ))
        })
        .await?;
        let staged_at = staged.as_ref().map(|s| s.saved_at);
        let editing = Editing {
            page_id: Some(id),
            public_url: Some(format!("/{}", page.path)),
            is_home: page.path.is_empty(),
            restored: false,
            saved_at: Some(staged_at.map_or(page.updated_at, |s| s.max(page.updated_at))),
            live: page.status() != Status::Draft,
            staged: staged_at,
            review_state,
            last_review,
            submit_message: String::new(),
        };
        Ok((
            editing,
            staged.map(|s| PageForm {
                stage: stage::mark(&s),
                ..s.form
            }),
        ))
    }
}

#[derive(Deserialize)]
pub struct EditQuery {
    /// `1`: fill the form with this user's autosaved changes.
    #[serde(default)]
    restore: String,
}

/// The autosave slot to restore into the form, when asked for.
async fn restored(
    state: &AppState,
    user_id: i32,
    page_key: i32,
    query: &EditQuery,
) -> Result<Option<PageForm>, AppError> {
    if query.restore != "1" {
        return Ok(None);
    }
    Ok(
        db::run(&state.pool, move |c| autosave::get(c, user_id, page_key))
            .await?
            .map(|(form, _)| form),
    )
}

pub(super) async fn render_editor(
    ed: Staff,
    state: &AppState,
    editing: Editing,
    form: PageForm,
    errors: FieldErrors,
    conflict: Option<Conflict>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = editing.page_id;
    let body = (form.action == "preview").then(|| form.body.clone());
    // A plain view of the editor offers the unsaved changes autosaved since the page was saved.
    let offer = status == StatusCode::OK && form.action.is_empty() && !editing.restored;
    let (user_id, saved_at) = (ed.user.id, editing.saved_at);
    let author = (!ed.is_editor()).then_some(ed.user.id);
    let (parents, images, preview, slot) = db::run(&state.pool, move |c| {
        let preview = body
            .map(|b| derived::render_preview(c, &b).map(|r| r.html))
            .transpose()?;
        let slot = if offer {
            autosave::get(c, user_id, id.unwrap_or(0))?
                .filter(|(_, at)| saved_at.is_none_or(|s| *at > s))
        } else {
            None
        };
        let parents = parent_options(c, id, author)?;
        Ok::<_, diesel::result::Error>((parents, image_choices(c)?, preview, slot))
    })
    .await?;
    let restorable = slot.map(|(saved, at)| Restorable {
        saved_at: at.format("%H:%M on %-d %B %Y (UTC)").to_string(),
        hunks: revisions::diff(&form.body, &saved.body),
        title: (saved.title != form.title).then_some(saved.title),
    });
    let view = PageEdit {
        may_publish: ed.is_editor(),
        live: editing.live,
        staged: editing
            .staged
            .map(|t| t.format("%H:%M on %-d %B %Y (UTC)").to_string()),
        review_state: editing.review_state,
        last_review: editing.last_review,
        submit_message: editing.submit_message,
        ctx: ed.ctx,
        page_id: editing.page_id,
        public_url: editing.public_url,
        is_home: editing.is_home,
        form,
        errors,
        parents,
        preview,
        conflict,
        images,
        restorable,
    };
    render_status(status, &view)
}

pub async fn new_page(
    ed: Staff,
    state: web::Data<AppState>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, AppError> {
    let form = restored(&state, ed.user.id, 0, &query).await?;
    let editing = Editing::new_page(form.is_some());
    render_editor(
        ed,
        &state,
        editing,
        form.unwrap_or_else(PageForm::new_page),
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn edit_page(
    ed: Staff,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let page = db::run(&state.pool, move |c| pages::find(c, id)).await?;
    if page.in_trash() {
        return Err(AppError::NotFound);
    }
    permissions::check_edit(&ed.user, &page)?;
    let form = restored(&state, ed.user.id, id, &query).await?;
    let (mut editing, staged) = Editing::of(&state, &page).await?;
    editing.restored = form.is_some();
    render_editor(
        ed,
        &state,
        editing,
        form.or(staged)
            .unwrap_or_else(|| PageForm::from_page(&page)),
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn create_page(
    ed: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<PageForm>,
) -> Result<HttpResponse, AppError> {
    submit(ed, state, None, form).await
}

pub async fn update_page(
    ed: Staff,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<PageForm>,
) -> Result<HttpResponse, AppError> {
    submit(ed, state, Some(id.into_inner()), form).await
}

/// Shared by create and update: preview, validate, save, or re-render with what to fix.
async fn submit(
    ed: Staff,
    state: web::Data<AppState>,
    id: Option<i32>,
    form: PageForm,
) -> Result<HttpResponse, AppError> {
    let existing = match id {
        Some(id) => Some(db::run(&state.pool, move |c| pages::find(c, id)).await?),
        None => None,
    };
    let editing = match &existing {
        Some(page) => {
            permissions::check_edit(&ed.user, page)?;
            Editing::of(&state, page).await?.0
        }
        None => Editing::new_page(false),
    };
    if form.action == "preview" {
        return render_editor(
            ed,
            &state,
            editing,
            form,
            FieldErrors::default(),
            None,
            StatusCode::OK,
        )
        .await;
    }
    let input = match form.to_input(editing.is_home) {
        Ok(input) => input,
        Err(errors) => {
            return render_editor(
                ed,
                &state,
                editing,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    permissions::check_save(&ed.user, existing.as_ref(), &input)?;
    let (user, before, wanted) = (ed.user.clone(), existing.clone(), input.clone());
    let address = db::run(&state.pool, move |c| {
        permissions::check_author_address(c, &user, before.as_ref(), &wanted)
    })
    .await;
    if let Err(AppError::Invalid(errors)) = address {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_editor(ed, &state, editing, form, errors, None, status).await;
    }
    address?;
    let (actor, note, expected) = (ed.actor(), form.note.clone(), form.expected_version());
    let staging = form.action == "stage";
    let (staged, stored) = (editing.staged.is_some(), form.clone());
    match db::run(&state.pool, move |c| match id {
        Some(id) if staging => stage::put(c, id, &stored, &actor),
        Some(id) if staged || !stored.stage.is_empty() => {
            stage::publish_input(c, id, &input, expected, &stored.stage, &actor, &note)
        }
        _ => editing::save(c, id, &input, expected, &actor, &note),
    })
    .await
    {
        Ok(page) => {
            if !staging {
                state.refresh().await?;
            }
            // Saved: the autosaved copy has served its purpose.
            let (user_id, key) = (ed.user.id, id.unwrap_or(0));
            db::run(&state.pool, move |c| autosave::discard(c, user_id, key)).await?;
            let message = if staging {
                format!(
                    "Saved as a draft of changes to “{}”: the live page is unchanged until they are published.",
                    page.title
                )
            } else {
                let verb = if id.is_some() { "Saved" } else { "Created" };
                format!("{verb} “{}” ({}).", page.title, page.status)
            };
            flash(&ed.session, "success", message);
            Ok(see_other(&format!("/admin/pages/{}/edit", page.id)))
        }
        Err(AppError::Invalid(errors)) => {
            render_editor(
                ed,
                &state,
                editing,
                form,
                errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(version)) => {
            let page_id = id.unwrap_or_default();
            let (latest, current) = db::run(&state.pool, move |c| {
                Ok::<_, diesel::result::Error>((
                    revisions::list(c, page_id)?,
                    stage::get(c, page_id)?,
                ))
            })
            .await?;
            let current = current.as_ref().map(stage::mark).unwrap_or_default();
            // Another draft of changes took the place of the one this form came from: the
            // editor shows it.
            let revision_url = if current != form.stage {
                format!("/admin/pages/{page_id}/edit")
            } else {
                latest
                    .first()
                    .map_or(format!("/admin/pages/{page_id}/revisions"), |r| {
                        format!("/admin/pages/{page_id}/revisions/{}", r.id)
                    })
            };
            // Saving again from here overwrites the other version, deliberately.
            let form = PageForm {
                version: version.to_string(),
                stage: current,
                ..form
            };
            let conflict = Some(Conflict {
                version,
                revision_url,
            });
            render_editor(
                ed,
                &state,
                editing,
                form,
                FieldErrors::default(),
                conflict,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    body: String,
}

/// `POST /admin/pages/{id}/duplicate`: a draft copy, opened in the editor.
pub async fn duplicate_page(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<crate::web::csrf::NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), ed.actor());
    let copy = db::run(&state.pool, move |c| editing::duplicate_page(c, id, &actor)).await?;
    flash(
        &ed.session,
        "success",
        format!("This is a draft copy, at /{}.", copy.path),
    );
    Ok(see_other(&format!("/admin/pages/{}/edit", copy.id)))
}

/// The live preview: the same renderer as the public page, returned as an HTML fragment.
pub async fn preview(
    _: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<PreviewForm>,
) -> Result<HttpResponse, AppError> {
    let body = form.body;
    let rendered = db::run(&state.pool, move |c| derived::render_preview(c, &body)).await?;
    render(&Preview {
        body: rendered.html,
        toc: rendered.toc,
    })
}
