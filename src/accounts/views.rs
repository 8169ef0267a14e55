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
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        UserRow {
            id: u.id,
            email: u.email.clone(),
            role: u.role.clone(),
            disabled: u.disabled,
            created_at: u.created_at,
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
}
