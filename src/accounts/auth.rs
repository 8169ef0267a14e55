//! Signing in and out, and setting a password through a one-time link.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::USER_AGENT;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::accounts::login::{self, Attempt};
use crate::accounts::reset::{self, Site};
use crate::accounts::session_store::{CLIENT_IP, SESSION_ID, USER_AGENT as UA_KEY, USER_ID};
use crate::accounts::users::{self, User};
use crate::accounts::views::{LoginPage, ResetPage, SetPasswordPage};
use crate::accounts::{invites, management, password, second_step};
use crate::audit::{self, Actor};
use crate::clock::now;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens;
use crate::validation::{self, FieldErrors};
use crate::web::client::{client_ip, safe_next};
use crate::web::csrf::{self, CsrfForm, NoFields};
use crate::web::ctx::{Ctx, flash};
use crate::web::{render, render_status, see_other};

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    signed_out: Option<String>,
}

pub async fn login_form(
    req: HttpRequest,
    session: Session,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    if session.get::<i32>(USER_ID).ok().flatten().is_some() {
        return Ok(see_other(safe_next(&query.next).unwrap_or("/admin")));
    }
    let notice = query
        .signed_out
        .as_ref()
        .map(|_| "You have signed out.".to_owned());
    let next = safe_next(&query.next).unwrap_or("").to_owned();
    render(&LoginPage {
        ctx: Ctx::for_session(&req, &session, None),
        email: String::new(),
        next,
        error: None,
        notice,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req);
    let unstorable = validation::unstorable(&form.email);
    let (email, plain, at) = (form.email.clone(), form.password, ip.clone());
    let outcome = if unstorable {
        // No account has such an address; nothing to look up or count.
        Attempt::Failed
    } else {
        db::run(&state.pool, move |c| {
            login::attempt(c, &email, &plain, &at, now())
        })
        .await?
    };
    let retry = |status: StatusCode, error: String| {
        let next = safe_next(&form.next).unwrap_or("").to_owned();
        let ctx = Ctx::for_session(&req, &session, None);
        render_status(
            status,
            &LoginPage {
                ctx,
                email: form.email.clone(),
                next,
                error: Some(error),
                notice: None,
            },
        )
    };
    match outcome {
        Attempt::Failed => retry(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Incorrect e-mail address or password.".into(),
        ),
        Attempt::Locked { until } => retry(StatusCode::TOO_MANY_REQUESTS, locked_message(until)),
        Attempt::SecondStep(user) => {
            second_step::begin(&session, &user)?;
            let next = safe_next(&form.next).unwrap_or("");
            Ok(see_other(&second_step::url(next)))
        }
        Attempt::Success(user) => {
            start_session(&req, &session, &state, &user, &ip).await?;
            Ok(see_other(safe_next(&form.next).unwrap_or("/admin")))
        }
    }
}

/// What a refused sign-in says.
pub fn locked_message(until: chrono::NaiveDateTime) -> String {
    let minutes = ((until - now()).num_seconds() + 59) / 60;
    let wait = if minutes <= 1 {
        "a minute".to_owned()
    } else {
        format!("{minutes} minutes")
    };
    format!("Too many failed sign-in attempts. Please wait {wait} and try again.")
}

/// Signs `user` in on this session, under a new session id (a key planted before cannot ride
/// along), and tells them by e-mail when the device is new to the account.
pub async fn start_session(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    user: &User,
    ip: &str,
) -> Result<(), AppError> {
    session.renew();
    second_step::forget(session);
    let agent = req
        .headers()
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (id, email, at, ua) = (user.id, user.email.clone(), ip.to_owned(), agent.to_owned());
    let site = Site::for_mail(state);
    db::run(&state.pool, move |c| {
        reset::sign_in_from(c, id, &email, &at, &ua, site.as_ref(), now())
    })
    .await?;
    session
        .insert(USER_ID, user.id)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let _ = session.insert(SESSION_ID, tokens::random_token());
    let _ = session.insert(UA_KEY, agent);
    let _ = session.insert(CLIENT_IP, ip);
    csrf::rotate(session);
    Ok(())
}

pub async fn logout(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Ok(Some(uid)) = session.get::<i32>(USER_ID) {
        let actor = Actor {
            user_id: Some(uid),
            name: format!("user #{uid}"),
            ip: client_ip(&req),
        };
        db::run(&state.pool, move |c| {
            audit::record(c, &actor, "logout", "", now())
        })
        .await?;
    }
    session.purge();
    Ok(see_other("/login?signed_out=1"))
}

pub async fn set_password_form(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let t = token.into_inner();
    let tk = t.clone();
    let user = db::run(&state.pool, move |c| invites::find_user(c, &tk, now()))
        .await?
        .ok_or(AppError::NotFound)?;
    let ctx = Ctx::for_session(&req, &session, None);
    render(&SetPasswordPage {
        ctx,
        email: user.email,
        token: t,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn set_password(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    CsrfForm(form): CsrfForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let t = token.into_inner();
    let tk = t.clone();
    let user = db::run(&state.pool, move |c| invites::find_user(c, &tk, now()))
        .await?
        .ok_or(AppError::NotFound)?;
    let errors = new_password_errors(&form.password, &form.confirm);
    if !errors.is_empty() {
        let ctx = Ctx::for_session(&req, &session, None);
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SetPasswordPage {
                ctx,
                email: user.email,
                token: t,
                errors,
            },
        );
    }
    let (ip, notify) = (client_ip(&req), Site::for_mail(&state));
    db::run(&state.pool, move |c| {
        management::set_password_by_link(c, &t, &form.password, &ip, notify.as_ref())
    })
    .await?;
    flash(
        &session,
        "success",
        "Your password is set. You can sign in now.",
    );
    Ok(see_other("/login"))
}

/// `/password-reset`: the form, or, without e-mail, who to ask.
pub async fn reset_form(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    render(&ResetPage {
        ctx: Ctx::for_session(&req, &session, None),
        by_email: state.mailer.is_some(),
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    email: String,
}

/// Queues a link when the account exists; answers the same either way.
pub async fn request_reset(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<HttpResponse, AppError> {
    if let Some(site) = Site::for_mail(&state)
        && users::plausible_email(&users::normalise_email(&form.email))
    {
        let (email, ip) = (form.email.clone(), client_ip(&req));
        db::run(&state.pool, move |c| {
            reset::request(c, &email, &ip, &site, now())
        })
        .await?;
    }
    render(&ResetPage {
        ctx: Ctx::for_session(&req, &session, None),
        by_email: state.mailer.is_some(),
        sent: true,
    })
}

/// The checks of a new password and its confirmation, as field errors.
pub fn new_password_errors(new: &str, confirm: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if let Some(problem) = password::weakness(new) {
        errors.add("password", problem);
    } else if new != confirm {
        errors.add("confirm", "The two passwords do not match.");
    }
    errors
}
