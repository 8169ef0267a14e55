//! First start and every start: migrations, the first admin, demo content, re-rendering.

use diesel::prelude::*;
use galley::content::pages;
use galley::db::schema::pages as pages_table;
use galley::site::bootstrap;

use crate::common::TestApp;
use crate::db_tests;

db_tests!(
    first_start_creates_admin_and_demo_once,
    stale_renderings_are_refreshed_at_start,
    upgrading_an_older_schema_keeps_every_page
);

async fn first_start_creates_admin_and_demo_once(app: TestApp) {
    // `app` was started without demo content; a fresh database with it:
    let app = TestApp::start(app.db.sibling(), true).await;
    let users = app
        .with_conn(|c| galley::accounts::users::list(c).unwrap())
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
    let count = app.with_conn(|c| pages::count(c).unwrap()).await;
    app.with_conn(|c| {
        diesel::delete(pages_table::table.filter(pages_table::path.eq("about")))
            .execute(c)
            .unwrap()
    })
    .await;
    let config = app.config.clone();
    let report = app
        .with_conn(move |c| bootstrap::prepare(c, &config).unwrap())
        .await;
    assert!(report.new_admin.is_none());
    assert_eq!(report.demo_pages, 0);
    assert_eq!(report.migrations, 0);
    assert_eq!(app.with_conn(|c| pages::count(c).unwrap()).await, count - 1);
    assert_eq!(
        app.with_conn(|c| galley::accounts::users::count(c).unwrap())
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
    app.with_conn(move |c| {
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
        .with_conn(move |c| bootstrap::prepare(c, &config).unwrap())
        .await;
    assert_eq!(report.rerendered, 1);
    app.state.refresh().await.unwrap();
    let body = app.get("/old").await.body;
    assert!(body.contains("<strong>new</strong>"));
    assert!(!body.contains("<script>alert"));
}

/// A site made before the later migrations (SQLite's `pages` rebuild in 000006, the plain-text
/// column of 000007) comes through the upgrade whole: pages, revisions, links, the search index,
/// the id sequence, and foreign keys that still hold.
async fn upgrading_an_older_schema_keeps_every_page(app: TestApp) {
    let db = app.db.sibling();
    let pool = galley::db::connect(db.url(), 2).expect("pool");
    let p = pool.clone();
    actix_web::web::block(move || {
        let c = &mut p.get().unwrap();
        assert_eq!(galley::db::migrate_through(c, "2026-11-21-000005").unwrap(), 5);
        for sql in [
            "INSERT INTO pages (parent_id, slug, path, title, summary, body_md, body_html, \
             renderer_version, status, publish_at, in_nav, created_at, updated_at, search_title, \
             search_body) VALUES (NULL, 'hub', 'hub', 'Hub', 'The hub', 'Hub text.', \
             '<p>Hub text.</p>', 1, 'published', '2026-01-01 00:00:00', TRUE, \
             '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'hub', 'hub text')",
            "INSERT INTO pages (parent_id, slug, path, title, summary, body_md, body_html, \
             renderer_version, status, publish_at, in_nav, created_at, updated_at, search_title, \
             search_body, faq_json) VALUES ((SELECT id FROM pages WHERE path = 'hub'), 'zebra', 'hub/zebra', 'Zebra crossings', 'Stripes', \
             'Striped **quagga** notes, see [the hub](/hub).\n\n## FAQ\n\n### Do zebras cross?\n\nAt stripes.', \
             '<p>old</p>', 1, 'published', \
             '2026-01-01 00:00:00', FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00', \
             'zebra crossings', 'striped quagga notes see the hub', \
             '[{\"question\":\"Do zebras cross?\",\"answer\":\"At stripes.\"}]')",
            "INSERT INTO page_revisions (page_id, version, title, slug, summary, body_md, status, \
             created_at) VALUES (2, 1, 'Zebra crossings', 'zebra', 'Stripes', 'Striped', \
             'published', '2026-01-01 00:00:00')",
            "INSERT INTO page_links (from_id, to_path) VALUES (2, 'hub')",
            // A page deleted before the upgrade: its id must not be handed out again.
            "INSERT INTO pages (slug, path, title, body_md, body_html, renderer_version, status, \
             created_at, updated_at) VALUES ('gone', 'gone', 'Gone', '', '', 1, 'draft', \
             '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            "DELETE FROM pages WHERE path = 'gone'",
        ] {
            diesel::sql_query(sql).execute(c).unwrap();
        }
    })
    .await
    .unwrap();
    drop(pool);

    // The rest of the migrations and the start-up re-render, as `galley serve` runs them.
    let app = TestApp::start(db, false).await;
    let page = app.get("/hub/zebra").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<strong>quagga</strong>"),
        "re-rendered from its Markdown"
    );
    // The FAQ was stored in an older form: re-rendering stores it as schema.org JSON-LD.
    let graph = page.json_ld()["@graph"].clone();
    let faq = graph
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@type"] == "FAQPage")
        .expect("FAQPage");
    assert_eq!(faq["mainEntity"][0]["name"], "Do zebras cross?");
    assert_eq!(
        faq["mainEntity"][0]["acceptedAnswer"]["text"],
        "At stripes."
    );
    assert!(
        app.get("/hub").await.body.contains("Zebra crossings"),
        "still the hub's child"
    );
    let found = app.get("/search?q=quagga").await;
    assert!(found.body.contains("href=\"/hub/zebra\""), "still indexed");
    assert!(found.body.contains("<mark>quagga</mark>"), "with a snippet");
    let (revisions, links) = app
        .with_conn(|c| {
            let revisions: i64 = galley::db::schema::page_revisions::table
                .count()
                .get_result(c)
                .unwrap();
            let links: i64 = galley::db::schema::page_links::table
                .count()
                .get_result(c)
                .unwrap();
            (revisions, links)
        })
        .await;
    assert_eq!((revisions, links), (1, 1));
    if let galley::db::DbConnection::Sqlite(_) = &mut *app.pool().get().unwrap() {
        #[derive(QueryableByName)]
        struct Problem {
            #[diesel(sql_type = diesel::sql_types::Text)]
            #[allow(dead_code)]
            table: String,
        }
        let problems: Vec<Problem> = app
            .with_conn(|c| {
                diesel::sql_query("PRAGMA foreign_key_check")
                    .load(c)
                    .unwrap()
            })
            .await;
        assert!(problems.is_empty(), "foreign keys hold");
    }
    // The id sequence carried over: a new page does not take a deleted page's id (3).
    let newer = crate::common::fixtures::page("newer", "Newer")
        .create(&app)
        .await;
    assert_eq!(newer.id, 4);
}
