//! The submissions inbox under `/admin/submissions`: list, read, mark, export, delete.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::extract::{Admin, Editor};
use crate::clock::now;
use crate::contact::export;
use crate::contact::submissions::{self, Filter, STATUSES};
use crate::contact::views::{InboxList, SubmissionShow};
use crate::db;
use crate::error::AppError;
use crate::outbox;
use crate::pagination::PageNumber;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::{Ctx, flash};
use crate::web::{render, see_other};

const PER_PAGE: usize = 30;

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: PageNumber,
}

impl InboxQuery {
    fn filter(&self) -> Filter {
        let status = if STATUSES.contains(&self.status.as_str()) {
            self.status.clone()
        } else {
            String::new()
        };
        Filter {
            status,
            q: self.q.clone(),
        }
    }
}

pub async fn inbox(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.filter();
    let (f, asked) = (filter.clone(), query.page);
    let (rows, total, pagination, inbox_new) = db::run(&state.pool, move |c| {
        let (rows, total, pagination) = submissions::list(c, &f, asked, PER_PAGE)?;
        Ok::<_, AppError>((rows, total, pagination, submissions::count_new(c)?))
    })
    .await?;
    let view = InboxList {
        ctx: Ctx {
            inbox_new,
            ..ed.ctx
        },
        rows,
        total,
        filters: serde_urlencoded::to_string([("status", &filter.status), ("q", &filter.q)])
            .unwrap_or_default(),
        status: filter.status,
        q: filter.q,
        pagination,
        notifications_on: state.notifications_on(),
    };
    render(&view)
}

/// `/admin/submissions.csv`: what the inbox shows with the same filters, every page of it.
pub async fn export_csv(
    _: Editor,
    state: web::Data<AppState>,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.filter();
    let rows = db::run(&state.pool, move |c| submissions::all_matching(c, &filter)).await?;
    let csv = export::to_csv(&rows).map_err(|e| AppError::Internal(format!("CSV: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"submissions.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv))
}

pub async fn show(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (s, mail) = db::run(&state.pool, move |c| {
        Ok::<_, AppError>((
            submissions::open(c, id, now())?,
            outbox::for_submission(c, id)?,
        ))
    })
    .await?;
    let subject = if s.subject.is_empty() {
        "Your message".to_owned()
    } else {
        format!("Re: {}", s.subject)
    };
    let reply_link = format!(
        "mailto:{}?{}",
        s.email,
        serde_urlencoded::to_string([("subject", subject)])
            .unwrap_or_default()
            .replace('+', "%20")
    );
    render(&SubmissionShow {
        ctx: ed.ctx,
        s,
        mail,
        notifications_on: state.notifications_on(),
        reply_link,
    })
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    Editor(ed): Editor,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if !STATUSES.contains(&form.status.as_str()) {
        return Err(AppError::BadRequest(format!(
            "unknown status {:?}",
            form.status
        )));
    }
    let (status, actor) = (form.status.clone(), ed.actor());
    let changed = db::run(&state.pool, move |c| {
        submissions::set_status(c, id, &status, &actor, now())
    })
    .await?;
    if !changed {
        return Err(AppError::NotFound);
    }
    flash(
        &ed.session,
        "success",
        format!("Marked as {}.", form.status),
    );
    Ok(see_other(&format!("/admin/submissions/{id}")))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

pub async fn delete(
    Admin(me): Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if form.confirm != "yes" {
        flash(
            &me.session,
            "error",
            "Tick the box to confirm the deletion.",
        );
        return Ok(see_other(&format!("/admin/submissions/{id}")));
    }
    let actor = me.actor();
    let deleted = db::run(&state.pool, move |c| {
        submissions::delete(c, id, &actor, now())
    })
    .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    flash(&me.session, "success", "The submission is deleted.");
    Ok(see_other("/admin/submissions"))
}
