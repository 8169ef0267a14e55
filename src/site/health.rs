//! Health endpoints for load balancers: `/healthz` (the process answers) and `/readyz` (it can
//! reach its database).

use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

use crate::db;
use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// How long `/readyz` waits for a connection: a load balancer's check should hear "no" quickly
/// while the database is away, not after the pool's own timeout.
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let checked = db::run_waiting(&state.pool, Some(READY_WAIT), |c| {
        diesel::sql_query("SELECT 1").execute(c)
    })
    .await;
    match checked {
        Ok(_) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready\n"),
        Err(e) => {
            log::warn!("readiness check failed: {e}");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unreachable\n")
        }
    }
}
