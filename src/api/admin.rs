//! The token screens: one's own tokens under My account (`/admin/account/tokens`: make one, see
//! its secret once, see when each was last used, revoke), and every token for admins
//! (`/admin/tokens`). Making and revoking a token are audited (never with the secret).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::accounts::extract::{Admin, Staff};
use crate::api::tokens::{self, ApiToken, NewToken, Scope};
use crate::audit;
use crate::clock::now;
use crate::db;
use crate::error::AppError;
use crate::validation::FieldErrors;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::ctx::{Ctx, flash};
use crate::web::{render_status, see_other};

/// A token as the lists show it.
pub struct TokenRow {
    pub id: i32,
    pub name: String,
    pub hint: String,
    pub scopes: String,
    pub owner: String,
    pub state: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

impl TokenRow {
    fn new(t: &ApiToken, owner: String, now: NaiveDateTime) -> TokenRow {
        let at = |t: Option<NaiveDateTime>, none: &str| {
            t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| none.to_owned())
        };
        TokenRow {
            id: t.id,
            name: t.name.clone(),
            hint: t.hint.clone(),
            scopes: t.scopes.replace(' ', ", "),
            owner,
            state: t.state(now),
            created: at(Some(t.created_at), ""),
            expires: at(t.expires_at, "never"),
            last_used: at(t.last_used_at, "never"),
        }
    }
}

/// A scope as the form offers it.
pub struct ScopeChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    pub ctx: Ctx,
    pub tokens: Vec<TokenRow>,
    pub errors: FieldErrors,
    /// The form's values (`name` would be the form macro's own parameter).
    pub token_name: String,
    pub expires_at: String,
    pub scopes: Vec<ScopeChoice>,
    /// The token just made, shown this once.
    pub secret: Option<String>,
    pub is_admin: bool,
}

#[derive(Template)]
#[template(path = "admin/all_tokens.html")]
pub struct AllTokensPage {
    pub ctx: Ctx,
    pub tokens: Vec<TokenRow>,
}

/// The scopes `role` can use (an author's token reads and writes no more than visitors see).
fn usable(role: crate::accounts::users::Role) -> Vec<Scope> {
    Scope::ALL
        .into_iter()
        .filter(|s| role != crate::accounts::users::Role::Author || *s == Scope::MediaWrite)
        .collect()
}

fn choices(offered: &[Scope], checked: &[Scope]) -> Vec<ScopeChoice> {
    offered
        .iter()
        .map(|s| ScopeChoice {
            value: s.as_str(),
            label: s.label(),
            checked: checked.contains(s),
        })
        .collect()
}

struct Shown {
    errors: FieldErrors,
    name: String,
    expires_at: String,
    scopes: Vec<Scope>,
    secret: Option<String>,
    status: StatusCode,
}

