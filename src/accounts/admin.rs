//! The back office's people screens: users (admins only) and one's own account.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::auth::new_password_errors;
use crate::accounts::extract::{Admin, Staff};
use crate::accounts::management::{self, Change};
use crate::accounts::reset::{self, Site};
use crate::accounts::session_store::SESSION_ID;
use crate::accounts::users::{self, Role, UserError};
use crate::accounts::views::{
    AccountPage, NewUserForm, NewUserPage, SessionView, UserPage, UserRow, UsersList,
};
use crate::accounts::{password, sessions, two_factor};
use crate::clock::now;
use crate::db;
use crate::error::AppError;
use crate::outbox;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::flash;
use crate::web::{render, render_status, see_other};

/// The absolute URL of a one-time password link.
fn link_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/account/set-password/{token}",
        state.site.current().base_url
    )
}

pub async fn list_users(
    Admin(me): Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let all = db::run(&state.pool, users::list).await?;
    render(&UsersList {
        ctx: me.ctx,
        users: all.iter().map(UserRow::from).collect(),
    })
}

pub async fn new_user(Admin(me): Admin) -> Result<HttpResponse, AppError> {
    let form = NewUserForm {
        email: String::new(),
        role: Role::Editor.as_str().into(),
    };
    render(&NewUserPage {
        ctx: me.ctx,
        form,
        errors: FieldErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct CreateUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    /// Empty: the new user sets a password through a one-time link.
    #[serde(default)]
    password: String,
}

pub async fn create_user(
    Admin(me): Admin,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<CreateUserForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let email = users::normalise_email(&form.email);
    if !users::plausible_email(&email) {
        errors.add("email", "Enter an e-mail address like name@example.com.");
    }
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.add("role", "Choose author, editor or admin.");
    }
    let with_link = form.password.is_empty();
    if let Some(problem) = (!with_link)
        .then(|| password::weakness(&form.password))
        .flatten()
    {
        errors.add("password", problem);
    }
    let form_view = NewUserForm {
        email: form.email.clone(),
        role: form.role.clone(),
    };
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewUserPage {
                ctx: me.ctx,
                form: form_view,
                errors,
            },
        );
    };
    let (actor, pw) = (
        me.actor(),
        if with_link {
            password::generate()
        } else {
            form.password
        },
    );
    let result = db::run(&state.pool, move |c| {
        Ok::<_, AppError>(management::add_user(
            c, &email, &pw, role, with_link, &actor,
        ))
    })
    .await?;
    match result {
        Ok((user, Some(token))) => {
            let link = Some(link_url(&state, &token));
            render(&UserPage {
                ctx: me.ctx,
                user: UserRow::from(&user),
                link,
            })
        }
        Ok((user, None)) => {
            flash(&me.session, "success", format!("Added {}.", user.email));
            Ok(see_other("/admin/users"))
        }
        Err(e @ (UserError::Exists | UserError::Invalid(_))) => {
            errors.add("email", e.to_string());
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewUserPage {
                    ctx: me.ctx,
                    form: form_view,
                    errors,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show_user(
    Admin(me): Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let user = db::run(&state.pool, move |c| users::find(c, id))
        .await?
        .ok_or(AppError::NotFound)?;
    render(&UserPage {
        ctx: me.ctx,
        user: UserRow::from(&user),
        link: None,
    })
}

#[derive(Deserialize)]
pub struct UserAction {
    /// `role` (with `role`), `disable`, `enable`, `reset` or `delete`.
    action: String,
    #[serde(default)]
    role: String,
}

/// Every change to a user is one POST with an `action`: role, disable, enable, reset, delete.
pub async fn change_user(
    Admin(me): Admin,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<UserAction>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if id == me.user.id && matches!(form.action.as_str(), "disable" | "delete" | "reset-2fa") {
        // Turning off one's own second factor takes the password and a code (My account): a
        // session alone, perhaps someone else's at an unlocked screen, is not enough.
        let message = if form.action == "reset-2fa" {
            "Turn off your own two-factor sign-in in My account, with your password and a code."
        } else {
            "You cannot disable or delete your own account."
        };
        flash(&me.session, "error", message);
        return Ok(see_other(&format!("/admin/users/{id}")));
    }
    let change = match form.action.as_str() {
        "role" => Role::parse(&form.role).map(Change::Role),
        "disable" => Some(Change::Disable),
        "enable" => Some(Change::Enable),
        "reset" => Some(Change::Reset),
        "reset-2fa" => Some(Change::ResetTwoFactor),
        "delete" => Some(Change::Delete),
        _ => None,
    };
    let Some(change) = change else {
        let message = if form.action == "role" {
            "Choose admin or editor."
        } else {
            "Unknown action."
        };
        flash(&me.session, "error", message);
        return Ok(see_other(&format!("/admin/users/{id}")));
    };
    let actor = me.actor();
    let result = db::run(&state.pool, move |c| {
        Ok::<_, AppError>(management::change_user(c, id, change, &actor))
    })
    .await?;
    match result {
        Ok((user, Some(token))) => render(&UserPage {
            ctx: me.ctx,
            user: UserRow::from(&user),
            link: Some(link_url(&state, &token)),
        }),
        Ok((user, None)) => {
            if let (Change::ResetTwoFactor, Some(site)) = (change, Site::for_mail(&state)) {
                let mail = reset::sign_in_changed(
                    &user.email,
                    "An administrator turned off your two-factor sign-in",
                    &site,
                );
                db::run(&state.pool, move |c| outbox::enqueue(c, None, &mail, now())).await?;
            }
            let (message, to) = match form.action.as_str() {
                "delete" => (
                    format!("Deleted {}.", user.email),
                    "/admin/users".to_owned(),
                ),
                "disable" => (
                    format!("Disabled {}; their sessions have ended.", user.email),
                    format!("/admin/users/{id}"),
                ),
                "enable" => (
                    format!("Enabled {}.", user.email),
                    format!("/admin/users/{id}"),
                ),
                "reset-2fa" => (
                    format!(
                        "Two-factor sign-in is off for {}; they can set it up again.",
                        user.email
                    ),
                    format!("/admin/users/{id}"),
                ),
                _ => (
                    format!("{} is now {}.", user.email, user.role),
                    format!("/admin/users/{id}"),
                ),
            };
            flash(&me.session, "success", message);
            Ok(see_other(&to))
        }
        Err(e @ (UserError::LastAdmin | UserError::Invalid(_))) => {
            flash(&me.session, "error", e.to_string());
            Ok(see_other(&format!("/admin/users/{id}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The id of this session among the user's (kept in the session state).
pub fn current_sid(session: &actix_session::Session) -> String {
    session
        .get::<String>(SESSION_ID)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// My account, with `errors` next to the fields of whichever form was sent.
pub async fn account_page(
    me: Staff,
    state: &AppState,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (uid, on) = (me.user.id, me.user.totp_secret.is_some());
    let (rows, two_factor) = db::run(&state.pool, move |c| {
        let rows = sessions::for_user(c, uid, now())?;
        let left = on
            .then(|| two_factor::recovery_codes_left(c, uid))
            .transpose()?;
        Ok::<_, diesel::result::Error>((rows, left))
    })
    .await?;
    let sid = current_sid(&me.session);
    let sessions = rows.iter().map(|r| SessionView::new(r, &sid)).collect();
    render_status(
        status,
        &AccountPage {
            ctx: me.ctx,
            sessions,
            errors,
            two_factor,
            display_name: me.user.display_name,
        },
    )
}

pub async fn account(me: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    account_page(me, &state, FieldErrors::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    display_name: String,
}

/// Sets the name shown with what one writes.
pub async fn change_name(
    mut me: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<HttpResponse, AppError> {
    let name = form.display_name.trim().to_owned();
    if let Some(problem) = crate::accounts::users::display_name_problem(&name) {
        let mut errors = FieldErrors::default();
        errors.add("display_name", problem);
        me.user.display_name = form.display_name;
        return account_page(me, &state, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (uid, actor) = (me.user.id, me.actor());
    db::run(&state.pool, move |c| {
        crate::accounts::users::set_display_name(c, uid, &name, &actor, now())
    })
    .await?;
    state.refresh().await?;
    flash(&me.session, "success", "Your name is saved.");
    Ok(see_other("/admin/account"))
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Changes one's own password (the current one is required) and ends one's other sessions.
pub async fn change_password(
    me: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = new_password_errors(&form.password, &form.confirm);
    let (hash, current) = (me.user.password_hash.clone(), form.current.clone());
    let current_ok = web::block(move || password::verify(&current, &hash))
        .await
        .unwrap_or(false);
    if !current_ok {
        errors.add("current", "This is not your current password.");
    }
    if !errors.is_empty() {
        return account_page(me, &state, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (uid, sid, actor) = (me.user.id, current_sid(&me.session), me.actor());
    let notify = Site::for_mail(&state);
    let ended = db::run(&state.pool, move |c| {
        management::change_own_password(c, uid, &form.password, &sid, &actor, notify.as_ref())
    })
    .await?;
    let others = if ended == 1 {
        "1 other session was".to_owned()
    } else {
        format!("{ended} other sessions were")
    };
    flash(
        &me.session,
        "success",
        format!("Your password is changed; {others} signed out."),
    );
    Ok(see_other("/admin/account"))
}

pub async fn end_session(
    me: Staff,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (uid, id, actor) = (me.user.id, id.into_inner(), me.actor());
    let ended = db::run(&state.pool, move |c| {
        management::end_session(c, uid, id, &actor)
    })
    .await?;
    flash(
        &me.session,
        if ended { "success" } else { "error" },
        if ended {
            "That session is signed out."
        } else {
            "That session had already ended."
        },
    );
    Ok(see_other("/admin/account"))
}
