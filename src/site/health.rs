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

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match db::run(&state.pool, |c| diesel::sql_query("SELECT 1").execute(c)).await {
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
