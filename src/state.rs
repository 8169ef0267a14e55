//! `AppState`: what every request shares within an instance: the pool, the configuration, the
//! site snapshot, the session key, the mailer and the caches. Below the domains, so each of
//! them can take it in a handler without knowing the others.

use std::sync::Arc;

use actix_web::cookie::Key;

use crate::caches::{FileCache, PageCache, ResultCache};
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::mailer::Mailer;
use crate::sealed::Sealer;
use crate::snapshot::{SiteCache, settings};

/// Set when the instance is shutting down: background workers finish what they hold and claim
/// nothing new.
#[derive(Default, Debug)]
pub struct Stopping {
    flag: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl Stopping {
    pub fn stop(&self) {
        self.flag.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits for `ticker`'s next tick: `false` instead once the instance is stopping (a
    /// background worker's loop).
    pub async fn tick(&self, ticker: &mut actix_web::rt::time::Interval) -> bool {
        let tick = Box::pin(ticker.tick());
        let stop = Box::pin(self.wait());
        matches!(
            futures_util::future::select(tick, stop).await,
            futures_util::future::Either::Left(_)
        )
    }

    /// Resolves once `stop` is called.
    pub async fn wait(&self) {
        loop {
            // Created before the check: a `stop` in between still wakes it.
            let notified = self.notify.notified();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}

pub struct AppState {
    pub pool: DbPool,
    /// Set when the instance shuts down (see `Stopping`).
    pub stopping: Arc<Stopping>,
    pub config: Arc<Config>,
    pub site: SiteCache,
    /// Signs the session cookie and contact-form tokens; from the database, so every instance
    /// accepts what another one issued.
    pub session_key: Key,
    /// Seals two-factor secrets, with a key kept outside the database (`Config::sealing_key`).
    pub sealer: Sealer,
    /// Sends notifications; `None` when no SMTP server is configured.
    pub mailer: Option<Arc<Mailer>>,
    /// Rendered public pages, for the current content version.
    pub page_cache: PageCache,
    /// Recent public search results, for the current content version.
    pub search_cache: ResultCache,
    /// Hot media files, for the current content version (a replaced file moves it).
    pub file_cache: FileCache,
    /// Visitors' answers from the JSON API, for the current content version.
    pub api_cache: crate::caches::ApiCache,
    /// Requests to the JSON API per client address.
    pub api_limiter: Arc<crate::caches::RateLimiter>,
}

impl AppState {
    pub fn new(pool: DbPool, config: Config) -> Result<AppState, String> {
        let mut conn = pool
            .get()
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let site = SiteCache::load(&mut conn, &config.base_url())
            .map_err(|e| format!("cannot load the site: {e}"))?;
        let secret = settings::get(&mut conn, settings::SESSION_SECRET_KEY)
            .map_err(|e| format!("cannot read the session secret: {e}"))?
            .ok_or("the session secret is missing: start the server once to create it")?;
        let session_key = Key::derive_from(secret.as_bytes());
        let sealer = config.sealer()?;
        drop(conn);
        let mailer = Mailer::from_config(&config)?.map(Arc::new);
        let page_cache_bytes = config.page_cache_mb * 1024 * 1024;
        let page_cache = PageCache::new(page_cache_bytes);
        let file_cache_bytes = config.media_cache_mb * 1024 * 1024;
        let api_limiter = Arc::new(crate::caches::RateLimiter::new(config.api_rate_limit));
        Ok(AppState {
            pool,
            stopping: Arc::default(),
            config: Arc::new(config),
            site,
            session_key,
            sealer,
            mailer,
            page_cache,
            search_cache: ResultCache::new(),
            file_cache: FileCache::named(file_cache_bytes, "media"),
            // A quarter of the pages' budget: the API's answers are a second copy of pages'
            // text, and the instance's memory target counts both.
            api_cache: crate::caches::ApiCache::named(page_cache_bytes / 4, "api"),
            api_limiter,
        })
    }

    /// Where contact notifications go: the admin setting, else `GALLEY_NOTIFY_TO`.
    pub fn notify_recipient(&self) -> Option<String> {
        let saved = self.site.current().settings.contact_recipient.clone();
        Some(saved).filter(|r| !r.is_empty()).or_else(|| {
            self.config
                .notify_to
                .clone()
                .filter(|r| !r.trim().is_empty())
        })
    }

    pub fn notifications_on(&self) -> bool {
        self.mailer.is_some() && self.notify_recipient().is_some()
    }

    /// Re-reads settings and the page tree; call after this instance wrote content.
    pub async fn refresh(self: &Arc<Self>) -> Result<(), AppError> {
        let state = Arc::clone(self);
        db::run(&self.pool, move |c| state.site.reload(c)).await
    }
}
