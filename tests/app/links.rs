//! Links between pages: related pages (pinned and computed), backlinks, and the broken-links report.

use galley::accounts::users::Role;
use galley::content::{pages, saving};

use crate::common::TestApp;
use crate::common::fixtures::page;
use crate::db_tests;

db_tests!(
    related_pages_pinned_computed_never_drafts,
    backlinks_follow_saves,
    broken_links_report
);

fn section<'a>(body: &'a str, id: &str) -> &'a str {
    match body.find(&format!("id=\"{id}\"")) {
        Some(i) => &body[i..i + body[i..].find("</section>").unwrap()],
        None => "",
    }
}

async fn related_pages_pinned_computed_never_drafts(app: TestApp) {
    let hub = page("birds", "Birds").create(&app).await;
    page("heron", "Grey heron")
        .under(&hub)
        .body("A heron wades.")
        .create(&app)
        .await;
    page("heron-draft", "Heron draft")
        .under(&hub)
        .body("heron")
        .draft()
        .create(&app)
        .await;
    page("egret", "Egret").under(&hub).create(&app).await;
    page("kite", "Red kite")
        .body("Far away from the birds hub.")
        .create(&app)
        .await;
    for i in 0..6 {
        page(&format!("s{i}"), &format!("Sibling {i}"))
            .under(&hub)
            .create(&app)
            .await;
    }
    let p = page("purple-heron", "Purple heron")
        .under(&hub)
        .pin("/kite")
        .pin("/birds/heron-draft")
        .create(&app)
        .await;
    let body = app.get("/birds/purple-heron").await.body;
    let related = section(&body, "related-heading");
    let titles: Vec<&str> = related
        .split("\">")
        .skip(1)
        .filter_map(|s| s.split("</a>").next())
        .filter(|s| !s.contains('<'))
        .collect();
    assert_eq!(titles.len(), 5, "at most five: {titles:?}");
    assert_eq!(titles[0], "Red kite", "pinned first");
    assert_eq!(titles[1], "Grey heron", "then pages sharing terms");
    assert!(
        !related.contains("Heron draft"),
        "never drafts, pinned or not"
    );
    assert!(!related.contains("Purple heron"), "never itself");
    // The pins survive export and import.
    let exported = galley::content::export::to_file(
        &app.with_conn(move |c| pages::find(c, p.id).unwrap()).await,
    );
    assert!(
        exported.contains("related = [\"/kite\", \"/birds/heron-draft\"]"),
        "{exported}"
    );
}

async fn backlinks_follow_saves(app: TestApp) {
    let target = page("target", "Target").create(&app).await;
    let a = page("a", "Page A")
        .body("See [the target](/target).")
        .create(&app)
        .await;
    page("b", "Page B")
        .body("Also [here](/target/#part) and [away](https://example.com/target).")
        .create(&app)
        .await;
    page("c", "Draft C")
        .body("[t](/target)")
        .draft()
        .create(&app)
        .await;
    let body = app.get("/target").await.body;
    let back = section(&body, "backlinks-heading");
    assert!(
        back.contains("href=\"/a\"") && back.contains("href=\"/b\""),
        "{back}"
    );
    assert!(!back.contains("Draft C"), "drafts never show");
    // Editing A to drop the link removes it; renaming B shows the new title.
    let input = pages::PageInput {
        body_md: "No links now.".into(),
        ..a.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, a.id, &input, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    let b = app
        .with_conn(|c| pages::find_by_path(c, "b").unwrap().unwrap())
        .await;
    let input = pages::PageInput {
        title: "Page B renamed".into(),
        ..b.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, b.id, &input, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    let back = app.get("/target").await.body;
    let back = section(&back, "backlinks-heading");
    assert!(
        !back.contains("href=\"/a\"") && back.contains("Page B renamed"),
        "{back}"
    );
    let _ = target;
}

async fn broken_links_report(app: TestApp) {
    page("real", "Real").create(&app).await;
    page("moving", "Moving").create(&app).await;
    page("draft", "Draft").draft().create(&app).await;
    page("links", "Linker")
        .body("[ok](/real) [gone](/nowhere) [hidden](/draft) [moved](/moving)")
        .create(&app)
        .await;
    let moving = app
        .with_conn(|c| pages::find_by_path(c, "moving").unwrap().unwrap())
        .await;
    let input = pages::PageInput {
        slug: "moved".into(),
        ..moving.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, moving.id, &input, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let report = b.get("/admin/links").await;
    assert_eq!(report.status, 200);
    let body = report.body;
    assert!(body.contains("<code>/nowhere</code>") && body.contains("<code>/draft</code>"));
    assert!(body.contains("<code>/moving</code>") && body.contains("redirects to /moved"));
    assert!(
        !body.contains("<code>/real</code>"),
        "working links are not listed"
    );
    assert_eq!(
        body.matches("Linker</a>").count(),
        3,
        "each with the page that contains it"
    );
}
