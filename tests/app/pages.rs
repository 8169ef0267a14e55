//! What visitors see of pages: paths and hierarchy, visibility, sanitising, escaping, 404s.

use actix_web::test::TestRequest;
use galley::accounts::users::Role;

use crate::common::TestApp;
use crate::common::fixtures::{in_seconds, page};
use crate::db_tests;

db_tests!(
    path_lookup_and_hierarchy,
    drafts_and_future_pages_are_hidden_everywhere,
    scheduled_page_goes_live_at_its_time_without_a_job,
    a_page_leaves_at_its_unpublish_time_without_a_job,
    the_unpublish_time_is_checked_and_kept,
    markdown_never_delivers_script,
    titles_and_summaries_are_escaped,
    faq_and_breadcrumb_json_ld,
    unknown_pages_get_a_helpful_404,
    home_page_choice,
    headers_compression_and_assets,
    server_errors_reveal_nothing,
    big_hubs_list_nearby_pages,
);

async fn path_lookup_and_hierarchy(app: TestApp) {
    let hub = page("glossary", "Glossary")
        .in_nav()
        .body("## Terms\n\nAll the words.")
        .create(&app)
        .await;
    let b = page("beta", "Beta")
        .under(&hub)
        .order(2)
        .summary("Second letter.")
        .create(&app)
        .await;
    page("alpha", "Alpha")
        .under(&hub)
        .order(1)
        .summary("First letter.")
        .create(&app)
        .await;
    page("gamma", "Gamma")
        .under(&hub)
        .order(3)
        .create(&app)
        .await;
    page("deep", "Deep page").under(&b).create(&app).await;
    assert_eq!(b.path, "glossary/beta");

    let res = app.get("/glossary").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("All the words."));
    let (a, bb, g) = (
        res.body.find("href=\"/glossary/alpha\"").unwrap(),
        res.body.find("href=\"/glossary/beta\"").unwrap(),
        res.body.find("href=\"/glossary/gamma\"").unwrap(),
    );
    assert!(a < bb && bb < g, "children are listed in navigation order");
    assert!(
        res.body.contains("Second letter."),
        "cards carry the summary"
    );
    assert!(
        res.body
            .contains("<a href=\"/glossary\" aria-current=\"page\">Glossary</a>"),
        "hub in the main navigation"
    );

    let res = app.get("/glossary/beta").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<h1>Beta</h1>"));
    assert!(
        res.body.contains("rel=\"prev\" href=\"/glossary/alpha\""),
        "previous in the guided path"
    );
    assert!(
        res.body.contains("rel=\"next\" href=\"/glossary/gamma\""),
        "next in the guided path"
    );
    assert!(
        res.body.contains("<span aria-current=\"page\">Beta</span>"),
        "hub's page list marks the current page"
    );
    assert!(res.body.contains("Last updated <time datetime=\""));
    let crumbs = &res.body[res.body.find("aria-label=\"Breadcrumb\"").unwrap()..];
    assert!(crumbs.find("href=\"/\"").unwrap() < crumbs.find("href=\"/glossary\"").unwrap());
    assert!(
        res.body.contains("href=\"/glossary/beta/deep\""),
        "a page with children lists them"
    );

    assert_eq!(app.get("/glossary/beta/deep").await.status, 200);
    assert_eq!(
        app.get("/beta").await.status,
        404,
        "a page lives only at its full path"
    );
    let res = app.get("/glossary/beta/").await;
    assert_eq!(res.status, 301);
    assert_eq!(res.header("location"), "/glossary/beta");
}

