//! Site search on both backends: ranking, phrases, prefixes, accents, hostile input, visibility,
//! and an index that follows every change.

use galley::content::{pages, saving};

use crate::common::TestApp;
use crate::common::fixtures::{in_seconds, page};
use crate::db_tests;

db_tests!(
    ranking_phrases_prefixes_and_accents,
    hostile_and_empty_queries_are_safe,
    only_visible_pages_are_found,
    the_index_follows_edits_moves_and_deletes,
    snippets_are_escaped_and_highlighted,
    missing_pages_suggest_search_results,
    admin_list_uses_the_same_search,
);

/// The result titles of a search, in order.
async fn titles(app: &TestApp, q: &str) -> Vec<String> {
    let body = app
        .get(&format!(
            "/search?{}",
            serde_urlencoded::to_string([("q", q)]).unwrap()
        ))
        .await
        .body;
    body.split("<h2><a href=\"")
        .skip(1)
        .map(|s| {
            let start = s.find("\">").unwrap() + 2;
            s[start..start + s[start..].find("</a>").unwrap()].to_owned()
        })
        .collect()
}

async fn ranking_phrases_prefixes_and_accents(app: TestApp) {
    page("body-hit", "Gardening notes")
        .body("Compost and the orchard: an orchard needs orchard care, orchard orchard.")
        .create(&app)
        .await;
    page("title-hit", "Orchard")
        .body("Trees in rows.")
        .create(&app)
        .await;
    page("cafe", "Café culture")
        .body("Le café crème est servi à Zürich.")
        .create(&app)
        .await;
    page("static", "Generators")
        .body("A static site generator builds pages ahead of time. Sites are static.")
        .create(&app)
        .await;
    page("other", "Other")
        .body("Site of static electricity; the generator hums.")
        .create(&app)
        .await;
    page("jp", "日本語のページ")
        .body("東京 and 大阪")
        .create(&app)
        .await;

    assert_eq!(
        titles(&app, "orchard").await,
        ["Orchard", "Gardening notes"],
        "title matches rank above body matches"
    );
    assert_eq!(
        titles(&app, "\"static site\"").await,
        ["Generators"],
        "phrases keep their order"
    );
    let both = titles(&app, "static generator").await;
    assert_eq!(
        both.len(),
        2,
        "all words must match, in any order: {both:?}"
    );
    assert_eq!(
        titles(&app, "static generator orchard").await,
        Vec::<String>::new()
    );
    assert_eq!(titles(&app, "orch").await.len(), 2, "word prefixes");
    assert!(
        titles(&app, "orchx").await.is_empty(),
        "a prefix longer than any word matches nothing"
    );
    assert_eq!(
        titles(&app, "gardens").await,
        ["Gardening notes"],
        "stemming"
    );
    assert_eq!(
        titles(&app, "cafe").await,
        ["Café culture"],
        "accents folded"
    );
    assert_eq!(titles(&app, "CRÈME zurich").await, ["Café culture"]);
    assert_eq!(
        titles(&app, "東京").await,
        ["日本語のページ"],
        "other scripts"
    );
    assert_eq!(titles(&app, "日本語").await, ["日本語のページ"]);
}

