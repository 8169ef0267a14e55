//! The application: shared state, the middleware stack and the routes, built the same way for
//! production and for the tests.

use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::cookie::Key;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Condition, ErrorHandlers, Logger};
use actix_web::{App, web};

use crate::accounts::session_store::{self, DbSessionStore};
use crate::config::Config;
use crate::contact::mailer::Mailer;
use crate::db::{self, DbPool};
use crate::error;
use crate::routes;
use crate::site::state::SiteCache;
use crate::site::{bootstrap, settings};
use crate::web::edge::Edge;
use crate::web::error_page;
use crate::web::headers::security_headers;
use crate::web::page_cache::PageCache;

/// How often an instance checks whether another one changed the content.
pub const CONTENT_POLL_INTERVAL: Duration = Duration::from_secs(1);

pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub site: SiteCache,
    /// Signs the session cookie and contact-form tokens; from the database, so every instance
    /// accepts what another one issued.
    pub session_key: Key,
    /// Sends notifications; `None` when no SMTP server is configured.
    pub mailer: Option<Arc<Mailer>>,
    /// Rendered public pages, for the current content version.
    pub page_cache: PageCache,
    /// Recent public search results, for the current content version.
    pub search_cache: crate::search::ResultCache,
}

impl AppState {
    pub fn new(pool: DbPool, config: Config) -> Result<AppState, String> {
        let mut conn = pool
            .get()
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        let site = SiteCache::load(&mut conn, &config.base_url())
            .map_err(|e| format!("cannot load the site: {e}"))?;
        let secret = settings::get(&mut conn, bootstrap::SESSION_SECRET_KEY)
            .map_err(|e| format!("cannot read the session secret: {e}"))?
            .ok_or("the session secret is missing: start the server once to create it")?;
        let session_key = Key::derive_from(secret.as_bytes());
        drop(conn);
        let mailer = Mailer::from_config(&config)?.map(Arc::new);
        let page_cache = PageCache::new(config.page_cache_mb * 1024 * 1024);
        Ok(AppState {
            pool,
            config: Arc::new(config),
            site,
            session_key,
            mailer,
            page_cache,
            search_cache: crate::search::ResultCache::new(),
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

    /// The session middleware for the back office (public pages never touch the session).
    pub fn sessions(&self) -> SessionMiddleware<DbSessionStore> {
        let secure = self.site.current().base_url.starts_with("https://");
        session_store::middleware(self.pool.clone(), self.session_key.clone(), secure)
    }

    /// Re-reads settings and the page tree; call after this instance wrote content.
    pub async fn refresh(self: &Arc<Self>) -> Result<(), error::AppError> {
        let state = Arc::clone(self);
        db::run(&self.pool, move |c| state.site.reload(c)).await
    }
}

/// Keeps this instance's snapshot in step with writes made by other instances or the CLI.
pub async fn follow_content_changes(state: web::Data<AppState>) {
    let mut ticker = actix_web::rt::time::interval(CONTENT_POLL_INTERVAL);
    loop {
        ticker.tick().await;
        let s = state.clone();
        if let Err(e) = db::run(&state.pool, move |c| s.site.reload_if_changed(c)).await {
            log::warn!("checking for content changes failed: {e}");
        }
    }
}

/// The path as the access log shows it: without the query string, and with one-time tokens
/// (password links) cut out, so no secret reaches the logs.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/account/set-password/") {
        Some(_) => "/account/set-password/[token]".to_owned(),
        None => path.to_owned(),
    }
}

/// Where the access log goes (`RUST_LOG=actix_web::middleware::logger=warn` turns it off).
const ACCESS_LOG_TARGET: &str = "actix_web::middleware::logger";

pub fn build(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let sessions = state.sessions();
    let deadlines = state.config.body_deadlines();
    App::new()
        .app_data(state)
        .app_data(web::PathConfig::default())
        .wrap(Edge(deadlines))
        .wrap(ErrorHandlers::new().default_handler(error_page::render_error_page))
        .wrap(Compress::default())
        .wrap(security_headers())
        // The path only: query strings may carry tokens and have no place in logs. Left out
        // entirely when the log level hides it: the logger formats each request up front.
        .wrap(Condition::new(
            log::log_enabled!(target: ACCESS_LOG_TARGET, log::Level::Info),
            Logger::new("%a \"%{request}xi\" %s %b %Dms")
                .log_target(ACCESS_LOG_TARGET)
                .custom_request_replace("request", |req| {
                    format!("{} {}", req.method(), loggable_path(req.path()))
                })
                .exclude("/healthz")
                .exclude("/readyz"),
        ))
        .configure(|cfg| routes::configure(cfg, &sessions))
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn one_time_tokens_never_reach_the_log() {
        assert_eq!(
            loggable_path("/account/set-password/abc123secret"),
            "/account/set-password/[token]"
        );
        assert_eq!(loggable_path("/glossary/slug"), "/glossary/slug");
    }
}
