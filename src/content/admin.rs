//! What editors reach under `/admin/pages` and `/admin/redirects`: list, write, preview, publish,
//! revisions, deletion and redirects.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::Editor;
use crate::audit::{self, Actor};
use crate::content::admin_views::*;
use crate::content::pages::{self, Page, PageInput, SaveError, Status};
use crate::content::{links, redirects, revisions};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::markdown;
use crate::pagination::{PageNumber, Pagination};
use crate::search::{self, Query};
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::{render, render_status, see_other};

const PER_PAGE: usize = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    hub: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: PageNumber,
}

pub async fn list_pages(
    ed: Editor,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let all = db::run(&state.pool, pages::list_for_admin).await?;
    let now = ed.ctx.now;
    let hubs: Vec<ParentOption> = {
        let parents: std::collections::HashSet<i32> =
            all.iter().filter_map(|(p, _)| p.parent_id).collect();
        all.iter()
            .filter(|(p, _)| parents.contains(&p.id))
            .map(|(p, _)| ParentOption {
                id: p.id,
                label: p.title.clone(),
            })
            .collect()
    };
    let hub: Option<i32> = query.hub.parse().ok();
    // The same full-text search as the public site, over every page, drafts included.
    let q = Query::parse(&query.q);
    let ranked: Option<Vec<i32>> = if q.is_empty() {
        None
    } else {
        let q = q.clone();
        Some(db::run(&state.pool, move |c| search::search(c, &q)).await?)
    };
    let tree = query.status.is_empty() && hub.is_none() && ranked.is_none();
    let mut all = all;
    if let Some(ids) = &ranked {
        let rank: std::collections::HashMap<i32, usize> =
            ids.iter().enumerate().map(|(r, id)| (*id, r)).collect();
        all.retain(|(p, _)| rank.contains_key(&p.id));
        all.sort_by_key(|(p, _)| rank[&p.id]);
    }
    let rows: Vec<PageRow> = all
        .into_iter()
        .filter(|(p, _)| query.status.is_empty() || p.status == query.status)
        .filter(|(p, _)| hub.is_none() || p.parent_id == hub || Some(p.id) == hub)
        .map(|(p, depth)| PageRow {
            live: p.status != Status::Draft.as_str() && p.publish_at.is_some_and(|t| t <= now),
            depth: if tree { depth } else { 0 },
            id: p.id,
            title: p.title,
            path: p.path,
            status: p.status,
            publish_at: p.publish_at,
            updated_at: p.updated_at,
            author: p.author,
        })
        .collect();
    let total = rows.len();
    let pagination = Pagination::new(query.page, total, PER_PAGE);
    let rows = pagination.slice(rows);
    let filters = serde_urlencoded::to_string([
        ("status", &query.status),
        ("hub", &query.hub),
        ("q", &query.q),
    ])
    .unwrap_or_default();
    let view = PagesList {
        ctx: ed.ctx,
        rows,
        total,
        status: query.status.clone(),
        hub: query.hub.clone(),
        q: query.q.clone(),
        hubs,
        pagination,
        base: format!("/admin/pages?{filters}&"),
        tree,
    };
    render(&view)
}

