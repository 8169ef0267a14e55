//! `/login/2fa`: the second step of signing in, for accounts with two-factor sign-in. Between the
//! steps the session is pending: it holds who and since when, but no signed-in user, so no admin
//! page opens; it lapses after `PENDING_LIFETIME`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;

use crate::accounts::auth::{locked_message, start_session};
use crate::accounts::login::{self, Attempt};
use crate::accounts::session_store::{PENDING_PROOF, PENDING_SINCE, PENDING_USER, USER_ID};
use crate::accounts::users::User;
use crate::accounts::views::SecondStepPage;
use crate::clock::now;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::validation;
use crate::web::client::{client_ip, safe_next};
use crate::web::csrf::CsrfForm;
use crate::web::ctx::{Ctx, flash};
use crate::web::{render, render_status, see_other};

/// How long the second step may take after the password.
pub const PENDING_LIFETIME: Duration = Duration::minutes(5);

/// After a right password: the session (under a new id, signed in as nobody) waits for the
/// second factor.
pub fn begin(session: &Session, user: &User) -> Result<(), AppError> {
    session.renew();
    session.remove(USER_ID);
    session
        .insert(PENDING_USER, user.id)
        .and_then(|_| session.insert(PENDING_SINCE, now().and_utc().timestamp()))
        .and_then(|_| session.insert(PENDING_PROOF, login::password_proof(user)))
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Forgets a half-finished sign-in (and nothing else of the session).
pub fn forget(session: &Session) {
    for key in [PENDING_USER, PENDING_SINCE, PENDING_PROOF] {
        session.remove(key);
    }
}

/// `/login/2fa`, carrying `next` when there is one.
pub fn url(next: &str) -> String {
    if next.is_empty() {
        "/login/2fa".to_owned()
    } else {
        format!(
            "/login/2fa?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        )
    }
}

/// The user waiting for their second step and the proof of their password, if the wait has not
/// lapsed.
fn pending(session: &Session) -> Option<(i32, String)> {
    let user = session.get::<i32>(PENDING_USER).ok().flatten()?;
    let since = session.get::<i64>(PENDING_SINCE).ok().flatten()?;
    let proof = session.get::<String>(PENDING_PROOF).ok().flatten()?;
    let age = now().and_utc().timestamp() - since;
    (0..=PENDING_LIFETIME.num_seconds())
        .contains(&age)
        .then_some((user, proof))
}

/// Back to the password: a lapsed half-finished sign-in is forgotten (a signed-in session that
/// follows a link here stays as it is).
fn start_over(session: &Session) -> HttpResponse {
    forget(session);
    see_other("/login")
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn form(
    req: HttpRequest,
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    if pending(&session).is_none() {
        return Ok(start_over(&session));
    }
    render(&SecondStepPage {
        ctx: Ctx::for_session(&req, &session, None),
        next: safe_next(&query.next).unwrap_or("").to_owned(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some((user_id, proof)) = pending(&session) else {
        flash(
            &session,
            "error",
            "Signing in took too long. Please enter your password again.",
        );
        return Ok(see_other("/login"));
    };
    let ip = client_ip(&req);
    let outcome = if validation::unstorable(&form.code) {
        Attempt::Failed
    } else {
        let (s, code, at) = (state.clone(), form.code.clone(), ip.clone());
        db::run(&state.pool, move |c| {
            login::second_step(c, user_id, &proof, &code, &s.sealer, &at, now())
        })
        .await?
    };
    let next = safe_next(&form.next).unwrap_or("").to_owned();
    let retry = |status: StatusCode, error: String| {
        render_status(
            status,
            &SecondStepPage {
                ctx: Ctx::for_session(&req, &session, None),
                next: next.clone(),
                error: Some(error),
            },
        )
    };
    match outcome {
        Attempt::Success(user) => {
            forget(&session);
            start_session(&req, &session, &state, &user, &ip).await?;
            Ok(see_other(safe_next(&form.next).unwrap_or("/admin")))
        }
        Attempt::Locked { until } => retry(StatusCode::TOO_MANY_REQUESTS, locked_message(until)),
        Attempt::Failed | Attempt::SecondStep(_) => retry(
            StatusCode::UNPROCESSABLE_ENTITY,
            "That code is not right, or it was used already. Enter the current code from your app, or one of your recovery codes.".into(),
        ),
    }
}