async fn drafts_and_future_pages_are_hidden_everywhere(app: TestApp) {
    let hub = page("docs", "Docs").in_nav().create(&app).await;
    page("public", "Public page").under(&hub).create(&app).await;
    page("secret", "Secret draft")
        .under(&hub)
        .draft()
        .create(&app)
        .await;
    page("later", "Future page")
        .under(&hub)
        .scheduled(in_seconds(3600))
        .create(&app)
        .await;
    let hidden_hub = page("hidden", "Hidden hub")
        .in_nav()
        .draft()
        .create(&app)
        .await;
    page("inside", "Inside hidden")
        .under(&hidden_hub)
        .create(&app)
        .await;

    for path in ["/docs/secret", "/docs/later", "/hidden", "/hidden/inside"] {
        assert_eq!(app.get(path).await.status, 404, "{path} must be hidden");
    }
    assert_eq!(app.get("/docs/public").await.status, 200);
    for listing in [
        "/docs",
        "/",
        "/sitemaps/1.xml",
        "/feed.xml",
        "/docs/public",
        "/no-such-page",
    ] {
        let body = app.get(listing).await.body;
        for hidden in [
            "Secret draft",
            "Future page",
            "Hidden hub",
            "Inside hidden",
            "/docs/secret",
            "/docs/later",
        ] {
            assert!(!body.contains(hidden), "{hidden} leaked into {listing}");
        }
    }
    // Without a home page, `/` lists the sections as cards under the site's name.
    let home = app.get("/").await.body;
    assert!(
        home.contains("<h2><a href=\"/docs\">Docs</a></h2>"),
        "{home}"
    );
    let docs = app.get("/docs").await.body;
    assert!(docs.contains("<h3><a href=\"/docs/public\">Public page</a></h3>"));
}

async fn scheduled_page_goes_live_at_its_time_without_a_job(app: TestApp) {
    page("soon", "Soon")
        .scheduled(in_seconds(2))
        .create(&app)
        .await;
    assert_eq!(app.get("/soon").await.status, 404);
    assert!(!app.get("/sitemaps/1.xml").await.body.contains("/soon"));
    // Nothing reloads or republishes in between: only the clock moves.
    std::thread::sleep(std::time::Duration::from_millis(2300));
    assert_eq!(app.get("/soon").await.status, 200);
    assert!(app.get("/sitemaps/1.xml").await.body.contains("/soon"));
}

/// `unpublish_at`: the page (and a hub's pages with it) disappears at that time, from the page,
/// the hub's list, the sitemap and the search, cached copies included, with no job.
async fn a_page_leaves_at_its_unpublish_time_without_a_job(app: TestApp) {
    let hub = page("offers", "Offers")
        .until(in_seconds(2))
        .create(&app)
        .await;
    page("winter-sale", "Winter sale")
        .under(&hub)
        .body("Everything must go.")
        .create(&app)
        .await;
    page("kept", "Kept").create(&app).await;
    assert_eq!(app.get("/offers").await.status, 200);
    assert_eq!(
        app.get("/offers/winter-sale").await.status,
        200,
        "cached now"
    );
    assert!(
        app.get("/sitemaps/1.xml")
            .await
            .body
            .contains("/offers/winter-sale")
    );
    assert!(app.get("/search?q=sale").await.body.contains("Winter sale"));
    std::thread::sleep(std::time::Duration::from_millis(2300));
    assert_eq!(app.get("/offers").await.status, 404);
    assert_eq!(
        app.get("/offers/winter-sale").await.status,
        404,
        "with its hub"
    );
    let sitemap = app.get("/sitemaps/1.xml").await.body;
    assert!(!sitemap.contains("/offers") && sitemap.contains("/kept"));
    assert!(!app.get("/search?q=sale").await.body.contains("Winter sale"));
    assert!(!app.get("/feed.xml").await.body.contains("Winter sale"));
}

async fn the_unpublish_time_is_checked_and_kept(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    b.get("/admin/pages/new").await;
    let fields = |unpublish: &'static str| {
        [
            ("title", "Event"),
            ("slug", "event"),
            ("status", "scheduled"),
            ("publish_at", "2030-05-01T09:00"),
            ("unpublish_at", unpublish),
            ("action", "save"),
        ]
    };
    let res = b.post("/admin/pages", &fields("2030-04-30T09:00")).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"unpublish_at-error\""));
    assert!(res.body.contains("value=\"2030-04-30T09:00\""), "kept");
    let res = b.post("/admin/pages", &fields("nonsense")).await;
    assert_eq!(res.status, 422);
    let res = b.post("/admin/pages", &fields("2030-05-02T18:00")).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = app
        .with_conn(|c| {
            galley::content::pages::find_by_path(c, "event")
                .unwrap()
                .unwrap()
        })
        .await;
    assert_eq!(
        page.unpublish_at
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string()),
        Some("2030-05-02T18:00".into())
    );
    let exported = galley::content::export::to_file(&page);
    assert!(
        exported.contains("unpublish_at = \"2030-05-02T18:00:00Z\""),
        "{exported}"
    );
}