/// Pages that can hold `page_id` (all but the home page, itself and its descendants), indented.
fn parent_options(
    conn: &mut DbConnection,
    page_id: Option<i32>,
) -> diesel::QueryResult<Vec<ParentOption>> {
    let all = pages::list_for_admin(conn)?;
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

struct Editing {
    page_id: Option<i32>,
    public_url: Option<String>,
    is_home: bool,
}

async fn render_editor(
    ed: Editor,
    state: &AppState,
    editing: Editing,
    form: PageForm,
    errors: FieldErrors,
    conflict: Option<Conflict>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = editing.page_id;
    let parents = db::run(&state.pool, move |c| parent_options(c, id)).await?;
    let preview = (form.action == "preview").then(|| markdown::render(&form.body).html);
    let view = PageEdit {
        ctx: ed.ctx,
        page_id: editing.page_id,
        public_url: editing.public_url,
        is_home: editing.is_home,
        form,
        errors,
        parents,
        preview,
        conflict,
    };
    render_status(status, &view)
}

pub async fn new_page(ed: Editor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let editing = Editing {
        page_id: None,
        public_url: None,
        is_home: false,
    };
    render_editor(
        ed,
        &state,
        editing,
        PageForm::new_page(),
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn edit_page(
    ed: Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let page = db::run(&state.pool, move |c| pages::find(c, id)).await?;
    let editing = Editing {
        page_id: Some(id),
        public_url: Some(format!("/{}", page.path)),
        is_home: page.path.is_empty(),
    };
    render_editor(
        ed,
        &state,
        editing,
        PageForm::from_page(&page),
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

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
fn save(
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
            None => pages::create(conn, input, actor.user_id, note, now)?,
            Some(id) => pages::update(conn, id, input, expected, actor.user_id, note, now)?,
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

pub async fn create_page(
    ed: Editor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<PageForm>,
) -> Result<HttpResponse, AppError> {
    submit(ed, state, None, form).await
}

pub async fn update_page(
    ed: Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<PageForm>,
) -> Result<HttpResponse, AppError> {
    submit(ed, state, Some(id.into_inner()), form).await
}

/// Shared by create and update: preview, validate, save, or re-render with what to fix.
async fn submit(
    ed: Editor,
    state: web::Data<AppState>,
    id: Option<i32>,
    form: PageForm,
) -> Result<HttpResponse, AppError> {
    let existing = match id {
        Some(id) => Some(db::run(&state.pool, move |c| pages::find(c, id)).await?),
        None => None,
    };
    let editing = Editing {
        page_id: id,
        public_url: existing.as_ref().map(|p| format!("/{}", p.path)),
        is_home: existing.as_ref().is_some_and(|p| p.path.is_empty()),
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
    let (actor, note, expected) = (ed.actor(), form.note.clone(), form.expected_version());
    match db::run(&state.pool, move |c| {
        save(c, id, &input, expected, &actor, &note)
    })
    .await
    {
        Ok(page) => {
            state.refresh().await?;
            let verb = if id.is_some() { "Saved" } else { "Created" };
            flash(
                &ed.session,
                "success",
                format!("{verb} “{}” ({}).", page.title, page.status),
            );
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
            let latest = db::run(&state.pool, move |c| revisions::list(c, page_id)).await?;
            let revision_url = latest
                .first()
                .map_or(format!("/admin/pages/{page_id}/revisions"), |r| {
                    format!("/admin/pages/{page_id}/revisions/{}", r.id)
                });
            // Saving again from here overwrites the other version, deliberately.
            let form = PageForm {
                version: version.to_string(),
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

/// The live preview: the same renderer as the public page, returned as an HTML fragment.
pub async fn preview(
    _: Editor,
    CsrfForm(form): CsrfForm<PreviewForm>,
) -> Result<HttpResponse, AppError> {
    let body = form.body;
    let rendered = web::block(move || markdown::render(&body))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    render(&Preview {
        body: rendered.html,
        toc: rendered.toc,
    })
}

pub async fn list_revisions(
    ed: Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (page, revisions) = db::run(&state.pool, move |c| {
        Ok::<_, AppError>((pages::find(c, id)?, revisions::list(c, id)?))
    })
    .await?;
    render(&RevisionsList {
        ctx: ed.ctx,
        page_id: id,
        title: page.title,
        current_version: page.version,
        revisions,
    })
}

pub async fn show_revision(
    ed: Editor,
    state: web::Data<AppState>,
    ids: web::Path<(i32, i32)>,
) -> Result<HttpResponse, AppError> {
    let (id, rev) = ids.into_inner();
    let (page, revision) = db::run(&state.pool, move |c| {
        Ok::<_, AppError>((pages::find(c, id)?, revisions::find(c, id, rev)?))
    })
    .await?;
    let view = RevisionShow {
        hunks: revisions::diff(&revision.body_md, &page.body_md),
        title_changed: revision.title != page.title,
        summary_changed: revision.summary != page.summary,
        ctx: ed.ctx,
        page_id: id,
        page_title: page.title,
        current_version: page.version,
        revision,
    };
    render(&view)
}

/// Restores a revision's text (title, summary, body) as a new save, itself a revision.
pub async fn restore_revision(
    ed: Editor,
    state: web::Data<AppState>,
    ids: web::Path<(i32, i32)>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, rev) = ids.into_inner();
    let actor = ed.actor();
    let page = db::run(&state.pool, move |c| {
        crate::db::write(c, |c| {
            let (page, revision) = (pages::find(c, id)?, revisions::find(c, id, rev)?);
            let input = PageInput {
                title: revision.title,
                summary: revision.summary,
                body_md: revision.body_md,
                ..page.to_input()
            };
            let note = format!("Restored from version {}", revision.version);
            let saved = pages::update(
                c,
                id,
                &input,
                Some(page.version),
                actor.user_id,
                &note,
                crate::clock::now(),
            )?;
            audit::record(
                c,
                &actor,
                "page.restore",
                &format!("/{} to version {}", saved.path, revision.version),
                crate::clock::now(),
            )?;
            Ok::<_, SaveError>(saved)
        })
    })
    .await?;
    state.refresh().await?;
    flash(
        &ed.session,
        "success",
        format!("Restored an earlier version of “{}”.", page.title),
    );
    Ok(see_other(&format!("/admin/pages/{id}/edit")))
}

async fn delete_view(
    ed: Editor,
    state: &AppState,
    id: i32,
    redirect_to: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (page, kids) = db::run(&state.pool, move |c| {
        let page = pages::find(c, id)?;
        let kids: Vec<(String, String)> = pages::list_for_admin(c)?
            .into_iter()
            .filter(|(p, _)| p.parent_id == Some(id))
            .map(|(p, _)| (p.title, p.path))
            .collect();
        Ok::<_, AppError>((page, kids))
    })
    .await?;
    let view = DeleteConfirm {
        ctx: ed.ctx,
        page_id: id,
        title: page.title,
        path: page.path,
        children: kids,
        redirect_to,
        errors,
    };
    render_status(status, &view)
}

pub async fn confirm_delete(
    ed: Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    delete_view(
        ed,
        &state,
        id.into_inner(),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    redirect_to: String,
}

pub async fn delete_page(
    ed: Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let target = match form.redirect_to.trim() {
        "" => None,
        to => match redirects::validate_target(to) {
            Ok(to) => Some(to),
            Err(message) => {
                let mut errors = FieldErrors::default();
                errors.add("redirect_to", message);
                return delete_view(
                    ed,
                    &state,
                    id,
                    form.redirect_to,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let actor = ed.actor();
    let result = db::run(&state.pool, move |c| {
        crate::db::write(c, |c| {
            let page = pages::delete(c, id, target.as_deref(), crate::clock::now())?;
            audit::record(
                c,
                &actor,
                "page.delete",
                &format!("/{}", page.path),
                crate::clock::now(),
            )?;
            Ok::<_, pages::DeleteError>(page)
        })
    })
    .await;
    match result {
        Ok(page) => {
            state.refresh().await?;
            flash(&ed.session, "success", format!("Deleted “{}”.", page.title));
            Ok(see_other("/admin/pages"))
        }
        Err(AppError::BadRequest(message)) => {
            let mut errors = FieldErrors::default();
            errors.add("page", message);
            delete_view(
                ed,
                &state,
                id,
                form.redirect_to,
                errors,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn redirects_view(
    ed: Editor,
    state: &AppState,
    from: String,
    to: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let list = db::run(&state.pool, redirects::list).await?;
    render_status(
        status,
        &RedirectsList {
            ctx: ed.ctx,
            redirects: list,
            from_path: from,
            to_path: to,
            errors,
        },
    )
}

pub async fn list_redirects(
    ed: Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    redirects_view(
        ed,
        &state,
        String::new(),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct RedirectForm {
    #[serde(default)]
    from_path: String,
    #[serde(default)]
    to_path: String,
}

pub async fn create_redirect(
    ed: Editor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RedirectForm>,
) -> Result<HttpResponse, AppError> {
    let checked = redirects::validate(&form.from_path, &form.to_path).and_then(|(from, to)| {
        let site = state.site.current();
        if site
            .tree
            .visible_by_path(&from, crate::clock::now())
            .is_none()
        {
            return Ok((from, to));
        }
        let mut errors = FieldErrors::default();
        errors.add(
            "from_path",
            format!("A published page lives at /{from}; a redirect there would never be used."),
        );
        Err(errors)
    });
    let (from, to) = match checked {
        Ok(pair) => pair,
        Err(errors) => {
            return redirects_view(
                ed,
                &state,
                form.from_path,
                form.to_path,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let actor = ed.actor();
    let (f, t) = (from.clone(), to.clone());
    db::run(&state.pool, move |c| {
        crate::db::write(c, |c| {
            redirects::add(c, &f, &t, crate::clock::now())?;
            audit::record(
                c,
                &actor,
                "redirect.create",
                &format!("/{f} -> {}", redirects::location(&t)),
                crate::clock::now(),
            )
        })
    })
    .await?;
    flash(
        &ed.session,
        "success",
        format!("/{from} now redirects to {}.", redirects::location(&to)),
    );
    Ok(see_other("/admin/redirects"))
}

pub async fn delete_redirect(
    ed: Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), ed.actor());
    let removed = db::run(&state.pool, move |c| {
        crate::db::write(c, |c| {
            let removed = redirects::delete(c, id)?;
            if let Some(r) = &removed {
                audit::record(
                    c,
                    &actor,
                    "redirect.delete",
                    &format!("/{} -> {}", r.from_path, redirects::location(&r.to_path)),
                    crate::clock::now(),
                )?;
            }
            Ok::<_, diesel::result::Error>(removed)
        })
    })
    .await?
    .ok_or(AppError::NotFound)?;
    flash(
        &ed.session,
        "success",
        format!("Removed the redirect from /{}.", removed.from_path),
    );
    Ok(see_other("/admin/redirects"))
}

/// The broken-links report: internal links that lead to no published page (or only to a
/// redirect), with the page that contains each.
pub async fn broken_links(
    ed: Editor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (all, redirect_list) = db::run(&state.pool, |c| {
        Ok::<_, AppError>((links::all_links(c)?, redirects::list(c)?))
    })
    .await?;
    let (site, now) = (ed.ctx.site.clone(), ed.ctx.now);
    let rows = all
        .into_iter()
        .filter(|(_, _, to)| site.tree.visible_by_path(to, now).is_none())
        .map(|(page_id, page_title, to)| {
            let reason = match redirect_list.iter().find(|r| r.from_path == to) {
                Some(r) => format!("redirects to {}", redirects::location(&r.to_path)),
                None => "no published page at this address".to_owned(),
            };
            BrokenLink {
                page_id,
                page_title,
                target: format!("/{to}"),
                reason,
            }
        })
        .collect();
    render(&BrokenLinks { ctx: ed.ctx, rows })
}
