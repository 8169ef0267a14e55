//! HTTP caching of public pages: validators and 304s, and the in-process page cache, which must
//! never serve anything stale or hidden.

use actix_web::test::TestRequest;
use galley::accounts::users::Role;
use galley::config::Config;
use galley::content::{pages, saving};

use crate::common::TestApp;
use crate::common::fixtures::{in_seconds, page};
use crate::db_tests;

db_tests!(
    etags_and_conditional_requests,
    cache_follows_every_change,
    a_draft_is_never_served_from_the_cache,
    scheduled_pages_appear_in_cached_listings,
    cache_is_bounded,
    another_instance_sees_changes_within_a_second,
);

async fn etags_and_conditional_requests(app: TestApp) {
    page("p", "P").create(&app).await;
    let res = app.get("/p").await;
    assert_eq!(res.status, 200);
    let etag = res.header("etag").to_owned();
    let modified = res.header("last-modified").to_owned();
    assert!(etag.starts_with('"') && !modified.is_empty());
    assert_eq!(res.header("cache-control"), "public, no-cache");
    let r = app
        .request(
            TestRequest::get()
                .uri("/p")
                .insert_header(("if-none-match", etag.clone())),
        )
        .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = app
        .request(
            TestRequest::get()
                .uri("/p")
                .insert_header(("if-modified-since", modified.clone())),
        )
        .await;
    assert_eq!(r.status, 304);
    let r = app
        .request(
            TestRequest::get()
                .uri("/p")
                .insert_header(("if-none-match", "\"other\"")),
        )
        .await;
    assert_eq!(r.status, 200);
    let gz = app
        .request(
            TestRequest::get()
                .uri("/p")
                .insert_header(("accept-encoding", "gzip, deflate, br")),
        )
        .await;
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert_eq!(gz.header("vary"), "Accept-Encoding");
    // The home page too.
    let home = app.get("/").await;
    assert_eq!(home.status, 200);
    // Editing the page changes its ETag: the old copy is not "current" any more.
    let p = app
        .with_conn(|c| pages::find_by_path(c, "p").unwrap().unwrap())
        .await;
    let input = pages::PageInput {
        body_md: "Changed.".into(),
        ..p.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, p.id, &input, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    let r = app
        .request(
            TestRequest::get()
                .uri("/p")
                .insert_header(("if-none-match", etag.clone())),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Changed."));
}

async fn cache_follows_every_change(app: TestApp) {
    let hub = page("hub", "Hub").create(&app).await;
    let p = page("a", "Alpha")
        .under(&hub)
        .body("First text.")
        .create(&app)
        .await;
    let mut b = app.signed_in("boss@example.com", Role::Admin).await;
    let id = p.id.to_string();
    let hub_id = hub.id.to_string();
    let form = |slug: &str, status: &str, version: &str| -> Vec<(String, String)> {
        [
            ("title", "Alpha"),
            ("slug", slug),
            ("body", "Second text."),
            ("status", status),
            ("version", version),
            ("action", "save"),
            ("parent_id", hub_id.as_str()),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };

    // Edit.
    warm(&app).await;
    b.get(&format!("/admin/pages/{id}/edit")).await;
    b.post(
        &format!("/admin/pages/{id}"),
        &as_refs(&form("a", "published", "1")),
    )
    .await;
    assert!(
        app.get("/hub/a").await.body.contains("Second text."),
        "edit"
    );
    // Unpublish.
    warm(&app).await;
    b.get(&format!("/admin/pages/{id}/edit")).await;
    b.post(
        &format!("/admin/pages/{id}"),
        &as_refs(&form("a", "draft", "2")),
    )
    .await;
    assert_eq!(app.get("/hub/a").await.status, 404, "unpublish");
    assert!(
        !app.get("/hub").await.body.contains("Alpha"),
        "the hub's cards follow"
    );
    // Publish.
    b.get(&format!("/admin/pages/{id}/edit")).await;
    b.post(
        &format!("/admin/pages/{id}"),
        &as_refs(&form("a", "published", "3")),
    )
    .await;
    assert_eq!(app.get("/hub/a").await.status, 200, "publish");
    assert!(app.get("/hub").await.body.contains("Alpha"));
    // Move (slug change).
    warm(&app).await;
    b.get(&format!("/admin/pages/{id}/edit")).await;
    b.post(
        &format!("/admin/pages/{id}"),
        &as_refs(&form("alpha", "published", "4")),
    )
    .await;
    assert_eq!(app.get("/hub/a").await.status, 301, "move");
    assert!(app.get("/hub").await.body.contains("href=\"/hub/alpha\""));
    // Settings.
    warm(&app).await;
    b.get("/admin/settings").await;
    b.post("/admin/settings", &[("site_name", "Renamed site")])
        .await;
    assert!(
        app.get("/hub").await.body.contains("Renamed site"),
        "settings change"
    );
    // Delete.
    warm(&app).await;
    app.get("/hub/alpha").await;
    b.get(&format!("/admin/pages/{id}/delete")).await;
    b.post(&format!("/admin/pages/{id}/delete"), &[]).await;
    assert_eq!(app.get("/hub/alpha").await.status, 410, "delete");
    assert!(!app.get("/hub").await.body.contains("Alpha"));
}

async fn a_draft_is_never_served_from_the_cache(app: TestApp) {
    let p = page("secret", "Secret")
        .body("Public for now.")
        .create(&app)
        .await;
    assert_eq!(app.get("/secret").await.status, 200);
    assert!(
        app.state.page_cache.get("secret", stamp(&app)).is_some(),
        "cached while public"
    );
    // Made a draft behind the app's back (another instance, the CLI): once the snapshot follows,
    // the page is gone, cached or not.
    let input = pages::PageInput {
        status: pages::Status::Draft,
        ..p.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, p.id, &input, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    assert_eq!(app.get("/secret").await.status, 404);
    // Even with the cache filled under the current stamp, a hidden page is never looked up in it.
    let validators = galley::caches::Validators::new(stamp(&app), p.id, galley::clock::now());
    let entry = std::sync::Arc::new(galley::caches::Entry::new("LEAK", validators));
    app.state.page_cache.put("secret", stamp(&app), entry);
    let res = app.get("/secret").await;
    assert_eq!(res.status, 404);
    assert!(!res.body.contains("LEAK"));
}

fn stamp(app: &TestApp) -> galley::stamp::Stamp {
    app.state.site.current().stamp(galley::clock::now())
}

async fn scheduled_pages_appear_in_cached_listings(app: TestApp) {
    let hub = page("news", "News").create(&app).await;
    page("soon", "Soon item")
        .under(&hub)
        .scheduled(in_seconds(2))
        .create(&app)
        .await;
    assert!(!app.get("/news").await.body.contains("Soon item"));
    std::thread::sleep(std::time::Duration::from_millis(2300));
    assert!(
        app.get("/news").await.body.contains("Soon item"),
        "the cached hub is not served past a publication time"
    );
}

async fn cache_is_bounded(app: TestApp) {
    let config = Config {
        page_cache_mb: 1,
        ..Config::for_database("")
    };
    let app = TestApp::with_config(app.db.sibling(), config).await;
    // Scrambled words: the cache stores pages compressed, and repeated text would shrink to nothing.
    let mut seed: u64 = 42;
    let mut words = || {
        (0..15_000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let n = (seed >> 33) as usize;
                (0..3 + n % 6)
                    .map(|k| char::from(b'a' + ((n >> (k * 4)) % 26) as u8))
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    for i in 0..30 {
        page(&format!("p{i}"), &format!("Page {i}"))
            .body(&words())
            .create(&app)
            .await;
    }
    for i in 0..30 {
        let res = app.get(&format!("/p{i}")).await;
        assert!(res.body.contains(&format!("Page {i}")));
        assert!(
            app.state.page_cache.bytes() <= 1024 * 1024,
            "never above its budget"
        );
    }
    assert!(app.state.page_cache.len() < 30, "older pages were evicted");
    assert!(!app.state.page_cache.is_empty());
    let off = TestApp::with_config(
        app.db.sibling(),
        Config {
            page_cache_mb: 0,
            ..Config::for_database("")
        },
    )
    .await;
    page("x", "X").create(&off).await;
    assert_eq!(off.get("/x").await.status, 200);
    assert!(off.state.page_cache.is_empty(), "0 turns the cache off");
}

async fn another_instance_sees_changes_within_a_second(app: TestApp) {
    let p = page("shared", "Shared")
        .body("Version one.")
        .create(&app)
        .await;
    // A second instance on the same database, following changes as `serve` does.
    let other = TestApp::attach(&app).await;
    actix_web::rt::spawn(galley::app::follow_content_changes(other.state.clone()));
    assert!(other.get("/shared").await.body.contains("Version one."));
    let input = pages::PageInput {
        body_md: "Version two.".into(),
        ..p.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, p.id, &input, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        other.get("/shared").await.body.contains("Version two."),
        "within a second (plus a query)"
    );
}

async fn warm(app: &TestApp) {
    for path in ["/hub", "/hub/a", "/"] {
        app.get(path).await;
    }
    assert!(!app.state.page_cache.is_empty(), "pages are cached");
}

fn as_refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
