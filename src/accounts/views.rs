//! Views of sign-in, accounts and users.

use askama::Template;
use chrono::NaiveDateTime;

use crate::accounts::sessions::SessionRow;
use crate::accounts::users::User;
use crate::validation::FieldErrors;
use crate::web::ctx::Ctx;

#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    pub ctx: Ctx,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/login_2fa.html")]
pub struct SecondStepPage {
    pub ctx: Ctx,
    pub next: String,
    pub error: Option<String>,
}

/// `/password-reset`: the form, what happens next once it is sent, or (without e-mail) that an
/// administrator makes reset links.
#[derive(Template)]
#[template(path = "admin/password_reset.html")]
pub struct ResetPage {
    pub ctx: Ctx,
    pub by_email: bool,
    pub sent: bool,
}

#[derive(Template)]
#[template(path = "admin/set_password.html")]
pub struct SetPasswordPage {
    pub ctx: Ctx,
    pub email: String,
    pub token: String,
    pub errors: FieldErrors,
}

pub struct UserRow {
    pub id: i32,
    pub email: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub two_factor: bool,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        UserRow {
            id: u.id,
            email: u.email.clone(),
            role: u.role.clone(),
            disabled: u.disabled,
            created_at: u.created_at,
            two_factor: u.totp_secret.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users/list.html")]
pub struct UsersList {
    pub ctx: Ctx,
    pub users: Vec<UserRow>,
}

#[derive(Default)]
pub struct NewUserForm {
    pub email: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "admin/users/new.html")]
pub struct NewUserPage {
    pub ctx: Ctx,
    pub form: NewUserForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "admin/users/show.html")]
pub struct UserPage {
    pub ctx: Ctx,
    pub user: UserRow,
    /// A one-time link to set a password, shown once, right after it was made.
    pub link: Option<String>,
}

pub struct SessionView {
    pub id: i32,
    pub device: String,
    pub ip: String,
    pub last_seen: NaiveDateTime,
    pub created: NaiveDateTime,
    pub current: bool,
}

impl SessionView {
    pub fn new(row: &SessionRow, current_sid: &str) -> SessionView {
        SessionView {
            id: row.id,
            device: describe_agent(&row.user_agent),
            ip: row.ip.clone(),
            last_seen: row.last_seen_at,
            created: row.created_at,
            current: !row.sid.is_empty() && row.sid == current_sid,
        }
    }
}

/// "Firefox on Linux" from a User-Agent string (enough to recognise one's own devices).
pub fn describe_agent(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| *v);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, v)| *v);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("Browser on {o}"),
        (None, None) if ua.is_empty() => "Unknown device".to_owned(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

#[derive(Template)]
#[template(path = "admin/account.html")]
pub struct AccountPage {
    pub ctx: Ctx,
    pub sessions: Vec<SessionView>,
    pub errors: FieldErrors,
    pub display_name: String,
    /// Two-factor sign-in: on, and how many recovery codes are left.
    pub two_factor: Option<i64>,
}

/// Setting up two-factor sign-in: the QR code and the secret of a new key, and the form that
/// confirms it with the password and a code. Nothing is stored until then: the key travels
/// sealed in the form.
#[derive(Template)]
#[template(path = "admin/account_2fa.html")]
pub struct TwoFactorSetup {
    pub ctx: Ctx,
    /// The QR code as SVG path data, and the side of its square.
    pub qr_path: String,
    pub qr_side: usize,
    /// The secret as people type it into an app (base32, in groups of four).
    pub secret: String,
    /// The same secret sealed for this user, for the form.
    pub sealed: String,
    pub errors: FieldErrors,
}

/// A new set of recovery codes, shown this once.
#[derive(Template)]
#[template(path = "admin/recovery_codes.html")]
pub struct RecoveryCodesPage {
    pub ctx: Ctx,
    pub codes: Vec<String>,
    /// Right after turning two-factor sign-in on (rather than a new set on request).
    pub just_enabled: bool,
}