async fn hostile_and_empty_queries_are_safe(app: TestApp) {
    page("p", "Plain page")
        .body("Nothing special here, only words.")
        .create(&app)
        .await;
    for q in [
        "",
        "   ",
        "\"",
        "\"\"",
        "*",
        "NEAR(a b)",
        "a OR b AND NOT c",
        "col:umn",
        "(((",
        "')); DROP TABLE pages; --",
        "<script>alert(1)</script>",
        "\u{0}\u{1}",
        "^!&|:*<->",
        "zzzzzzqqqq",
    ] {
        let res = app
            .get(&format!(
                "/search?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            ))
            .await;
        assert_eq!(res.status, 200, "{q:?}");
        assert!(
            !res.body.contains("<script>alert(1)"),
            "the query is escaped when shown"
        );
    }
    let long = "words ".repeat(5000);
    let res = app
        .get(&format!(
            "/search?{}",
            serde_urlencoded::to_string([("q", &long)]).unwrap()
        ))
        .await;
    assert_eq!(res.status, 200, "a very long query");
    let empty = app.get("/search?q=").await.body;
    assert!(
        empty.contains("Type one or more words"),
        "an empty query gets help"
    );
    let none = app.get("/search?q=zzzzzzqqqq").await.body;
    assert!(
        none.contains("No page matches"),
        "a fruitless query gets help"
    );
    assert_eq!(titles(&app, "\"only words\"").await, ["Plain page"]);
    assert_eq!(app.get("/search?q=plain&page=999").await.status, 200);
}

async fn only_visible_pages_are_found(app: TestApp) {
    page("live", "Unicorn live")
        .body("unicorn")
        .create(&app)
        .await;
    page("draft", "Unicorn draft")
        .body("unicorn")
        .draft()
        .create(&app)
        .await;
    page("later", "Unicorn later")
        .body("unicorn")
        .scheduled(in_seconds(2))
        .create(&app)
        .await;
    let hub = page("hidden-hub", "Hidden hub").draft().create(&app).await;
    page("child", "Unicorn child")
        .under(&hub)
        .body("unicorn")
        .create(&app)
        .await;
    assert_eq!(titles(&app, "unicorn").await, ["Unicorn live"]);
    std::thread::sleep(std::time::Duration::from_millis(2300));
    let found = titles(&app, "unicorn").await;
    assert_eq!(
        found.len(),
        2,
        "a scheduled page appears when it goes live: {found:?}"
    );
    assert!(found.contains(&"Unicorn later".to_owned()));
}

async fn the_index_follows_edits_moves_and_deletes(app: TestApp) {
    let p = page("walrus", "Walrus")
        .body("The walrus lives in the Arctic.")
        .create(&app)
        .await;
    assert_eq!(titles(&app, "arctic").await, ["Walrus"]);
    let edited = pages::PageInput {
        body_md: "The walrus lives in cold seas.".into(),
        ..p.to_input()
    };
    let id = p.id;
    app.with_conn_then_refresh(move |c| {
        saving::update(c, id, &edited, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    assert!(
        titles(&app, "arctic").await.is_empty(),
        "edit: old words gone"
    );
    assert_eq!(
        titles(&app, "cold seas").await,
        ["Walrus"],
        "edit: new words found"
    );
    let renamed = pages::PageInput {
        slug: "sea-walrus".into(),
        title: "Sea walrus".into(),
        ..app
            .with_conn(move |c| pages::find(c, id).unwrap())
            .await
            .to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, id, &renamed, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    let body = app.get("/search?q=walrus").await.body;
    assert!(
        body.contains("href=\"/sea-walrus\""),
        "move: the new address"
    );
    let unpublished = pages::PageInput {
        status: pages::Status::Draft,
        ..app
            .with_conn(move |c| pages::find(c, id).unwrap())
            .await
            .to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, id, &unpublished, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    assert!(titles(&app, "walrus").await.is_empty(), "unpublish");
    let republished = pages::PageInput {
        status: pages::Status::Published,
        ..app
            .with_conn(move |c| pages::find(c, id).unwrap())
            .await
            .to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, id, &republished, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    assert_eq!(titles(&app, "walrus").await, ["Sea walrus"], "publish");
    app.with_conn_then_refresh(move |c| {
        galley::content::trash::trash_page(c, id, None, &galley::audit::Actor::cli()).unwrap()
    })
    .await;
    assert!(titles(&app, "walrus").await.is_empty(), "delete");
}

async fn snippets_are_escaped_and_highlighted(app: TestApp) {
    page("x", "Escapes").body("Some text first. Then `<b>bold</b>` and <script>alert(1)</script> near the keyword zebra here.").create(&app).await;
    let body = app.get("/search?q=zebra").await.body;
    assert!(body.contains("<mark>zebra</mark>"), "{body}");
    assert!(
        !body.contains("<b>bold</b>") && !body.contains("<script>alert"),
        "escaped, then highlighted"
    );
    assert!(body.contains("&lt;b&gt;bold") || body.contains("&#60;b&#62;bold"));
}

async fn missing_pages_suggest_search_results(app: TestApp) {
    let hub = page("glossary", "Glossary").create(&app).await;
    page("markdown", "Markdown")
        .under(&hub)
        .body("Markdown is a markup language.")
        .create(&app)
        .await;
    let res = app.get("/glossary/markdown-syntax").await;
    assert_eq!(res.status, 404);
    assert!(res.body.contains("Perhaps you were looking for"));
    assert!(
        res.body
            .contains("<a href=\"/glossary/markdown\">Markdown</a>")
    );
    let res = app.get("/zzz-qqq").await;
    assert_eq!(res.status, 404);
    assert!(!res.body.contains("Perhaps you were looking for"));
}

async fn admin_list_uses_the_same_search(app: TestApp) {
    page("pub", "Published heron")
        .body("heron")
        .create(&app)
        .await;
    page("drf", "Draft heron")
        .body("heron")
        .draft()
        .create(&app)
        .await;
    page("other", "Something else")
        .body("A grey heron in the body.")
        .create(&app)
        .await;
    let mut b = app
        .signed_in("ed@example.com", galley::accounts::users::Role::Editor)
        .await;
    let list = b.get("/admin/pages?q=heron").await.body;
    assert!(list.contains("3 pages."), "drafts included for editors");
    assert!(
        list.find("Something else").unwrap() > list.find("heron</a>").unwrap(),
        "title matches first"
    );
    assert!(
        b.get("/admin/pages?q=%22grey+heron%22")
            .await
            .body
            .contains("1 page.")
    );
}
