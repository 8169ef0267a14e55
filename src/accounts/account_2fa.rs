//! My account's two-factor screens: setting it up (QR code, key, confirmation with the password
//! and a code), turning it off (password and code), new recovery codes (password), and the
//! recovery codes as a text file.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::admin::{account_page, current_sid};
use crate::accounts::auth::locked_message;
use crate::accounts::extract::{Staff, two_factor_required};
use crate::accounts::reset::{self, Site};
use crate::accounts::views::{RecoveryCodesPage, TwoFactorSetup};
use crate::accounts::{password, throttle, totp, two_factor};
use crate::clock::now;
use crate::db;
use crate::error::AppError;
use crate::outbox;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::flash;
use crate::web::{render, render_status, see_other};

/// The password, and with `code` a code (the app's, or a recovery code), checked for a change to
/// the second factor. Each try counts in the account's sign-in throttle, so a session alone
/// (someone else's, at an unlocked screen) cannot guess either. The errors go next to the named
/// fields; none: confirmed.
async fn confirm(
    me: &Staff,
    state: &AppState,
    password: (&'static str, &str),
    code: Option<(&'static str, &str)>,
) -> Result<FieldErrors, AppError> {
    let mut errors = FieldErrors::default();
    let account = throttle::account_key(&me.user.email);
    let key = account.clone();
    let admitted = db::run(&state.pool, move |c| {
        throttle::admit(c, &[(key.as_str(), throttle::ACCOUNT_LIMIT)], now())
    })
    .await?;
    if let Err(until) = admitted {
        errors.add(password.0, locked_message(until));
        return Ok(errors);
    }
    let (hash, plain) = (me.user.password_hash.clone(), password.1.to_owned());
    let password_ok = web::block(move || password::verify(&plain, &hash))
        .await
        .unwrap_or(false);
    if !password_ok {
        errors.add(password.0, "This is not your password.");
        return Ok(errors);
    }
    if let Some((field, typed)) = code {
        let secret = me
            .user
            .totp_secret
            .as_deref()
            .and_then(|s| two_factor::open_secret(&state.sealer, me.user.id, s));
        let (uid, typed) = (me.user.id, typed.to_owned());
        let checked = db::run(&state.pool, move |c| {
            two_factor::check(c, uid, secret.as_deref(), &typed, now())
        })
        .await?;
        if checked == two_factor::Checked::Wrong {
            errors.add(
                field,
                "This is not the code the app shows now (nor an unused recovery code).",
            );
            return Ok(errors);
        }
    }
    db::run(&state.pool, move |c| throttle::reset(c, &account)).await?;
    Ok(errors)
}

/// Tells the user by e-mail, when e-mail is on.
async fn notify(state: &AppState, email: &str, what: &str) -> Result<(), AppError> {
    let Some(site) = Site::for_mail(state) else {
        return Ok(());
    };
    let mail = reset::sign_in_changed(email, what, &site);
    db::run(&state.pool, move |c| outbox::enqueue(c, None, &mail, now())).await
}

fn setup_page(
    me: Staff,
    state: &AppState,
    secret: &[u8],
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    // A long site name would not fit a QR code: the app shows the first words of it anyway.
    let issuer: String = me.ctx.site_name().chars().take(40).collect();
    let (qr_path, qr_side) = totp::qr_path(&totp::otpauth_uri(&issuer, &me.user.email, secret))
        .or_else(|| totp::qr_path(&totp::otpauth_uri("galley", &me.user.email, secret)))
        .ok_or_else(|| AppError::Internal("no QR code for the key".into()))?;
    let b32 = totp::base32(secret);
    let grouped: Vec<&str> = (0..b32.len())
        .step_by(4)
        .map(|i| &b32[i..(i + 4).min(b32.len())])
        .collect();
    let sealed = two_factor::seal_secret(&state.sealer, me.user.id, secret);
    render_status(
        status,
        &TwoFactorSetup {
            ctx: me.ctx,
            qr_path,
            qr_side,
            secret: grouped.join(" "),
            sealed,
            errors,
        },
    )
}

pub async fn setup_form(me: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if me.user.totp_secret.is_some() {
        flash(&me.session, "success", "Two-factor sign-in is on already.");
        return Ok(see_other("/admin/account"));
    }
    let secret = totp::new_secret();
    setup_page(me, &state, &secret, FieldErrors::default(), StatusCode::OK)
}

#[derive(Deserialize)]
pub struct EnableForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
}

pub async fn enable(
    me: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<EnableForm>,
) -> Result<HttpResponse, AppError> {
    let Some(secret) = two_factor::open_secret(&state.sealer, me.user.id, &form.secret) else {
        flash(
            &me.session,
            "error",
            "That setup form was not for this account. Scan the new code below.",
        );
        return Ok(see_other("/admin/account/2fa"));
    };
    let mut errors = confirm(&me, &state, ("password", &form.password), None).await?;
    let step = totp::matching_step(&secret, &form.code, now());
    if step.is_none() && errors.is_empty() {
        errors.add(
            "code",
            "This is not the code the app shows now. Check that the app was set up with this key.",
        );
    }
    let Some(step) = step.filter(|_| errors.is_empty()) else {
        return setup_page(
            me,
            &state,
            &secret,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let (uid, actor, sealed) = (me.user.id, me.actor(), form.secret.clone());
    let sid = current_sid(&me.session);
    let codes = db::run(&state.pool, move |c| {
        two_factor::enable(c, uid, &sealed, step, &sid, &actor, now())
    })
    .await?;
    match codes {
        Some(codes) => {
            notify(&state, &me.user.email, "Two-factor sign-in was turned on").await?;
            render(&RecoveryCodesPage {
                ctx: me.ctx,
                codes,
                just_enabled: true,
            })
        }
        None => {
            flash(&me.session, "success", "Two-factor sign-in is on already.");
            Ok(see_other("/admin/account"))
        }
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    off_password: String,
    #[serde(default)]
    off_code: String,
}

pub async fn disable(
    me: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<DisableForm>,
) -> Result<HttpResponse, AppError> {
    if me.user.totp_secret.is_none() {
        return Ok(see_other("/admin/account"));
    }
    if two_factor_required(&state, &me.user) {
        flash(
            &me.session,
            "error",
            "This site requires two-factor sign-in of your role, so it stays on. You can make new recovery codes.",
        );
        return Ok(see_other("/admin/account"));
    }
    let errors = confirm(
        &me,
        &state,
        ("off_password", &form.off_password),
        Some(("off_code", &form.off_code)),
    )
    .await?;
    if !errors.is_empty() {
        return account_page(me, &state, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (user, actor) = (me.user.clone(), me.actor());
    db::run(&state.pool, move |c| {
        two_factor::disable(c, &user, "2fa.disable", &actor, now())
    })
    .await?;
    notify(&state, &me.user.email, "Two-factor sign-in was turned off").await?;
    flash(&me.session, "success", "Two-factor sign-in is off.");
    Ok(see_other("/admin/account"))
}

#[derive(Deserialize)]
pub struct RenewForm {
    #[serde(default)]
    renew_password: String,
    #[serde(default)]
    renew_code: String,
}

pub async fn renew_codes(
    me: Staff,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RenewForm>,
) -> Result<HttpResponse, AppError> {
    if me.user.totp_secret.is_none() {
        return Ok(see_other("/admin/account"));
    }
    // New codes are as good as the phone: they take what turning it off takes.
    let errors = confirm(
        &me,
        &state,
        ("renew_password", &form.renew_password),
        Some(("renew_code", &form.renew_code)),
    )
    .await?;
    if !errors.is_empty() {
        return account_page(me, &state, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (uid, actor) = (me.user.id, me.actor());
    let codes = db::run(&state.pool, move |c| {
        two_factor::renew_recovery_codes(c, uid, &actor, now())
    })
    .await?;
    notify(&state, &me.user.email, "New recovery codes were made").await?;
    render(&RecoveryCodesPage {
        ctx: me.ctx,
        codes,
        just_enabled: false,
    })
}

#[derive(Deserialize)]
pub struct CodesForm {
    #[serde(default)]
    codes: String,
}

/// The codes the page just showed, as a file: sent back by the page itself (nothing stored
/// holds them), so only code-shaped words are accepted.
pub async fn download_codes(
    _me: Staff,
    CsrfForm(form): CsrfForm<CodesForm>,
) -> Result<HttpResponse, AppError> {
    let codes: Vec<&str> = form.codes.split_whitespace().collect();
    let shaped = codes.iter().all(|c| two_factor::is_recovery_code_shaped(c));
    if codes.is_empty() || codes.len() > two_factor::RECOVERY_CODES || !shaped {
        return Err(AppError::BadRequest("not a set of recovery codes".into()));
    }
    let body = format!(
        "Recovery codes (each signs you in once, in place of the app's code):\n\n{}\n",
        codes.join("\n")
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            "attachment; filename=\"recovery-codes.txt\"",
        ))
        .body(body))
}
