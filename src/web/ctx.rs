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

/// An entry of the header or footer menu, resolved against the tree for this request.
pub struct MenuLink<'a> {
    pub url: Cow<'a, str>,
    pub title: Cow<'a, str>,
    pub current: bool,
    /// A URL away from the site (`rel="noopener"`).
    pub external: bool,
    /// A hub's pages, for its sub-menu.
    pub children: Vec<NavLink<'a>>,
}

/// The signed-in user, as the layout shows them.
#[derive(Clone, Debug)]
pub struct UserInfo {
    pub id: i32,
    pub email: String,
    pub is_admin: bool,
    /// Editors and admins (not authors).
    pub is_editor: bool,
    /// Pages waiting for review (counted for editors only).
    pub in_review: i64,
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

    /// A signed-in editor or admin (the back office shows authors less).
    pub fn is_editor(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_editor)
    }

    /// Pages waiting for review, for the navigation.
    pub fn in_review(&self) -> i64 {
        self.user.as_ref().map_or(0, |u| u.in_review)
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

    /// Absolute URL of a site path (`/glossary` -> `https://example.com/glossary`).
    pub fn absolute(&self, path: &str) -> String {
        [self.site.base_url.as_str(), path].concat()
    }

    pub fn asset(&self, name: &str) -> Cow<'static, str> {
        assets::url(name)
    }

    fn is_current(&self, url: &str) -> bool {
        url != "/"
            && self
                .path
                .strip_prefix(url)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// The header menu: the items an editor set, or, until one did, the pages marked to be in the
    /// main navigation (as before menus existed). Items of pages visitors cannot see are left out.
    pub fn header_menu(&self) -> Vec<MenuLink<'_>> {
        if !self.site.appearance.header_menu_edited {
            return self
                .site
                .tree
                .navigation(self.now)
                .into_iter()
                .map(|n| MenuLink {
                    url: Cow::Borrowed(n.url.as_str()),
                    title: Cow::Borrowed(n.title.as_str()),
                    current: self.is_current(&n.url),
                    external: false,
                    children: Vec::new(),
                })
                .collect();
        }
        self.menu(&self.site.menus.header)
    }

    pub fn footer_menu(&self) -> Vec<MenuLink<'_>> {
        self.menu(&self.site.menus.footer)
    }

    fn menu<'a>(&'a self, items: &'a [crate::snapshot::menus::MenuItem]) -> Vec<MenuLink<'a>> {
        use crate::snapshot::menus::Kind;
        let label = |item: &'a crate::snapshot::menus::MenuItem, fallback: &'a str| {
            Cow::Borrowed(if item.label.trim().is_empty() {
                fallback
            } else {
                item.label.as_str()
            })
        };
        items
            .iter()
            .filter_map(|item| match item.kind {
                Kind::Url => Some(MenuLink {
                    url: Cow::Borrowed(item.url.as_str()),
                    title: label(item, item.url.as_str()),
                    current: item.url.starts_with('/') && self.is_current(&item.url),
                    external: !item.url.starts_with('/'),
                    children: Vec::new(),
                }),
                Kind::Page | Kind::Hub => {
                    let node = self.site.tree.visible_by_id(item.page_id?, self.now)?;
                    let children = if item.kind == Kind::Hub {
                        self.site
                            .tree
                            .children(Some(node.id), self.now)
                            .into_iter()
                            .map(|c| NavLink {
                                url: &c.url,
                                title: &c.title,
                                current: self.is_current(&c.url),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    Some(MenuLink {
                        url: Cow::Borrowed(node.url.as_str()),
                        title: label(item, node.title.as_str()),
                        current: self.is_current(&node.url),
                        external: false,
                        children,
                    })
                }
            })
            .collect()
    }

    /// The announcement line, while it runs.
    pub fn announcement(&self) -> Option<&str> {
        self.site.appearance.announcement_at(self.now)
    }

    pub fn appearance(&self) -> &crate::snapshot::appearance::Appearance {
        &self.site.appearance
    }

    /// The generated stylesheet's URL.
    pub fn theme_url(&self) -> &str {
        &self.site.theme.url
    }

    pub fn theme_color(&self) -> &str {
        &self.site.theme.accent
    }

    pub fn footer_html(&self) -> &crate::html::SafeHtml {
        &self.site.footer_html
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
