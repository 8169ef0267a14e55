//! Prometheus metrics. The counters and histograms are recorded where things happen (requests in
//! `web::access_log`, caches, the pool's waits, searches, sign-ins, the outbox, renditions); the
//! gauges (cache sizes, pool connections, outbox depth, pending renditions, memory) are read when
//! Prometheus scrapes. `/metrics` is served by an app of its own on its own listener
//! (`GALLEY_METRICS_BIND`), so the public port never exposes it.

use std::sync::OnceLock;

use actix_web::{App, HttpResponse, web};
use diesel::prelude::*;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::caches::{StampedCache, Weighed};
use crate::db::schema::outbox;
use crate::db::{self, DbConnection};
use crate::state::AppState;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle) and turns request
/// counting on.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let seconds = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ];
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
                .and_then(|b| b.install_recorder())
                .unwrap_or_else(|e| {
                    log::warn!("metrics: {e}; a recorder of its own is used");
                    PrometheusBuilder::new().build_recorder().handle()
                });
            crate::web::access_log::METRICS.store(true, std::sync::atomic::Ordering::Relaxed);
            handle
        })
        .clone()
}

/// The app on the metrics listener: `GET /metrics` and nothing else.
pub fn app(
    state: web::Data<AppState>,
    handle: PrometheusHandle,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(web::Data::new(handle))
        .route("/metrics", web::get().to(scrape))
}

/// What the database holds of the outbox, read at each scrape.
struct Queue {
    waiting: i64,
    given_up: Vec<(bool, i64)>,
    renditions: i64,
}

fn queue(conn: &mut DbConnection) -> QueryResult<Queue> {
    let waiting = outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::gave_up_at.is_null())
        .count()
        .get_result(conn)?;
    let given_up = [true, false]
        .into_iter()
        .map(|contact| {
            let q = outbox::table.filter(outbox::gave_up_at.is_not_null());
            let n = if contact {
                q.filter(outbox::submission_id.is_not_null())
                    .count()
                    .get_result(conn)?
            } else {
                q.filter(outbox::submission_id.is_null())
                    .count()
                    .get_result(conn)?
            };
            Ok((contact, n))
        })
        .collect::<QueryResult<_>>()?;
    Ok(Queue {
        waiting,
        given_up,
        renditions: crate::media::jobs::pending(conn)?,
    })
}

/// Resident memory of this process, in bytes (Linux; 0 elsewhere).
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn cache_gauges<E: Weighed>(cache: &StampedCache<E>) {
    metrics::gauge!("galley_cache_bytes", "cache" => cache.name()).set(cache.bytes() as f64);
    metrics::gauge!("galley_cache_entries", "cache" => cache.name()).set(cache.len() as f64);
}

async fn scrape(state: web::Data<AppState>, handle: web::Data<PrometheusHandle>) -> HttpResponse {
    cache_gauges(&state.page_cache);
    cache_gauges(&state.file_cache);
    let pool = state.pool.state();
    let idle = f64::from(pool.idle_connections);
    let in_use = f64::from(pool.connections - pool.idle_connections);
    metrics::gauge!("galley_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("galley_db_pool_connections", "state" => "in_use").set(in_use);
    metrics::gauge!("galley_process_resident_memory_bytes").set(resident_bytes() as f64);
    // A short wait for a connection: while the database is away the scrape still answers, in
    // time, with `galley_database_up 0`.
    let read = db::run_waiting(&state.pool, Some(std::time::Duration::from_secs(2)), queue).await;
    match read {
        Ok(q) => {
            metrics::gauge!("galley_outbox_waiting").set(q.waiting as f64);
            for (contact, n) in q.given_up {
                let kind = if contact { "contact" } else { "account" };
                metrics::gauge!("galley_outbox_given_up", "kind" => kind).set(n as f64);
            }
            metrics::gauge!("galley_renditions_pending").set(q.renditions as f64);
            metrics::gauge!("galley_database_up").set(1.0);
        }
        Err(e) => {
            log::warn!("metrics: the queue could not be read: {e}");
            metrics::gauge!("galley_database_up").set(0.0);
        }
    }
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}
