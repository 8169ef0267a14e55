//! What search engines and feed readers see: head tags, sitemaps, robots.txt, the Atom feed.

use crate::common::TestApp;
use crate::common::fixtures::page;
use crate::db_tests;

db_tests!(head_tags, sitemap_and_robots, atom_feed);

async fn head_tags(app: TestApp) {
    let hub = page("guide", "Guide").create(&app).await;
    page("install", "Install galley")
        .under(&hub)
        .summary("How to install it.")
        .create(&app)
        .await;
    let body = app.get("/guide/install").await.body;
    for tag in [
        "<title>Install galley · galley</title>",
        "<meta name=\"description\" content=\"How to install it.\">",
        "<link rel=\"canonical\" href=\"http://galley.test/guide/install\">",
        "<meta property=\"og:title\" content=\"Install galley\">",
        "<meta property=\"og:url\" content=\"http://galley.test/guide/install\">",
        "<meta name=\"twitter:card\" content=\"summary\">",
        "<link rel=\"alternate\" type=\"application/atom+xml\"",
        "<a class=\"skip-link\" href=\"#main\">",
        "<main id=\"main\"",
        "<html lang=\"en\">",
    ] {
        assert!(body.contains(tag), "missing {tag}");
    }
}

async fn sitemap_and_robots(app: TestApp) {
    let hub = page("glossary", "Glossary").create(&app).await;
    page("slug", "Slug").under(&hub).create(&app).await;
    page("draft", "Draft")
        .under(&hub)
        .draft()
        .create(&app)
        .await;
    page("", "Home").create(&app).await;

    let index = app.get("/sitemap.xml").await;
    assert_eq!(index.status, 200);
    assert!(index.header("content-type").starts_with("application/xml"));
    assert!(
        index
            .body
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    assert!(
        index
            .body
            .contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
    );
    assert!(
        index
            .body
            .contains("<loc>http://galley.test/sitemaps/1.xml</loc>")
    );
    assert!(!index.body.contains("sitemaps/2.xml"));

    let map = app.get("/sitemaps/1.xml").await;
    assert_eq!(map.status, 200);
    for loc in [
        "http://galley.test/",
        "http://galley.test/glossary",
        "http://galley.test/glossary/slug",
    ] {
        assert!(
            map.body.contains(&format!("<loc>{loc}</loc><lastmod>")),
            "{loc} missing"
        );
    }
    assert!(!map.body.contains("/glossary/draft"));
    assert_eq!(map.body.matches("<url>").count(), 3);
    let lastmod_start = map.body.find("<lastmod>").unwrap() + 9;
    let lastmod = &map.body[lastmod_start..lastmod_start + 20];
    assert!(
        chrono::DateTime::parse_from_rfc3339(lastmod).is_ok(),
        "lastmod {lastmod:?} is W3C date-time"
    );
    assert_eq!(app.get("/sitemaps/2.xml").await.status, 404);
    assert_eq!(app.get("/sitemaps/x.xml").await.status, 404);

    let robots = app.get("/robots.txt").await;
    assert!(robots.header("content-type").starts_with("text/plain"));
    assert!(
        robots
            .body
            .contains("Sitemap: http://galley.test/sitemap.xml")
    );
    assert!(robots.body.contains("Disallow: /admin"));
}

async fn atom_feed(app: TestApp) {
    let hub = page("news", "News").create(&app).await;
    page("first", "First post")
        .under(&hub)
        .summary("The first one.")
        .body("Hello **feed**.")
        .create(&app)
        .await;
    page("hidden", "Hidden post")
        .under(&hub)
        .draft()
        .create(&app)
        .await;
    let res = app.get("/feed.xml").await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .starts_with("application/atom+xml")
    );
    let feed = res.body;
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(feed.contains(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"http://galley.test/feed.xml\"/>"
    ));
    assert!(feed.contains("<title>First post</title>"));
    assert!(feed.contains("<id>http://galley.test/news/first</id>"));
    assert!(feed.contains("<summary>The first one.</summary>"));
    assert!(
        feed.contains("&#60;strong&#62;feed&#60;/strong&#62;")
            || feed.contains("&lt;strong&gt;feed&lt;/strong&gt;"),
        "content is escaped HTML: {feed}"
    );
    assert!(!feed.contains("Hidden post"));
    // The most recently changed page comes first.
    assert!(
        feed.find("<title>First post</title>").unwrap() < feed.find("<title>News</title>").unwrap()
    );
}
