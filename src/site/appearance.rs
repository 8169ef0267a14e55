//! `/admin/appearance` (admins): logo, icons, accent colour (refused below WCAG AA contrast, with
//! the nearest colour that passes), font, content width, footer text, announcement and custom
//! CSS. Saved with its audit entry; the stylesheet is made of it when the snapshot reloads.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::accounts::extract::Admin;
use crate::audit::{self, Actor};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::media::library as media_library;
use crate::media::markup;
use crate::site::views::{AppearanceForm, AppearancePage};
use crate::snapshot::appearance::{Appearance, Font, MAX_CUSTOM_CSS, Width};
use crate::snapshot::settings;
use crate::snapshot::theme;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::flash;
use crate::web::{render_status, see_other};

const MAX_FOOTER: usize = 2000;
const MAX_ANNOUNCEMENT: usize = 200;
const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

async fn page(
    me: crate::accounts::extract::Staff,
    state: &AppState,
    form: AppearanceForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let images = db::run(&state.pool, |c| {
        media_library::recent_images(c, 200).map(|list| {
            list.into_iter()
                .map(|m| (m.id, m.title))
                .collect::<Vec<_>>()
        })
    })
    .await?;
    render_status(
        status,
        &AppearancePage {
            ctx: me.ctx,
            form,
            errors,
            images,
            fonts: Font::ALL.iter().map(|f| (f.as_str(), f.label())).collect(),
            widths: Width::ALL.iter().map(|w| (w.as_str(), w.label())).collect(),
        },
    )
}

/// `GET /admin/appearance`.
pub async fn edit(Admin(me): Admin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let site = state.site.current();
    let a = &site.appearance;
    let id = |i: Option<i32>| i.map(|i| i.to_string()).unwrap_or_default();
    let form = AppearanceForm {
        accent_color: a.accent_color.clone(),
        font: a.font.as_str().into(),
        content_width: a.content_width.as_str().into(),
        footer: site.settings.footer_text.clone(),
        announcement: a.announcement.clone(),
        announcement_until: a
            .announcement_until
            .map(|t| t.format(DATETIME_LOCAL).to_string())
            .unwrap_or_default(),
        logo_id: id(a.logo_id),
        logo_alone: a.logo_alone.then(|| "on".into()),
        icon_id: id(a.icon_id),
        custom_css: a.custom_css.clone(),
    };
    page(me, &state, form, FieldErrors::default(), StatusCode::OK).await
}

/// The form checked: the appearance to save (logo and icons still to be looked up) and the
/// footer, or what to fix.
fn check(form: &AppearanceForm) -> Result<(Appearance, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let accent_color = match theme::check_accent(&form.accent_color) {
        Ok(c) => c,
        Err(message) => {
            errors.add("accent_color", message);
            String::new()
        }
    };
    let font = Font::parse(&form.font).unwrap_or_else(|| {
        errors.add("font", "Choose one of the fonts.");
        Font::default()
    });
    let content_width = Width::parse(&form.content_width).unwrap_or_else(|| {
        errors.add("content_width", "Choose one of the widths.");
        Width::default()
    });
    for (field, value, max) in [
        ("footer", &form.footer, MAX_FOOTER),
        ("announcement", &form.announcement, MAX_ANNOUNCEMENT),
    ] {
        if errors.check_text(field, value) {
        } else if value.chars().count() > max {
            errors.add(field, format!("Keep it under {max} characters."));
        }
    }
    let announcement_until = match form.announcement_until.trim() {
        "" => None,
        s => NaiveDateTime::parse_from_str(s, DATETIME_LOCAL)
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
            .map(Some)
            .unwrap_or_else(|_| {
                errors.add(
                    "announcement_until",
                    "Enter a date and time like 2026-12-24T18:00.",
                );
                None
            }),
    };
    if errors.check_text("custom_css", &form.custom_css) {
    } else if form.custom_css.len() > MAX_CUSTOM_CSS {
        errors.add(
            "custom_css",
            format!("Keep the custom CSS under {MAX_CUSTOM_CSS} bytes."),
        );
    }
    let mut media_id = |field: &'static str, value: &str| match value.trim() {
        "" => None,
        s => s.parse().map(Some).unwrap_or_else(|_| {
            errors.add(field, "Choose an image from the list.");
            None
        }),
    };
    let logo_id = media_id("logo_id", &form.logo_id);
    let icon_id = media_id("icon_id", &form.icon_id);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        Appearance {
            accent_color,
            font,
            content_width,
            announcement: form.announcement.trim().to_owned(),
            announcement_until,
            logo_id,
            logo: None,
            logo_alone: form.logo_alone.is_some(),
            icon_id,
            icons: None,
            custom_css: form.custom_css.replace("\r\n", "\n"),
            header_menu_edited: false,
        },
        form.footer.trim().to_owned(),
    ))
}

/// The logo and icons as pages print them; the field that names a file that is not an image.
fn resolve(conn: &mut DbConnection, a: &mut Appearance) -> QueryResult<Option<&'static str>> {
    if let Some(id) = a.logo_id {
        a.logo = media_library::find(conn, id)?
            .as_ref()
            .and_then(markup::logo);
        if a.logo.is_none() {
            return Ok(Some("logo_id"));
        }
    }
    if let Some(id) = a.icon_id {
        a.icons = media_library::find(conn, id)?
            .as_ref()
            .and_then(markup::icons);
        if a.icons.is_none() {
            return Ok(Some("icon_id"));
        }
    }
    Ok(None)
}

/// Saves the appearance and the footer text with the audit entry; `Some(field)` when the logo
/// or icon is not an image of the library.
fn save(
    conn: &mut DbConnection,
    mut a: Appearance,
    footer: &str,
    actor: &Actor,
) -> QueryResult<Option<&'static str>> {
    crate::db::write(conn, |c| {
        if let Some(field) = resolve(c, &mut a)? {
            return Ok(Some(field));
        }
        a.save(c)?;
        settings::set(c, "footer_text", footer)?;
        audit::record(
            c,
            actor,
            "appearance.update",
            &format!("accent {}", a.accent_color),
            crate::clock::now(),
        )?;
        Ok(None)
    })
}

/// `POST /admin/appearance`.
pub async fn update(
    Admin(me): Admin,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<AppearanceForm>,
) -> Result<HttpResponse, AppError> {
    let (appearance, footer) = match check(&form) {
        Ok(checked) => checked,
        Err(errors) => {
            return page(me, &state, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = me.actor();
    let refused = db::run(&state.pool, move |c| save(c, appearance, &footer, &actor)).await?;
    if let Some(field) = refused {
        let mut errors = FieldErrors::default();
        errors.add(field, "That image is not in the media library.");
        return page(me, &state, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    state.refresh().await?;
    flash(&me.session, "success", "Appearance saved.");
    Ok(see_other("/admin/appearance"))
}
