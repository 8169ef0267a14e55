//! `Ctx`: what every page's layout needs (site name, navigation, asset URLs), read from the
//! in-memory snapshot. Every view carries one; as an extractor it costs no query.

use std::borrow::Cow;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_session::Session;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::html::Text;
use crate::snapshot::Snapshot;
use crate::state::AppState;
use crate::web::{assets, csrf};

pub struct NavLink<'a> {
    pub url: &'a Text,
    pub title: &'a Text,
    /// The current page is this entry or lies under it.
    pub current: bool,
}

/// The signed-in user, as the layout shows them.
#[derive(Clone, Debug)]
pub struct UserInfo {
    pub id: i32,
    pub email: String,
    pub is_admin: bool,
}

/// A one-time message shown on the next page (after a redirect).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    /// `success` or `error`.
    pub kind: String,
    pub message: String,
}

pub struct Ctx {
    pub site: Arc<Snapshot>,
    /// The request path, e.g. `/glossary/slug`.
    pub path: String,
    /// The moment this request sees the site at (scheduled pages compare against it).
    pub now: NaiveDateTime,
    /// Back office only: who is signed in, the CSRF token for forms, a flash message.
    pub user: Option<UserInfo>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// New contact messages, for the badge in the back office's navigation. Counted by the
    /// dashboard and the inbox (a query on every admin page was not worth it); 0 elsewhere.
    pub inbox_new: i64,
}

impl Ctx {
    pub fn from_request(req: &HttpRequest) -> Ctx {
        let site = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.site.current())
            .unwrap_or_default();
        Ctx {
            site,
            path: req.path().to_owned(),
            now: crate::clock::now(),
            user: None,
            csrf: String::new(),
            flash: None,
            inbox_new: 0,
        }
    }

    /// The context of a back-office page: the user, the session's CSRF token, and the flash
    /// message left by the previous request (taken, so it shows once).
    pub fn for_session(req: &HttpRequest, session: &Session, user: Option<UserInfo>) -> Ctx {
        let flash = session.remove_as::<Flash>(FLASH_KEY).and_then(Result::ok);
        Ctx {
            user,
            csrf: csrf::token(session),
            flash,
            ..Ctx::from_request(req)
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin)
    }

    /// Whether the back-office navigation entry `prefix` holds the current page.
    pub fn in_section(&self, prefix: &str) -> bool {
        if prefix == "/admin" {
            self.path == "/admin"
        } else {
            self.path.starts_with(prefix)
        }
    }

    pub fn site_name(&self) -> &str {
        &self.site.settings.site_name
    }

    pub fn tagline(&self) -> &str {
        &self.site.settings.tagline
    }

    pub fn footer_text(&self) -> &str {
        &self.site.settings.footer_text
    }

    /// Absolute URL of a site path (`/glossary` -> `https://example.com/glossary`).
    pub fn absolute(&self, path: &str) -> String {
        [self.site.base_url.as_str(), path].concat()
    }

    pub fn asset(&self, name: &str) -> Cow<'static, str> {
        assets::url(name)
    }

    pub fn nav(&self) -> Vec<NavLink<'_>> {
        self.site
            .tree
            .navigation(self.now)
            .into_iter()
            .map(|n| NavLink {
                url: &n.url,
                title: &n.title,
                current: self
                    .path
                    .strip_prefix(n.url.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
            })
            .collect()
    }

    /// The site's hubs, for the home listing and the 404 page.
    pub fn hubs(&self) -> Vec<NavLink<'_>> {
        self.site
            .tree
            .hubs(self.now)
            .into_iter()
            .map(|n| NavLink {
                url: &n.url,
                title: &n.title,
                current: false,
            })
            .collect()
    }
}

const FLASH_KEY: &str = "flash";

/// Leaves a message for the next page this session sees.
pub fn flash(session: &Session, kind: &str, message: impl Into<String>) {
    let _ = session.insert(
        FLASH_KEY,
        Flash {
            kind: kind.into(),
            message: message.into(),
        },
    );
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Ready<Result<Ctx, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Ctx::from_request(req)))
    }
}
