//! My account's two-factor screens: setting it up (QR code, key, confirmation with the password
//! and a code), turning it off (password and code), new recovery codes (password), and the
//! recovery codes as a text file.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::accounts::admin::account_page;
use crate::accounts::extract::{Editor, two_factor_required};
use crate::accounts::views::{RecoveryCodesPage, TwoFactorSetup};
use crate::accounts::{password, totp, two_factor};
use crate::clock::now;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::validation::FieldErrors;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::flash;
use crate::web::{render, render_status, see_other};

/// Whether `plain` is `me`'s password (argon2, off the async workers).
async fn password_ok(me: &Editor, plain: &str) -> bool {
    let (hash, plain) = (me.user.password_hash.clone(), plain.to_owned());
    web::block(move || password::verify(&plain, &hash))
        .await
        .unwrap_or(false)
}

fn setup_page(
    me: Editor,
    state: &AppState,
    secret: &[u8],
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let uri = totp::otpauth_uri(me.ctx.site_name(), &me.user.email, secret);
    let (qr_path, qr_side) =
        totp::qr_path(&uri).ok_or_else(|| AppError::Internal("no QR code for the key".into()))?;
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

pub async fn setup_form(me: Editor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
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
    me: Editor,
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
    let mut errors = FieldErrors::default();
    if !password_ok(&me, &form.password).await {
        errors.add("password", "This is not your password.");
    }
    let step = totp::matching_step(&secret, &form.code, now());
    if step.is_none() {
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
    let codes = db::run(&state.pool, move |c| {
        two_factor::enable(c, uid, &sealed, step, &actor, now())
    })
    .await?;
    match codes {
        Some(codes) => render(&RecoveryCodesPage {
            ctx: me.ctx,
            codes,
            just_enabled: true,
        }),
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
    me: Editor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<DisableForm>,
) -> Result<HttpResponse, AppError> {
    let Some(secret) = me
        .user
        .totp_secret
        .as_deref()
        .and_then(|s| two_factor::open_secret(&state.sealer, me.user.id, s))
    else {
        return Ok(see_other("/admin/account"));
    };
    if two_factor_required(&state, &me.user) {
        flash(
            &me.session,
            "error",
            "This site requires two-factor sign-in of your role, so it stays on. You can make new recovery codes.",
        );
        return Ok(see_other("/admin/account"));
    }
    let mut errors = FieldErrors::default();
    if !password_ok(&me, &form.off_password).await {
        errors.add("off_password", "This is not your password.");
    }
    let (uid, code) = (me.user.id, form.off_code.clone());
    let checked = db::run(&state.pool, move |c| {
        two_factor::check(c, uid, &secret, &code, now())
    })
    .await?;
    if checked == two_factor::Checked::Wrong {
        errors.add("off_code", "This is not the code the app shows now.");
    }
    if !errors.is_empty() {
        return account_page(me, &state, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (user, actor) = (me.user.clone(), me.actor());
    db::run(&state.pool, move |c| {
        two_factor::disable(c, &user, "2fa.disable", &actor, now())
    })
    .await?;
    flash(&me.session, "success", "Two-factor sign-in is off.");
    Ok(see_other("/admin/account"))
}

#[derive(Deserialize)]
pub struct RenewForm {
    #[serde(default)]
    renew_password: String,
}

pub async fn renew_codes(
    me: Editor,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<RenewForm>,
) -> Result<HttpResponse, AppError> {
    if me.user.totp_secret.is_none() {
        return Ok(see_other("/admin/account"));
    }
    if !password_ok(&me, &form.renew_password).await {
        let mut errors = FieldErrors::default();
        errors.add("renew_password", "This is not your password.");
        return account_page(me, &state, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (uid, actor) = (me.user.id, me.actor());
    let codes = db::run(&state.pool, move |c| {
        two_factor::renew_recovery_codes(c, uid, &actor, now())
    })
    .await?;
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
    _me: Editor,
    CsrfForm(form): CsrfForm<CodesForm>,
) -> Result<HttpResponse, AppError> {
    let codes: Vec<&str> = form.codes.split_whitespace().collect();
    let shaped = |c: &&str| {
        c.len() == 11
            && c.bytes().enumerate().all(|(i, b)| {
                if i == 5 {
                    b == b'-'
                } else {
                    b.is_ascii_lowercase() || b.is_ascii_digit()
                }
            })
    };
    if codes.is_empty() || codes.len() > two_factor::RECOVERY_CODES || !codes.iter().all(shaped) {
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