async fn page(
    me: Staff,
    state: &crate::state::AppState,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let uid = me.user.id;
    let list = db::run(&state.pool, move |c| tokens::of_user(c, uid)).await?;
    let t = now();
    let owner = me.user.email.clone();
    let is_admin = me.role() == crate::accounts::users::Role::Admin;
    let status = shown.status;
    let view = TokensPage {
        tokens: list
            .iter()
            .map(|k| TokenRow::new(k, owner.clone(), t))
            .collect(),
        errors: shown.errors,
        token_name: shown.name,
        expires_at: shown.expires_at,
        scopes: choices(&usable(me.role()), &shown.scopes),
        secret: shown.secret,
        is_admin,
        ctx: me.ctx,
    };
    let mut res = render_status(status, &view)?;
    // The page may carry a secret: never kept by a cache or the back button.
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// `GET /admin/account/tokens`.
pub async fn list(
    me: Staff,
    state: web::Data<crate::state::AppState>,
) -> Result<HttpResponse, AppError> {
    page(
        me,
        &state,
        Shown {
            errors: FieldErrors::default(),
            name: String::new(),
            expires_at: String::new(),
            scopes: vec![Scope::PagesRead],
            secret: None,
            status: StatusCode::OK,
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    /// `YYYY-MM-DD` (a `date` input), or empty: no expiry.
    #[serde(default)]
    expires_at: String,
    /// One checkbox per scope, named after it.
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

/// `POST /admin/account/tokens`: makes a token and shows its secret once.
pub async fn create(
    me: Staff,
    state: web::Data<crate::state::AppState>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let t = now();
    let mut errors = FieldErrors::default();
    let scopes: Vec<Scope> = usable(me.role())
        .into_iter()
        .filter(|s| form.fields.contains_key(s.as_str()))
        .collect();
    let expires = match form.expires_at.trim() {
        "" => None,
        day => match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) => d.and_hms_opt(23, 59, 59),
            Err(_) => {
                errors.add("expires_at", "Give a date (YYYY-MM-DD), or leave it empty.");
                None
            }
        },
    };
    let new = NewToken {
        name: form.name.clone(),
        scopes: scopes.clone(),
        expires_at: expires,
    };
    for (field, message) in new.check(t).0 {
        if !errors.has(field) {
            errors.add(field, message);
        }
    }
    if !errors.is_empty() {
        return page(
            me,
            &state,
            Shown {
                errors,
                name: form.name,
                expires_at: form.expires_at,
                scopes,
                secret: None,
                status: StatusCode::UNPROCESSABLE_ENTITY,
            },
        )
        .await;
    }
    let (uid, actor) = (me.user.id, me.actor());
    let secret = db::run(&state.pool, move |c| {
        db::write(c, |c| {
            let (token, secret) = tokens::create(c, uid, &new, t)?;
            audit::record(
                c,
                &actor,
                "token.create",
                &format!("{} ({}; {})", token.name, token.hint, token.scopes),
                t,
            )?;
            Ok::<_, diesel::result::Error>(secret)
        })
    })
    .await?;
    page(
        me,
        &state,
        Shown {
            errors: FieldErrors::default(),
            name: String::new(),
            expires_at: String::new(),
            scopes: vec![Scope::PagesRead],
            secret: Some(secret),
            status: StatusCode::OK,
        },
    )
    .await
}

/// `POST /admin/account/tokens/{id}/revoke`: one's own token, or any token for an admin.
pub async fn revoke(
    me: Staff,
    state: web::Data<crate::state::AppState>,
    id: web::Path<i32>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let is_admin = me.role() == crate::accounts::users::Role::Admin;
    let (uid, actor, t) = (me.user.id, me.actor(), now());
    let revoked = db::run(&state.pool, move |c| {
        db::write(c, |c| {
            let Some(token) = tokens::find(c, id)? else {
                return Ok(None);
            };
            if token.user_id != uid && !is_admin {
                return Ok(None);
            }
            if tokens::revoke(c, id, t)? {
                audit::record(
                    c,
                    &actor,
                    "token.revoke",
                    &format!("{} ({})", token.name, token.hint),
                    t,
                )?;
            }
            Ok::<_, diesel::result::Error>(Some(token))
        })
    })
    .await?;
    // Someone else's token is "not found" to a non-admin: no probing of ids.
    let token = revoked.ok_or(AppError::NotFound)?;
    flash(
        &me.session,
        "ok",
        format!("The token \u{201c}{}\u{201d} no longer works.", token.name),
    );
    Ok(see_other(if token.user_id == uid {
        "/admin/account/tokens"
    } else {
        "/admin/tokens"
    }))
}

/// `GET /admin/tokens`: every user's tokens.
pub async fn all(
    admin: Admin,
    state: web::Data<crate::state::AppState>,
) -> Result<HttpResponse, AppError> {
    let list = db::run(&state.pool, tokens::all).await?;
    let t = now();
    let view = AllTokensPage {
        tokens: list
            .into_iter()
            .map(|(k, owner, disabled)| {
                let mut row = TokenRow::new(&k, owner, t);
                if disabled && row.state == "active" {
                    row.state = "owner disabled";
                }
                row
            })
            .collect(),
        ctx: admin.0.ctx,
    };
    render_status(StatusCode::OK, &view)
}
