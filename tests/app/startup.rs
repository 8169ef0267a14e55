//! First start and every start: migrations, the first admin, demo content, re-rendering.

use diesel::prelude::*;
use galley::content::pages;
use galley::db::schema::pages as pages_table;
use galley::site::bootstrap;

use crate::common::TestApp;
use crate::db_tests;

db_tests!(
    first_start_creates_admin_and_demo_once,
    stale_renderings_are_refreshed_at_start
);

async fn first_start_creates_admin_and_demo_once(app: TestApp) {
    // `app` was started without demo content; a fresh database with it:
    let app = TestApp::start(app.db.sibling(), true).await;
    let users = app
        .read(|c| galley::accounts::users::list(c).unwrap())
        .await;
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0].email.as_str(), users[0].role.as_str()),
        ("admin@example.com", "admin")
    );
    assert!(users[0].password_hash.starts_with("$argon2id$"));

    let home = app.get("/").await;
    assert_eq!(home.status, 200);
    let glossary = app.get("/glossary").await;
    assert_eq!(glossary.status, 200);
    assert!(
        glossary.body.matches("class=\"card\"").count() >= 6,
        "a glossary of at least six entries"
    );
    let faq_pages = [
        "/glossary/markdown",
        "/glossary/slug",
        "/glossary/canonical-url",
        "/glossary/sitemap",
    ];
    let with_faq = futures_count(&app, &faq_pages).await;
    assert!(with_faq >= 2, "several entries have an FAQ section");
    let guide = app.get("/guide").await;
    assert!(
        guide.body.matches("class=\"card\"").count() >= 3,
        "a guided path of three or more pages"
    );
    let step = app.get("/guide/write-pages").await;
    assert!(step.body.contains("rel=\"prev\"") && step.body.contains("rel=\"next\""));
    for path in ["/about", "/contact"] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }

    // A second start neither re-creates the admin nor re-seeds deleted demo pages.
    let count = app.read(|c| pages::count(c).unwrap()).await;
    app.read(|c| {
        diesel::delete(pages_table::table.filter(pages_table::path.eq("about")))
            .execute(c)
            .unwrap()
    })
    .await;
    let config = app.config.clone();
    let report = app
        .read(move |c| bootstrap::prepare(c, &config).unwrap())
        .await;
    assert!(report.new_admin.is_none());
    assert_eq!(report.demo_pages, 0);
    assert_eq!(report.migrations, 0);
    assert_eq!(app.read(|c| pages::count(c).unwrap()).await, count - 1);
    assert_eq!(
        app.read(|c| galley::accounts::users::count(c).unwrap())
            .await,
        1
    );
}

async fn futures_count(app: &TestApp, paths: &[&str]) -> usize {
    let mut n = 0;
    for p in paths {
        let ld = app.get(p).await.json_ld();
        if ld["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["@type"] == "FAQPage")
        {
            n += 1;
        }
    }
    n
}

async fn stale_renderings_are_refreshed_at_start(app: TestApp) {
    let p = crate::common::fixtures::page("old", "Old")
        .body("## A\n\n**new** text")
        .create(&app)
        .await;
    // Pretend an older renderer stored unsafe output.
    app.read(move |c| {
        diesel::update(pages_table::table.find(p.id))
            .set((
                pages_table::body_html.eq("<script>alert(1)</script>"),
                pages_table::renderer_version.eq(0),
            ))
            .execute(c)
            .unwrap()
    })
    .await;
    let config = app.config.clone();
    let report = app
        .read(move |c| bootstrap::prepare(c, &config).unwrap())
        .await;
    assert_eq!(report.rerendered, 1);
    app.state.refresh().await.unwrap();
    let body = app.get("/old").await.body;
    assert!(body.contains("<strong>new</strong>"));
    assert!(!body.contains("<script>alert"));
}
