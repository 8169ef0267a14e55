//! The application: the middleware stack and the routes, built the same way for production and
//! for the tests, and the background loop that follows other instances' writes.

use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Condition, ErrorHandlers, Logger};
use actix_web::{App, web};

use crate::accounts::session_store::{self, DbSessionStore};
use crate::content::{derived, trash};
use crate::db;
use crate::media::admin::PageRenderer;
use crate::routes;
use crate::state::AppState;
use crate::web::edge::Edge;
use crate::web::error_page;
use crate::web::headers::security_headers;

/// How often an instance checks whether another one changed the content.
pub const CONTENT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The session middleware for the back office (public pages never touch the session).
pub fn sessions(state: &AppState) -> SessionMiddleware<DbSessionStore> {
    let secure = state.site.current().base_url.starts_with("https://");
    session_store::middleware(state.pool.clone(), state.session_key.clone(), secure)
}

/// Keeps this instance's snapshot in step with writes made by other instances or the CLI.
pub async fn follow_content_changes(state: web::Data<AppState>) {
    let mut ticker = actix_web::rt::time::interval(CONTENT_POLL_INTERVAL);
    let mut ticks: u64 = 0;
    loop {
        ticker.tick().await;
        // Once a minute: what has been in the trash past its retention goes for good.
        if ticks.is_multiple_of(60) {
            let days = state.site.current().settings.trash_retention_days;
            let now = crate::clock::now();
            if let Err(e) = db::run(&state.pool, move |c| trash::purge(c, days, now)).await {
                log::warn!("purging the trash failed: {e}");
            }
        }
        ticks += 1;
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
    let sessions = sessions(&state);
    let deadlines = state.config.body_deadlines();
    App::new()
        .app_data(state)
        .app_data(web::PathConfig::default())
        .app_data(web::Data::new(PageRenderer(derived::rerender_stale)))
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
