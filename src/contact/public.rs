//! `/contact`: the contact page's text and the form; `/contact/thanks` after a message is stored.

use actix_web::http::StatusCode;
use actix_web::http::header::USER_AGENT;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::contact::submissions::{self, NewSubmission, Stored};
use crate::contact::token::{self, Check};
use crate::contact::views::{ContactForm, ContactPage, ThanksPage};
use crate::content::pages;
use crate::db;
use crate::error::AppError;
use crate::outbox::NewMail;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::client::client_ip;
use crate::web::ctx::Ctx;
use crate::web::form::Form;
use crate::web::{render, render_status, see_other};

/// The path of the page whose text introduces the form.
pub const CONTACT_PATH: &str = "contact";

async fn page(
    state: &AppState,
    ctx: Ctx,
    form: ContactForm,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let now = ctx.now;
    // The page at /contact, if there is one, introduces the form: its title, summary and text.
    let node = ctx.site.tree.visible_by_path(CONTACT_PATH, now);
    let (title, summary) = node.map_or(("Contact".to_owned(), String::new()), |n| {
        (n.title.as_str().to_owned(), n.summary.as_str().to_owned())
    });
    let intro = match node.map(|n| n.id) {
        Some(id) => db::run(&state.pool, move |c| pages::find_public(c, id, now)).await?,
        None => None,
    };
    let token = token::issue(state.session_key.signing(), now.and_utc().timestamp());
    let view = ContactPage {
        title,
        summary,
        canonical: ctx.absolute("/contact"),
        intro: intro.map(|p| p.body()),
        ctx,
        form: ContactForm {
            form_token: String::new(),
            hp_comment: String::new(),
            ..form
        },
        errors,
        token,
        notice,
    };
    render_status(status, &view)
}

pub async fn show_form(state: web::Data<AppState>, ctx: Ctx) -> Result<HttpResponse, AppError> {
    page(
        &state,
        ctx,
        ContactForm::default(),
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn thanks(ctx: Ctx) -> Result<HttpResponse, AppError> {
    render(&ThanksPage { ctx })
}

/// The notification for a stored message, if notifications are on.
fn notification(state: &AppState, ctx: &Ctx, sub: &NewSubmission) -> Option<NewMail> {
    state.mailer.as_ref()?;
    let recipient = state.notify_recipient()?;
    let topic = if sub.subject.is_empty() {
        sub.message.chars().take(60).collect::<String>()
    } else {
        sub.subject.clone()
    };
    Some(NewMail {
        recipient,
        reply_to: sub.email.clone(),
        subject: format!(
            "[{}] Message from {}: {}",
            ctx.site_name(),
            sub.name,
            topic.replace(['\r', '\n'], " ")
        ),
        body: format!(
            "{} <{}> wrote through the contact form of {}:\n\nSubject: {}\n\n{}\n\n-- \nRead and answer it in the inbox: {}\n",
            sub.name,
            sub.email,
            ctx.site_name(),
            if sub.subject.is_empty() {
                "(none)"
            } else {
                &sub.subject
            },
            sub.message,
            ctx.absolute("/admin/submissions"),
        ),
    })
}

/// Stores a valid message before anything else, then redirects (303) to the thank-you page.
/// Spam is stored too, marked, and not notified; a rate-limited visitor keeps their text (429).
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    Form(form): Form<ContactForm>,
) -> Result<HttpResponse, AppError> {
    let now = ctx.now;
    let nonce = match token::check(
        state.session_key.signing(),
        &form.form_token,
        now.and_utc().timestamp(),
    ) {
        Check::Valid { nonce, age_seconds } => (nonce, age_seconds),
        Check::Expired | Check::Invalid => {
            let notice = "This form had expired. Your message is still here: please send it again."
                .to_owned();
            return page(
                &state,
                ctx,
                form,
                FieldErrors::default(),
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (name, email, subject, message) =
        match submissions::validate(&form.name, &form.email, &form.subject, &form.message) {
            Ok(fields) => fields,
            Err(errors) => {
                return page(
                    &state,
                    ctx,
                    form,
                    errors,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        };
    let ip = client_ip(&req);
    let spam_reason = if !form.hp_comment.trim().is_empty() {
        Some("honeypot field filled in".to_owned())
    } else if nonce.1 < token::MIN_AGE_SECONDS {
        Some(format!(
            "sent {} s after the form was shown",
            nonce.1.max(0)
        ))
    } else {
        None
    };
    let new = NewSubmission {
        name,
        email,
        subject,
        message,
        ip,
        user_agent: req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        spam_reason,
        nonce: nonce.0,
    };
    let mail = notification(&state, &ctx, &new);
    let stored = db::run(&state.pool, move |c| {
        submissions::store(c, &new, mail.as_ref(), now)
    })
    .await;
    match stored {
        Ok(Stored::New { id, spam }) => log::info!(
            "contact submission #{id} stored{}",
            if spam { " as spam" } else { "" }
        ),
        Ok(Stored::Duplicate) => {}
        Ok(Stored::RateLimited { until }) => return rate_limited(&state, ctx, form, until).await,
        Err(e) => return Err(e),
    }
    Ok(see_other("/contact/thanks"))
}

/// The form again, with the visitor's text, saying when they may send it (429).
async fn rate_limited(
    state: &AppState,
    ctx: Ctx,
    form: ContactForm,
    until: chrono::NaiveDateTime,
) -> Result<HttpResponse, AppError> {
    let minutes = ((until - ctx.now).num_seconds() + 59) / 60;
    let notice = format!(
        "You have sent several messages in a short time. Your message has not been sent yet: please try again in {} minute{}.",
        minutes.max(1),
        if minutes > 1 { "s" } else { "" }
    );
    let mut res = page(
        state,
        ctx,
        form,
        FieldErrors::default(),
        Some(notice),
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await?;
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        (minutes.max(1) * 60).into(),
    );
    Ok(res)
}
