//! The application: the middleware stack and the routes, built the same way for production and
//! for the tests, and the background loop that follows other instances' writes.

use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, ErrorHandlers};
use actix_web::{App, web};

use crate::accounts::session_store::{self, DbSessionStore};
use crate::content::{derived, trash};
use crate::db;
use crate::media::admin::PageRenderer;
use crate::routes;
use crate::state::AppState;
use crate::web::access_log::AccessLog;
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

/// How long the background workers get, once the server has stopped, to finish the message or
/// the file they are on.
const WIND_DOWN: Duration = Duration::from_secs(20);

/// After the server stopped: the workers claim nothing more and finish what they hold, then
/// whatever this instance still holds a lease on is given back, so another instance takes it
/// over at once rather than when the lease runs out.
pub async fn wind_down(
    state: &web::Data<AppState>,
    senders: [actix_web::rt::task::JoinHandle<()>; 2],
    renditions: std::thread::JoinHandle<()>,
) {
    state.stopping.stop();
    // A message or delivery being sent keeps its lease (until it runs out) rather than be sent
    // twice: what a sender still held when time ran out is not given back.
    let waited =
        actix_web::rt::time::timeout(WIND_DOWN, futures_util::future::join_all(senders)).await;
    let mailer_done = waited.is_ok();
    if !mailer_done {
        log::warn!(
            "the outbox or webhook worker was still sending when the wind-down time ran out"
        );
    }
    let deadline = std::time::Instant::now() + WIND_DOWN;
    while !renditions.is_finished() && std::time::Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let prefix = crate::tokens::lease_prefix();
    let released = db::run(&state.pool, move |c| {
        crate::archive::schedule::release_held(c, &prefix)?;
        let mails = if mailer_done {
            crate::outbox::release_held(c, &prefix)?
                + crate::webhooks::deliveries::release_held(c, &prefix)?
        } else {
            0
        };
        Ok::<_, diesel::result::Error>((mails, crate::media::jobs::release_held(c, &prefix)?))
    })
    .await;
    match released {
        Ok((0, 0)) => log::info!("stopped"),
        Ok((mails, jobs)) => {
            log::info!("stopped; gave back {mails} message(s) and {jobs} rendition job(s)")
        }
        Err(e) => log::warn!("stopped, but giving back the leases failed: {e}"),
    }
}

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
    let format = state.config.log_format();
    App::new()
        .app_data(state)
        .app_data(web::PathConfig::default())
        .app_data(web::Data::new(PageRenderer(derived::rerender_stale)))
        .wrap(Edge(deadlines))
        .wrap(ErrorHandlers::new().default_handler(error_page::render_error_page))
        .wrap(Compress::default())
        .wrap(security_headers())
        .wrap(AccessLog { format })
        .configure(|cfg| routes::configure(cfg, &sessions))
}
