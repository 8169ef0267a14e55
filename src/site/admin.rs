//! The back office's site-wide screens: dashboard, settings (admins) and audit log (admins).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::Deserialize;

use crate::accounts::extract::{Admin, Staff};
use crate::accounts::users;
use crate::audit;
use crate::contact::submissions;
use crate::content::admin_views::ParentOption;
use crate::content::pages::{self, Status};
use crate::content::review;
use crate::db::schema::{page_revisions, pages as pages_table, users as users_table};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::media::library as media_library;
use crate::media::markup;
use crate::pagination::PageNumber;
use crate::site::changes;
use crate::site::views::{AuditPage, Dashboard, RecentChange, SettingsForm, SettingsPage};
use crate::snapshot::settings::Settings;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::{Ctx, flash};
use crate::web::{render, render_status, see_other};

fn recent_changes(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<RecentChange>> {
    let rows: Vec<(
        i32,
        String,
        i32,
        Option<String>,
        chrono::NaiveDateTime,
        String,
    )> = page_revisions::table
        .inner_join(pages_table::table)
        .left_join(users_table::table)
        .order(page_revisions::id.desc())
        .limit(limit)
        .select((
            page_revisions::page_id,
            pages_table::title,
            page_revisions::version,
            users_table::email.nullable(),
            page_revisions::created_at,
            page_revisions::note,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(page_id, title, version, author, at, note)| RecentChange {
            page_id,
            title,
            version,
            author,
            at,
            note,
        })
        .collect())
}

pub async fn dashboard(ed: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = ed.ctx.now;
    let (editor, user_id) = (ed.is_editor(), ed.user.id);
    let (listed, recent, inbox_new, waiting, own) = db::run(&state.pool, move |c| {
        if !editor {
            // An author's dashboard: what they wrote and where its review stands.
            let own = review::of_owner(c, user_id)?;
            return Ok::<_, AppError>((Vec::new(), Vec::new(), 0, Vec::new(), own));
        }
        Ok((
            pages::list_for_admin(c)?,
            recent_changes(c, 10)?,
            submissions::count_new(c)?,
            review::queue(c)?,
            Vec::new(),
        ))
    })
    .await?;
    let live = |p: &pages::ListedPage| p.publish_at.is_some_and(|t| t <= now);
    let count =
        |f: &dyn Fn(&pages::ListedPage) -> bool| listed.iter().filter(|(p, _)| f(p)).count();
    let view = Dashboard {
        published: count(&|p| p.status != Status::Draft.as_str() && live(p)),
        scheduled: count(&|p| p.status == Status::Scheduled.as_str() && !live(p)),
        drafts: count(&|p| p.status == Status::Draft.as_str()),
        recent,
        inbox_new,
        notifications_on: state.notifications_on(),
        waiting,
        own,
        ctx: Ctx {
            inbox_new,
            ..ed.ctx
        },
    };
    render(&view)
}

async fn settings_page(
    me: crate::accounts::extract::Staff,
    state: &AppState,
    form: SettingsForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (listed, images) = db::run(&state.pool, |c| {
        let images = media_library::recent_images(c, 200)?
            .into_iter()
            .map(|m| (m.id, m.title))
            .collect::<Vec<_>>();
        Ok::<_, diesel::result::Error>((pages::list_for_admin(c)?, images))
    })
    .await?;
    let pages = listed
        .into_iter()
        .map(|(p, depth)| ParentOption {
            id: p.id,
            label: format!("{}{} (/{})", "— ".repeat(depth), p.title, p.path),
        })
        .collect();
    let configured_base_url = state.config.base_url();
    render_status(
        status,
        &SettingsPage {
            ctx: me.ctx,
            form,
            errors,
            pages,
            images,
            configured_base_url,
        },
    )
}

pub async fn edit_settings(
    Admin(me): Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let s = &state.site.current().settings;
    let form = SettingsForm {
        site_name: s.site_name.clone(),
        tagline: s.tagline.clone(),
        base_url: s.base_url.clone(),
        home_page_id: s.home_page_id.map(|i| i.to_string()).unwrap_or_default(),
        footer_text: s.footer_text.clone(),
        contact_recipient: s.contact_recipient.clone(),
        spam_retention_days: s.spam_retention_days.to_string(),
        trash_retention_days: s.trash_retention_days.to_string(),
        require_2fa_admins: s.require_2fa_admins.then(|| "on".into()),
        require_2fa_editors: s.require_2fa_editors.then(|| "on".into()),
        social_image_id: s.social_image_id.map(|i| i.to_string()).unwrap_or_default(),
    };
    settings_page(me, &state, form, FieldErrors::default(), StatusCode::OK).await
}

fn validate(form: &SettingsForm) -> Result<Settings, FieldErrors> {
    let mut errors = FieldErrors::default();
    errors.check_text("tagline", &form.tagline);
    errors.check_text("footer_text", &form.footer_text);
    errors.check_text("contact_recipient", &form.contact_recipient);
    let name = form.site_name.trim();
    if errors.check_text("site_name", name) {
    } else if name.is_empty() || name.chars().count() > 100 {
        errors.add(
            "site_name",
            "Give the site a name of at most 100 characters.",
        );
    }
    let base = form.base_url.trim().trim_end_matches('/');
    if !base.is_empty()
        && (!(base.starts_with("http://") || base.starts_with("https://"))
            || base.contains(|c: char| c.is_whitespace() || c.is_control())
            || base.matches('/').count() > 2)
    {
        errors.add(
            "base_url",
            "Enter the site's address, like https://docs.example.com (no path), or leave it empty.",
        );
    }
    let home_page_id = match form.home_page_id.trim() {
        "" => None,
        s => s.parse().map(Some).unwrap_or_else(|_| {
            errors.add("home_page_id", "Choose a page from the list.");
            None
        }),
    };
    let social_image_id = match form.social_image_id.trim() {
        "" => None,
        s => s.parse().map(Some).unwrap_or_else(|_| {
            errors.add("social_image_id", "Choose an image from the list.");
            None
        }),
    };
    let recipient = users::normalise_email(&form.contact_recipient);
    if !recipient.is_empty() && !users::plausible_email(&recipient) {
        errors.add(
            "contact_recipient",
            "Enter an e-mail address like editors@example.com, or leave it empty.",
        );
    }
    let spam_retention_days = match form.spam_retention_days.trim().parse::<i64>() {
        Ok(d) if (1..=3650).contains(&d) => d,
        _ if form.spam_retention_days.trim().is_empty() => 30,
        _ => {
            errors.add(
                "spam_retention_days",
                "Enter a number of days between 1 and 3650.",
            );
            30
        }
    };
    let trash_retention_days = match form.trash_retention_days.trim().parse::<i64>() {
        Ok(d) if (1..=3650).contains(&d) => d,
        _ if form.trash_retention_days.trim().is_empty() => 30,
        _ => {
            errors.add(
                "trash_retention_days",
                "Enter a number of days between 1 and 3650.",
            );
            30
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Settings {
        trash_retention_days,
        site_name: name.to_owned(),
        tagline: form.tagline.trim().to_owned(),
        base_url: base.to_owned(),
        home_page_id,
        footer_text: form.footer_text.trim().to_owned(),
        contact_recipient: recipient,
        spam_retention_days,
        require_2fa_admins: form.require_2fa_admins.is_some(),
        require_2fa_editors: form.require_2fa_editors.is_some(),
        social_image_id,
        social_image: None,
    })
}

pub async fn update_settings(
    Admin(me): Admin,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let mut settings = match validate(&form) {
        Ok(s) => s,
        Err(errors) => {
            return settings_page(me, &state, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = me.actor();
    let saved = db::run(&state.pool, move |c| {
        if let Some(id) = settings.social_image_id {
            let file = media_library::find(c, id)?;
            match file.as_ref().and_then(markup::social) {
                Some(social) => settings.social_image = Some(social),
                None => return Ok(false),
            }
        }
        changes::update_settings(c, &settings, &actor)?;
        Ok::<_, diesel::result::Error>(true)
    })
    .await?;
    if !saved {
        let mut errors = FieldErrors::default();
        errors.add(
            "social_image_id",
            "That image is not in the media library any more.",
        );
        return settings_page(me, &state, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    state.refresh().await?;
    flash(&me.session, "success", "Settings saved.");
    Ok(see_other("/admin/settings"))
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    page: PageNumber,
}

const AUDIT_PER_PAGE: usize = 50;

pub async fn audit_log(
    Admin(me): Admin,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let asked = query.page;
    let (entries, pagination) =
        db::run(&state.pool, move |c| audit::page(c, asked, AUDIT_PER_PAGE)).await?;
    render(&AuditPage {
        ctx: me.ctx,
        entries,
        pagination,
        base: "/admin/audit?".into(),
    })
}
