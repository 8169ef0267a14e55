//! `Ctx`: what every page's layout needs (site name, navigation, asset URLs), read from the
//! in-memory snapshot. Every view carries one; as an extractor it costs no query.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::NaiveDateTime;

use crate::app::AppState;
use crate::content::pages;
use crate::error::AppError;
use crate::site::state::Snapshot;
use crate::web::assets;

pub struct NavLink {
    pub url: String,
    pub title: String,
    /// The current page is this entry or lies under it.
    pub current: bool,
}

pub struct Ctx {
    pub site: Arc<Snapshot>,
    /// The request path, e.g. `/glossary/slug`.
    pub path: String,
    /// The moment this request sees the site at (scheduled pages compare against it).
    pub now: NaiveDateTime,
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
            now: pages::now(),
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

    pub fn base_url(&self) -> &str {
        &self.site.base_url
    }

    /// Absolute URL of a site path (`/glossary` -> `https://example.com/glossary`).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.site.base_url, path)
    }

    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    pub fn nav(&self) -> Vec<NavLink> {
        self.site
            .tree
            .navigation(self.now)
            .into_iter()
            .map(|n| {
                let url = n.url();
                let current = self.path == url || self.path.starts_with(&format!("{url}/"));
                NavLink {
                    url,
                    title: n.title.clone(),
                    current,
                }
            })
            .collect()
    }

    /// The site's hubs, for the home listing and the 404 page.
    pub fn hubs(&self) -> Vec<NavLink> {
        self.site
            .tree
            .hubs(self.now)
            .into_iter()
            .map(|n| NavLink {
                url: n.url(),
                title: n.title.clone(),
                current: false,
            })
            .collect()
    }
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Ready<Result<Ctx, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Ctx::from_request(req)))
    }
}