async fn markdown_never_delivers_script(app: TestApp) {
    let md = "Hello **world**.\n\n<script>alert('x')</script>\n\n<img src=\"x.png\" onerror=\"alert(1)\">\n\n\
              [click](javascript:alert(2))\n\n<a href=\"JaVaScRiPt:alert(3)\">again</a>\n\n\
              <p onclick=\"alert(4)\">para</p>\n\n<svg><script>alert(5)</script></svg>\n\n\
              [ok](https://example.com/page)\n";
    page("xss", "XSS").body(md).create(&app).await;
    let res = app.get("/xss").await;
    assert_eq!(res.status, 200);
    let main = &res.body[res.body.find("<main").unwrap()..];
    let lower = main.to_lowercase();
    for bad in ["<script", "onerror", "onclick", "javascript:", "alert("] {
        assert!(!lower.contains(bad), "{bad} reached the visitor");
    }
    assert!(
        main.contains("<strong>world</strong>"),
        "Markdown still renders"
    );
    assert!(
        main.contains("href=\"https://example.com/page\""),
        "safe links survive"
    );
}

async fn titles_and_summaries_are_escaped(app: TestApp) {
    let hub = page("esc", "<b>Bold</b> & \"quoted\"")
        .summary("<script>alert(1)</script> summary")
        .body("Plain body.")
        .in_nav()
        .create(&app)
        .await;
    page("child", "<i>child</i>")
        .under(&hub)
        .body("Plain body.")
        .create(&app)
        .await;
    // Pages, the 404 page and search list the hub and its child: in navigation, breadcrumbs,
    // cards and hub lists; the feed carries them too.
    for path in [
        "/esc",
        "/esc/child",
        "/",
        "/no-such-page",
        "/search?q=nothing-matches-this",
        "/feed.xml",
    ] {
        let res = app.get(path).await;
        for raw in ["<b>Bold</b>", "<script>alert(1)", "<i>child</i>"] {
            if let Some(i) = res.body.find(raw) {
                panic!(
                    "{raw} unescaped on {path}: ...{}...",
                    &res.body[i.saturating_sub(80)..i + 40]
                );
            }
        }
        // Titles in the navigation, breadcrumbs and cards are escaped once, not twice.
        for twice in ["&#38;#", "&amp;#", "&#38;amp;", "&amp;amp;", "&amp;lt;"] {
            assert!(!res.body.contains(twice), "{twice} on {path}");
        }
    }
    let hub_page = app.get("/esc").await.body;
    let child_link = hub_page
        .split("href=\"/esc/child\">")
        .nth(1)
        .and_then(|rest| rest.split("</a>").next())
        .expect("the hub links to its child");
    assert!(
        child_link == "&#60;i&#62;child&#60;/i&#62;" || child_link == "&lt;i&gt;child&lt;/i&gt;",
        "{child_link}"
    );
    let res = app.get("/esc").await;
    assert!(
        res.body
            .contains("<h1>&#60;b&#62;Bold&#60;/b&#62; &#38; &#34;quoted&#34;</h1>")
            || res
                .body
                .contains("<h1>&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;</h1>"),
        "{}",
        res.body
    );
    assert_eq!(
        res.json_ld()["@graph"][0]["name"],
        "<b>Bold</b> & \"quoted\"",
        "JSON-LD keeps the text, safely"
    );
    let feed = app.get("/feed.xml").await.body;
    assert!(!feed.contains("<title><b>"), "feed titles are escaped");
}

