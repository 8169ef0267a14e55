//! Prometheus metrics: the counters move with requests, their labels are route patterns (never
//! the raw path), the gauges are read at the scrape, and `/metrics` is not on the public app.

use actix_web::test;

use crate::common::TestApp;
use crate::common::fixtures::page;
use crate::db_tests;

db_tests!(metrics_count_requests_by_route_pattern_and_stay_off_the_public_app);

/// The value of the sample `name` whose labels include every one of `labels` (0 when absent).
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn metrics_count_requests_by_route_pattern_and_stay_off_the_public_app(app: TestApp) {
    let handle = galley::telemetry::install();
    let metrics = test::init_service(galley::telemetry::app(app.state.clone(), handle)).await;
    let scrape = async || {
        let req = test::TestRequest::get().uri("/metrics").to_request();
        String::from_utf8(test::call_and_read_body(&metrics, req).await.to_vec()).unwrap()
    };
    page("counted", "Counted").create(&app).await;
    let before = scrape().await;
    let page_views = ["route=\"page\"", "status=\"200\""];
    let edits = ["route=\"/admin/pages/{id}/edit\"", "status=\"303\""];
    let failures = sample(&before, "galley_sign_in_failures_total", &[]);
    for _ in 0..3 {
        assert_eq!(app.get("/counted").await.status, 200);
    }
    assert_eq!(app.get("/admin/pages/12345/edit").await.status, 303);
    app.browser()
        .try_sign_in("admin@example.com", "not the password", "/admin")
        .await;
    let after = scrape().await;

    let counted = |text: &str, labels: &[&str]| sample(text, "galley_http_requests_total", labels);
    assert!(counted(&after, &page_views) - counted(&before, &page_views) >= 3.0);
    assert!(counted(&after, &edits) - counted(&before, &edits) >= 1.0);
    assert!(
        !after.contains("/admin/pages/12345"),
        "no raw paths in labels"
    );
    assert!(
        !after.contains("/counted"),
        "a page view is the pattern `page`"
    );
    assert!(after.contains("galley_http_request_duration_seconds_bucket"));
    assert!(sample(&after, "galley_sign_in_failures_total", &[]) > failures);
    assert!(
        sample(
            &after,
            "galley_cache_lookups_total",
            &["cache=\"page\"", "outcome=\"hit\""]
        ) >= 1.0
    );
    assert!(sample(&after, "galley_process_resident_memory_bytes", &[]) > 0.0);
    assert!(after.contains("galley_db_pool_connections{state=\"idle\"}"));
    assert!(after.contains("galley_outbox_waiting"));
    assert!(after.contains("galley_renditions_pending"));
    assert_eq!(sample(&after, "galley_database_up", &[]), 1.0);
    assert!(after.contains("galley_db_pool_wait_seconds"));

    assert_eq!(
        app.get("/metrics").await.status,
        404,
        "not on the public app"
    );
}