async fn faq_and_breadcrumb_json_ld(app: TestApp) {
    let hub = page("glossary", "Glossary").create(&app).await;
    let body = "Intro.\n\n## Frequently asked questions\n\n### What is a slug?\n\nThe last part of a URL.\n\n\
                ### Can it change?\n\nYes, with a redirect.\n\n### Is `</script>` safe?\n\nYes & always.\n\n\
                ## See also\n\nMore.\n";
    page("slug", "Slug")
        .under(&hub)
        .body(body)
        .create(&app)
        .await;
    let ld = app.get("/glossary/slug").await.json_ld();
    assert_eq!(ld["@context"], "https://schema.org");
    let graph = ld["@graph"].as_array().unwrap();
    let crumbs = graph
        .iter()
        .find(|n| n["@type"] == "BreadcrumbList")
        .expect("BreadcrumbList");
    let items = crumbs["itemListElement"].as_array().unwrap();
    let names: Vec<_> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Home", "Glossary", "Slug"]);
    assert_eq!(items[1]["item"], "http://galley.test/glossary");
    assert_eq!(items[2]["position"], 3);
    let faq = graph
        .iter()
        .find(|n| n["@type"] == "FAQPage")
        .expect("FAQPage");
    let q = faq["mainEntity"].as_array().unwrap();
    assert_eq!(q.len(), 3);
    assert_eq!(q[0]["name"], "What is a slug?");
    // Markup in a question is text here, and cannot close the script element.
    assert_eq!(q[2]["name"], "Is </script> safe?");
    assert_eq!(q[2]["acceptedAnswer"]["text"], "Yes & always.");
    assert_eq!(q[0]["acceptedAnswer"]["text"], "The last part of a URL.");
    assert_eq!(q[1]["acceptedAnswer"]["text"], "Yes, with a redirect.");

    let ld = app.get("/glossary").await.json_ld();
    let graph = ld["@graph"].as_array().unwrap();
    assert!(
        graph.iter().any(|n| n["@type"] == "BreadcrumbList"),
        "every page has breadcrumbs"
    );
    assert!(
        !graph.iter().any(|n| n["@type"] == "FAQPage"),
        "no FAQ without questions"
    );
}

async fn unknown_pages_get_a_helpful_404(app: TestApp) {
    let hub = page("guide", "The Guide").in_nav().create(&app).await;
    page("step", "Step").under(&hub).create(&app).await;
    // Paths beside the fixed-prefix routes are page paths too: a 404 page, never an error.
    for path in [
        "/nothing-here",
        "/guide/missing",
        "/a/b/c/d",
        "/%3Cscript%3E",
        "/static",
        "/sitemaps/1/extra",
        "/account/set-password",
        "/admin/nothing",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(res.header("content-type").starts_with("text/html"));
        assert!(res.body.contains("Page not found"));
        assert!(res.body.contains("href=\"/\""), "offers the home page");
        assert!(
            res.body.contains("<a href=\"/guide\">The Guide</a>"),
            "offers the hubs"
        );
        assert!(
            res.body.contains("class=\"site-header\""),
            "in the site's layout"
        );
        assert!(!res.body.contains("<script>"), "{path} reflected unescaped");
    }
    let res = app.request(TestRequest::post().uri("/guide")).await;
    assert_eq!(res.status, 405);
    assert!(res.body.contains("Method not allowed"));
    assert_eq!(res.header("allow"), "GET, HEAD");
    // Percent-escaped letters name the same page.
    let res = app.get("/%67uide/st%65p").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<h1>Step</h1>"));
}

async fn home_page_choice(app: TestApp) {
    // No home page: a listing of the top-level sections.
    let hub = page("docs", "Docs")
        .summary("All the docs.")
        .create(&app)
        .await;
    page("one", "One").under(&hub).create(&app).await;
    let res = app.get("/").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("href=\"/docs\"") && res.body.contains("All the docs."));

    // A page with the empty path becomes the home page.
    page("", "Welcome home")
        .body("Hello from home.")
        .create(&app)
        .await;
    let res = app.get("/").await;
    assert!(res.body.contains("Hello from home."));
    assert!(
        res.body
            .contains("<link rel=\"canonical\" href=\"http://galley.test/\">")
    );

    // A page chosen in the settings wins.
    let about = page("about", "About us")
        .body("About body.")
        .create(&app)
        .await;
    app.with_conn_then_refresh(move |c| {
        let s = galley::snapshot::settings::Settings {
            home_page_id: Some(about.id),
            ..galley::snapshot::settings::Settings::load(c).unwrap()
        };
        s.save(c).unwrap()
    })
    .await;
    assert!(app.get("/").await.body.contains("About body."));
}

async fn headers_compression_and_assets(app: TestApp) {
    page("p", "P").create(&app).await;
    let res = app.get("/p").await;
    let csp = res.header("content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(res.header("x-content-type-options"), "nosniff");
    assert!(!res.header("referrer-policy").is_empty());
    assert!(
        !res.body.contains("<script>") && !res.body.contains("style=\""),
        "no inline script or style"
    );

    let res = app
        .request(
            TestRequest::get()
                .uri("/p")
                .insert_header(("accept-encoding", "gzip")),
        )
        .await;
    assert_eq!(res.header("content-encoding"), "gzip");

    let css = res_asset_url(&app.get("/login").await.body);
    let res = app.get(&css).await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").starts_with("text/css"));
    assert!(res.header("cache-control").contains("max-age=31536000"));
    let etag = res.header("etag").to_owned();
    let res = app
        .request(
            TestRequest::get()
                .uri(&css)
                .insert_header(("if-none-match", etag)),
        )
        .await;
    assert_eq!(res.status, 304);
    assert_eq!(app.get("/static/nope.css").await.status, 404);

    assert_eq!(app.get("/healthz").await.status, 200);
    let ready = app.get("/readyz").await;
    assert_eq!(
        (ready.status.as_u16(), ready.body.as_str()),
        (200, "ready\n")
    );
}

fn res_asset_url(body: &str) -> String {
    let start = body.find("/static/css/site.css?v=").unwrap();
    let end = start + body[start..].find('"').unwrap();
    body[start..end].to_owned()
}

async fn server_errors_reveal_nothing(app: TestApp) {
    page("fragile", "Fragile").create(&app).await;
    // The page is in the in-memory tree, but its table is gone: the lookup fails.
    app.with_conn(|c| {
        use diesel::RunQueryDsl;
        diesel::sql_query("ALTER TABLE pages RENAME TO pages_gone")
            .execute(c)
            .unwrap()
    })
    .await;
    let res = app.get("/fragile").await;
    assert_eq!(res.status, 500);
    assert!(res.body.contains("Something went wrong"));
    assert!(
        res.body.contains("class=\"site-header\""),
        "in the site's layout"
    );
    for secret in ["pages", "table", "relation", "diesel", "SQL", "sql"] {
        assert!(
            !res.body.contains(&format!(" {secret}")),
            "the 500 page mentions {secret}"
        );
    }
    assert_eq!(res.header("cache-control"), "no-store");
}

async fn big_hubs_list_nearby_pages(app: TestApp) {
    let hub = page("big", "Big hub").create(&app).await;
    for i in 0..30 {
        page(&format!("p{i:02}"), &format!("Entry {i:02}"))
            .under(&hub)
            .order(i)
            .create(&app)
            .await;
    }
    let body = app.get("/big/p20").await.body;
    let aside = &body[body.find("class=\"hub-nav\"").unwrap()..];
    assert_eq!(
        aside.matches("<li>").count(),
        15,
        "a window of pages, not all thirty"
    );
    assert!(aside.contains("Entry 20") && aside.contains("Entry 13") && aside.contains("Entry 27"));
    assert!(aside.contains("<a href=\"/big\">All 30 pages in Big hub</a>"));
    assert!(
        body.contains("rel=\"prev\" href=\"/big/p19\"")
            && body.contains("rel=\"next\" href=\"/big/p21\"")
    );
    let first = app.get("/big/p00").await.body;
    let aside = &first[first.find("class=\"hub-nav\"").unwrap()..];
    assert!(
        aside.contains("Entry 00") && aside.contains("Entry 14") && !aside.contains("Entry 15")
    );
}
