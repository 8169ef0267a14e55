//! The JSON API as integrations use it: what a visitor's request sees (published, live, under a
//! visible hub), cursor pagination across a changing list, validators and 304, CORS, the rate
//! limit, problem+json errors, and personal API tokens (drafts with `pages:read`; revoked,
//! expired and disabled owners' tokens refused; the screens and the command line).

use actix_web::test::TestRequest;
use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::config::Config;
use galley::db::schema::{api_tokens, audit_log, users};
use serde_json::Value;

use crate::common::fixtures::{in_seconds, page};
use crate::common::{TestApp, TestResponse};
use crate::db_tests;

db_tests!(
    visitors_see_published_pages_only,
    pages_are_whole_with_their_place_in_the_site,
    pagination_survives_a_changing_list,
    bad_requests_are_problems_naming_their_fields,
    validators_cors_and_the_rate_limit,
    tokens_read_drafts_until_revoked_expired_or_disabled,
    the_token_screens_make_show_once_list_and_revoke,
    the_command_line_makes_lists_and_revokes_tokens,
    the_openapi_document_describes_the_api,
    pages_name_their_author_by_display_name_only,
    visitors_answers_are_kept_until_the_content_changes,
);

fn json(res: &TestResponse) -> Value {
    serde_json::from_str(&res.body).unwrap_or_else(|e| panic!("{e}: {}", res.body))
}

/// A problem+json answer with `status` and a `type` ending in `kind`.
fn assert_problem(res: &TestResponse, status: u16, kind: &str) -> Value {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(res.header("content-type"), "application/problem+json");
    let body = json(res);
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{kind}")),
        "{body}"
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    body
}

async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> TestResponse {
    let mut req = TestRequest::get().uri(path);
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    app.request(req).await
}

fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

async fn visitors_see_published_pages_only(app: TestApp) {
    let hub = page("guide", "Guide").create(&app).await;
    let live = page("setup", "Setup").under(&hub).create(&app).await;
    let draft = page("notes", "Notes")
        .under(&hub)
        .draft()
        .create(&app)
        .await;
    let later = page("soon", "Soon")
        .under(&hub)
        .scheduled(in_seconds(3600))
        .create(&app)
        .await;
    let hidden_hub = page("private", "Private").draft().create(&app).await;
    let under_hidden = page("inside", "Inside")
        .under(&hidden_hub)
        .create(&app)
        .await;
    let ended = page("old", "Old").until(in_seconds(-60)).create(&app).await;

    let res = app.get("/api/v1/pages").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("content-type"), "application/json");
    let body = json(&res);
    assert_eq!(ids(&body), vec![hub.id as i64, live.id as i64]);
    assert_eq!(body["meta"]["pagination"]["total"], 2);
    let first = &body["data"][1];
    assert_eq!(first["path"], "/guide/setup");
    assert_eq!(first["url"], "http://galley.test/guide/setup");
    assert_eq!(first["title"], "Setup");
    assert_eq!(first["summary"], "Summary of Setup.");
    assert_eq!(first["parent_id"], hub.id);
    assert_eq!(first["status"], "published");
    assert!(first["updated_at"].as_str().unwrap().ends_with('Z'));

    for id in [draft.id, later.id, under_hidden.id, hidden_hub.id, ended.id] {
        let res = app.get(&format!("/api/v1/pages/{id}")).await;
        assert_problem(&res, 404, "not-found");
    }
    for path in ["/guide/notes", "/guide/soon", "/private/inside", "/old"] {
        let res = app.get(&format!("/api/v1/pages/by-path?path={path}")).await;
        assert_problem(&res, 404, "not-found");
    }
    let res = app.get("/api/v1/pages/by-path?path=/guide/setup").await;
    assert_eq!(json(&res)["id"], live.id);
    let res = app.get("/api/v1/pages/by-path?path=guide/setup/").await;
    assert_eq!(
        json(&res)["id"],
        live.id,
        "slashes around the path are fine"
    );

    // Filters: the hub, the time of the last change, the site search.
    let res = app.get("/api/v1/pages?hub=/guide").await;
    assert_eq!(ids(&json(&res)), vec![live.id as i64]);
    let res = app.get("/api/v1/pages?hub=/private").await;
    assert_eq!(ids(&json(&res)), Vec::<i64>::new());
    let res = app
        .get("/api/v1/pages?updated_since=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(ids(&json(&res)), Vec::<i64>::new());
    let res = app
        .get("/api/v1/pages?updated_since=2000-01-01T00:00:00%2B02:00")
        .await;
    assert_eq!(json(&res)["meta"]["pagination"]["total"], 2);
    let res = app.get("/api/v1/pages?q=inside").await;
    assert_eq!(
        ids(&json(&res)),
        Vec::<i64>::new(),
        "search keeps to visible"
    );
    let res = app.get("/api/v1/pages?q=setup").await;
    assert_eq!(ids(&json(&res)), vec![live.id as i64]);

    let res = app.get("/api/v1/search?q=setup").await;
    let body = json(&res);
    assert_eq!(ids(&body), vec![live.id as i64]);
    assert!(
        body["data"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>Setup"),
        "{body}"
    );
    let res = app.get("/api/v1/search?q=notes").await;
    assert_eq!(ids(&json(&res)), Vec::<i64>::new(), "drafts are not found");

    // The tree as the navigation shows it.
    let res = app.get("/api/v1/tree").await;
    let tree = json(&res);
    let top: Vec<&str> = tree["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(top, vec!["/guide"]);
    assert_eq!(tree["data"][0]["children"][0]["id"], live.id);
    assert_eq!(
        tree["data"][0]["children"].as_array().unwrap().len(),
        1,
        "{tree}"
    );

    // No e-mail address anywhere: the API has no users endpoint.
    for path in ["/api/v1/users", "/api/v1/nothing"] {
        let res = app.get(path).await;
        let body = assert_problem(&res, 404, "not-found");
        assert!(!body.to_string().contains('@'));
    }
    // A method an endpoint does not take is a problem too, saying which it takes.
    let res = app.get(&format!("/api/v1/pages/{}/publish", live.id)).await;
    assert_problem(&res, 405, "method-not-allowed");
    assert!(res.header("allow").contains("POST"), "{:?}", res.headers);
    let res = app.get("/api/v1/pages?limit=1&limit=2").await;
    assert_problem(&res, 400, "bad-request");
    // The home page by its path.
    let res = app.get("/api/v1/pages/by-path?path=/").await;
    assert_problem(&res, 404, "not-found");
    let home = page("", "Home").create(&app).await;
    let res = app.get("/api/v1/pages/by-path?path=/").await;
    assert_eq!(json(&res)["id"], home.id);
    let res = app.get(&format!("/api/v1/pages/{}", live.id)).await;
    assert!(!res.body.contains("@example.com"), "{}", res.body);
}

async fn pages_are_whole_with_their_place_in_the_site(app: TestApp) {
    let hub = page("glossary", "Glossary").create(&app).await;
    let term = page("cache", "Cache")
        .under(&hub)
        .body(
            "Intro <script>alert(1)</script>.\n\n## What it is\n\nText.\n\n### In detail\n\nMore.\n\n## Frequently asked questions\n\n### Is it fast?\n\nYes, very.\n",
        )
        .create(&app)
        .await;
    let child = page("warm", "Warm cache").under(&term).create(&app).await;
    page("cold", "Cold cache")
        .under(&term)
        .draft()
        .create(&app)
        .await;

    let res = app.get(&format!("/api/v1/pages/{}", term.id)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let body = json(&res);
    assert_eq!(body["id"], term.id);
    assert_eq!(body["path"], "/glossary/cache");
    assert_eq!(body["version"], term.version);
    let html = body["html"].as_str().unwrap();
    assert_eq!(html, term.body_html, "the stored, sanitised HTML");
    assert!(!html.contains("<script"), "{html}");
    let toc: Vec<(&str, i64)> = body["toc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["text"].as_str().unwrap(), e["level"].as_i64().unwrap()))
        .collect();
    assert_eq!(toc[0], ("What it is", 1));
    assert_eq!(toc[1], ("In detail", 2));
    assert_eq!(body["faq"][0]["question"], "Is it fast?");
    assert_eq!(body["faq"][0]["answer"], "Yes, very.");
    assert_eq!(body["breadcrumbs"].as_array().unwrap().len(), 1);
    assert_eq!(body["breadcrumbs"][0]["path"], "/glossary");
    assert_eq!(body["breadcrumbs"][0]["title"], "Glossary");
    assert_eq!(
        body["children"],
        serde_json::json!([child.id]),
        "the draft child is not listed"
    );
    assert_eq!(body["parent_id"], hub.id);
    assert!(body["image"].is_null());
    assert!(body["published_at"].as_str().unwrap().ends_with('Z'));

    let res = app.get("/api/v1/pages/not-a-number").await;
    assert_problem(&res, 404, "not-found");
    let res = app.get("/api/v1/media/999").await;
    assert_problem(&res, 404, "not-found");
}

async fn pagination_survives_a_changing_list(app: TestApp) {
    let mut made = Vec::new();
    for i in 0..25 {
        made.push(
            page(&format!("p{i:02}"), &format!("Page {i}"))
                .create(&app)
                .await
                .id,
        );
    }
    let res = app.get("/api/v1/pages?limit=10").await;
    let body = json(&res);
    assert_eq!(ids(&body).len(), 10);
    assert_eq!(body["meta"]["pagination"]["limit"], 10);
    assert_eq!(body["meta"]["pagination"]["total"], 25);
    let cursor = body["meta"]["pagination"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = res.header("link").to_owned();
    assert!(
        link.starts_with("<http://galley.test/api/v1/pages?limit=10&cursor=")
            && link.ends_with(">; rel=\"next\""),
        "{link}"
    );
    let mut seen = ids(&body);

    // Between two requests a page is added and one already sent is removed.
    page("zz-new", "New page").create(&app).await;
    let gone = made[3];
    app.with_conn_then_refresh(move |c| {
        galley::content::trash::trash_page(c, gone, None, &galley::audit::Actor::cli()).unwrap()
    })
    .await;

    let mut next = Some(cursor);
    while let Some(c) = next {
        let res = app.get(&format!("/api/v1/pages?limit=10&cursor={c}")).await;
        let body = json(&res);
        seen.extend(ids(&body));
        next = body["meta"]["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_owned);
        if next.is_none() {
            assert_eq!(res.header("link"), "", "no next part, no link");
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen, "nothing twice");
    for id in &made {
        assert!(seen.contains(&(*id as i64)), "page {id} was skipped");
    }
    assert_eq!(seen.len(), 26, "the new page is at the end: {seen:?}");

    let res = app.get("/api/v1/pages?limit=500").await;
    let body = json(&res);
    assert_eq!(body["meta"]["pagination"]["limit"], 100);
    assert_eq!(body["meta"]["limit_clamped"]["requested"], 500);
    assert_eq!(body["meta"]["limit_clamped"]["used"], 100);
    assert_eq!(ids(&body).len(), 25);
    let res = app.get("/api/v1/pages").await;
    assert_eq!(json(&res)["meta"]["pagination"]["limit"], 20);
    assert!(json(&res)["meta"].get("limit_clamped").is_none());

    // Search results page by position.
    let res = app.get("/api/v1/search?q=page&limit=20").await;
    let body = json(&res);
    assert_eq!(ids(&body).len(), 20);
    let c = body["meta"]["pagination"]["next_cursor"].as_str().unwrap();
    let rest = json(
        &app.get(&format!("/api/v1/search?q=page&limit=20&cursor={c}"))
            .await,
    );
    assert_eq!(ids(&rest).len(), 5);
    assert!(ids(&rest).iter().all(|id| !ids(&body).contains(id)));
}

async fn bad_requests_are_problems_naming_their_fields(app: TestApp) {
    let cases = [
        ("/api/v1/pages?limit=0", "limit"),
        ("/api/v1/pages?limit=ten", "limit"),
        ("/api/v1/pages?cursor=%27%3B--", "cursor"),
        ("/api/v1/pages?updated_since=yesterday", "updated_since"),
        ("/api/v1/pages/by-path", "path"),
        ("/api/v1/search", "q"),
        ("/api/v1/search?q=%20", "q"),
    ];
    for (path, field) in cases {
        let res = app.get(path).await;
        let body = assert_problem(&res, 422, "invalid");
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec![field], "{path}: {body}");
        assert!(!body["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    // Whatever a caller sends, no 500.
    for path in [
        "/api/v1/pages?hub=%00",
        "/api/v1/pages?q=%22%22%22*",
        "/api/v1/pages?limit=99999999999999999999",
        "/api/v1/pages/by-path?path=%2F..%2F..",
        "/api/v1/pages/-1",
        "/api/v1/pages/99999999999",
        "/api/v1/search?q=AND%20OR%20NOT%20(",
    ] {
        let res = app.get(path).await;
        assert!(
            res.status.as_u16() < 500,
            "{path}: {} {}",
            res.status,
            res.body
        );
    }
    let res = app.request(TestRequest::post().uri("/api/v1/tree")).await;
    assert!(
        res.status == 404 || res.status == 405,
        "a read endpoint takes no POST: {}",
        res.status
    );
}

async fn validators_cors_and_the_rate_limit(app: TestApp) {
    page("a", "A").create(&app).await;
    let res = app.get("/api/v1/pages").await;
    let etag = res.header("etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(res.header("cache-control"), "public, max-age=60");
    let again = app
        .request(
            TestRequest::get()
                .uri("/api/v1/pages")
                .insert_header(("if-none-match", etag.clone())),
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("etag"), etag);
    let star = app
        .request(
            TestRequest::get()
                .uri("/api/v1/pages")
                .insert_header(("if-none-match", "*")),
        )
        .await;
    assert_eq!(star.status, 200, "`*` is no tag for a read");
    let other_query = app
        .request(
            TestRequest::get()
                .uri("/api/v1/pages?limit=5")
                .insert_header(("if-none-match", etag.clone())),
        )
        .await;
    assert_eq!(other_query.status, 200, "another query, another tag");
    // A change to the content moves the tag.
    page("b", "B").create(&app).await;
    let changed = app
        .request(
            TestRequest::get()
                .uri("/api/v1/pages")
                .insert_header(("if-none-match", etag.clone())),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), etag);
    assert_eq!(json(&changed)["meta"]["pagination"]["total"], 2);
    // A page going live in 20 s: no shared cache keeps the list longer than that.
    page("c", "C").scheduled(in_seconds(20)).create(&app).await;
    let res = app.get("/api/v1/pages").await;
    let age: i64 = res
        .header("cache-control")
        .strip_prefix("public, max-age=")
        .unwrap()
        .parse()
        .unwrap();
    assert!((0..=20).contains(&age), "{}", res.header("cache-control"));

    // CORS: only for the origins listed.
    let db = app.db.sibling();
    let strict = TestApp::with_config(
        db,
        Config {
            api_rate_limit: 3,
            api_cors_origins: vec!["https://app.example.com".into()],
            ..Config::for_database("")
        },
    )
    .await;
    let from = |origin: &'static str| {
        TestRequest::get()
            .uri("/api/v1/tree")
            .insert_header(("origin", origin))
    };
    let res = strict.request(from("https://app.example.com")).await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        "https://app.example.com"
    );
    assert!(res.header("access-control-expose-headers").contains("ETag"));
    let res = strict.request(from("https://evil.example")).await;
    assert_eq!(res.header("access-control-allow-origin"), "");
    let preflight = strict
        .request(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/api/v1/pages")
                .insert_header(("origin", "https://app.example.com"))
                .insert_header(("access-control-request-method", "GET"))
                .insert_header(("access-control-request-headers", "authorization")),
        )
        .await;
    assert_eq!(preflight.status, 204);
    assert!(
        preflight
            .header("access-control-allow-headers")
            .contains("Authorization")
    );
    // The rate limit: the fourth request of the minute (the preflight is no request).
    assert_eq!(
        strict.request(from("https://app.example.com")).await.status,
        200
    );
    let res = strict.request(from("https://app.example.com")).await;
    let body = assert_problem(&res, 429, "rate-limited");
    let wait: u64 = res.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(body["detail"].as_str().unwrap().contains("try again"));
    assert_eq!(
        res.header("access-control-allow-origin"),
        "https://app.example.com",
        "errors carry CORS too, so the app can read them"
    );
    // The site itself is not limited.
    assert_eq!(strict.get("/").await.status, 200);
}

async fn tokens_read_drafts_until_revoked_expired_or_disabled(app: TestApp) {
    let hub = page("guide", "Guide").create(&app).await;
    let draft = page("notes", "Notes")
        .under(&hub)
        .draft()
        .create(&app)
        .await;
    let later = page("soon", "Soon")
        .under(&hub)
        .scheduled(in_seconds(3600))
        .create(&app)
        .await;
    let reader = app
        .api_token("reader@example.com", Role::Editor, "pages:read")
        .await;
    let uploader = app
        .api_token("uploader@example.com", Role::Editor, "media:write")
        .await;

    let res = get_as(&app, "/api/v1/pages", Some(&reader)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("cache-control"), "private, no-cache");
    let body = json(&res);
    assert_eq!(
        ids(&body),
        vec![hub.id as i64, draft.id as i64, later.id as i64]
    );
    let statuses: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["published", "draft", "scheduled"]);
    let res = get_as(&app, &format!("/api/v1/pages/{}", draft.id), Some(&reader)).await;
    assert_eq!(json(&res)["status"], "draft");
    let res = get_as(&app, &format!("/api/v1/pages/{}", hub.id), Some(&reader)).await;
    assert_eq!(
        json(&res)["children"],
        serde_json::json!([draft.id, later.id])
    );
    let res = get_as(
        &app,
        "/api/v1/pages/by-path?path=/guide/soon",
        Some(&reader),
    )
    .await;
    assert_eq!(json(&res)["id"], later.id);
    let res = get_as(&app, "/api/v1/search?q=notes", Some(&reader)).await;
    assert_eq!(ids(&json(&res)), vec![draft.id as i64]);

    // Under a draft hub, the breadcrumbs still name it.
    let inner = page("inner", "Inner")
        .under(&draft)
        .draft()
        .create(&app)
        .await;
    let res = get_as(&app, &format!("/api/v1/pages/{}", inner.id), Some(&reader)).await;
    let inner_body = json(&res);
    let crumbs: Vec<&str> = inner_body["breadcrumbs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(crumbs, vec!["/guide", "/guide/notes"]);
    app.with_conn_then_refresh(move |c| {
        galley::content::trash::trash_page(c, inner.id, None, &galley::audit::Actor::cli()).unwrap()
    })
    .await;
    let res = get_as(&app, "/api/v1/search?q=inner", Some(&reader)).await;
    assert_eq!(
        json(&res)["meta"]["pagination"]["total"],
        0,
        "the trash is not searched"
    );

    // An author's token reads what visitors see: authors keep to their own drafts.
    let author = app
        .api_token("author@example.com", Role::Author, "pages:read")
        .await;
    let res = get_as(&app, "/api/v1/pages", Some(&author)).await;
    assert_eq!(ids(&json(&res)), vec![hub.id as i64]);
    let res = get_as(&app, &format!("/api/v1/pages/{}", draft.id), Some(&author)).await;
    assert_problem(&res, 404, "not-found");

    // A token without pages:read sees what visitors see.
    let res = get_as(&app, "/api/v1/pages", Some(&uploader)).await;
    assert_eq!(ids(&json(&res)), vec![hub.id as i64]);
    let res = get_as(
        &app,
        &format!("/api/v1/pages/{}", draft.id),
        Some(&uploader),
    )
    .await;
    assert_problem(&res, 404, "not-found");

    // Tokens galley never made, and other schemes, are refused the same way.
    for header in [
        "Bearer glt_0000000000000000000000000000000000000000000000000000000000000000",
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ] {
        let res = app
            .request(
                TestRequest::get()
                    .uri("/api/v1/pages")
                    .insert_header(("authorization", header)),
            )
            .await;
        let body = assert_problem(&res, 401, "unauthorized");
        assert!(
            res.header("www-authenticate").starts_with("Bearer"),
            "{body}"
        );
    }
    let res = app
        .request(
            TestRequest::get()
                .uri("/api/v1/pages")
                .insert_header(("authorization", format!("BEARER {reader}"))),
        )
        .await;
    assert_eq!(res.status, 200, "the scheme is case-insensitive");

    // Its use is recorded.
    let used: Option<chrono::NaiveDateTime> = app
        .with_conn(|c| {
            api_tokens::table
                .inner_join(users::table)
                .filter(users::email.eq("reader@example.com"))
                .select(api_tokens::last_used_at)
                .first(c)
                .unwrap()
        })
        .await;
    assert!(used.is_some());

    // Disabled owner: refused at once; enabled again: it works again.
    let set_disabled = |on: bool| {
        app.with_conn(move |c| {
            diesel::update(users::table.filter(users::email.eq("reader@example.com")))
                .set(users::disabled.eq(on))
                .execute(c)
                .unwrap()
        })
    };
    set_disabled(true).await;
    let res = get_as(&app, "/api/v1/pages", Some(&reader)).await;
    assert_problem(&res, 401, "unauthorized");
    set_disabled(false).await;
    assert_eq!(
        get_as(&app, "/api/v1/pages", Some(&reader)).await.status,
        200
    );

    // Expired.
    app.with_conn(|c| {
        diesel::update(api_tokens::table)
            .set(api_tokens::expires_at.eq(Some(in_seconds(-1))))
            .execute(c)
            .unwrap()
    })
    .await;
    let res = get_as(&app, "/api/v1/pages", Some(&reader)).await;
    assert_problem(&res, 401, "unauthorized");
    app.with_conn(|c| {
        diesel::update(api_tokens::table)
            .set(api_tokens::expires_at.eq(None::<chrono::NaiveDateTime>))
            .execute(c)
            .unwrap()
    })
    .await;

    // Revoked.
    app.with_conn(|c| {
        let id: i32 = api_tokens::table
            .select(api_tokens::id)
            .order(api_tokens::id)
            .first(c)
            .unwrap();
        galley::api::tokens::revoke(c, id, galley::clock::now()).unwrap()
    })
    .await;
    let res = get_as(&app, "/api/v1/pages", Some(&reader)).await;
    assert_problem(&res, 401, "unauthorized");
    // The database holds no token, only hashes.
    let stored: Vec<String> = app
        .with_conn(|c| {
            api_tokens::table
                .select(api_tokens::token_hash)
                .load(c)
                .unwrap()
        })
        .await;
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 64 && !h.starts_with("glt_"))
    );
    assert!(!stored.contains(&reader));
}

async fn the_token_screens_make_show_once_list_and_revoke(app: TestApp) {
    let mut editor = app.signed_in("ed@example.com", Role::Editor).await;
    let res = editor.get("/admin/account").await;
    assert!(res.body.contains("href=\"/admin/account/tokens\""));
    let res = editor.get("/admin/account/tokens").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), "no-store");

    // Refused: no name, no scope, an expiry in the past; the values are kept.
    let res = editor
        .post(
            "/admin/account/tokens",
            &[("name", ""), ("expires_at", "2001-01-01")],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    for field in ["name", "scopes", "expires_at"] {
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            res.body
        );
    }
    assert!(res.body.contains("value=\"2001-01-01\""));
    let res = editor
        .post(
            "/admin/account/tokens",
            &[("name", "x"), ("pages:read", "on"), ("expires_at", "soon")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"expires_at-error\""));
    assert!(res.body.contains("value=\"x\""), "{}", res.body);

    let res = editor
        .post(
            "/admin/account/tokens",
            &[
                ("name", "ci"),
                ("pages:read", "on"),
                ("pages:write", "on"),
                ("expires_at", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let marker = "<code id=\"token-secret\">";
    let start = res.body.find(marker).expect("the secret") + marker.len();
    let secret = res.body[start..start + 68].to_owned();
    assert!(secret.starts_with("glt_"), "{secret}");
    let draft = page("plans", "Plans").draft().create(&app).await;
    let api = get_as(&app, &format!("/api/v1/pages/{}", draft.id), Some(&secret)).await;
    assert_eq!(api.status, 200, "{}", api.body);

    // Listed with its first characters and last use, never the secret again.
    let list = editor.get("/admin/account/tokens").await;
    assert!(!list.body.contains(&secret));
    assert!(list.body.contains(&secret[..12]));
    assert!(list.body.contains("pages:read, pages:write"));
    assert!(list.body.contains("UTC"), "last used");

    // Someone else cannot revoke it (not found to them), nor see the admins' list.
    let mut author = app.signed_in("au@example.com", Role::Author).await;
    let offered = author.get("/admin/account/tokens").await;
    assert!(
        offered.body.contains("name=\"media:write\"")
            && !offered.body.contains("name=\"pages:read\""),
        "authors are offered only what their role can use"
    );
    let id: i32 = app
        .with_conn(|c| api_tokens::table.select(api_tokens::id).first(c).unwrap())
        .await;
    let res = author
        .post(&format!("/admin/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(author.get("/admin/tokens").await.status, 403);
    assert_eq!(
        get_as(&app, &format!("/api/v1/pages/{}", draft.id), Some(&secret))
            .await
            .status,
        200
    );

    // An admin sees everyone's and revokes it.
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    let all = admin.get("/admin/tokens").await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains("ed@example.com") && all.body.contains("ci"));
    assert!(!all.body.contains("owner disabled"));
    app.with_conn(|c| {
        diesel::update(users::table.filter(users::email.eq("ed@example.com")))
            .set(users::disabled.eq(true))
            .execute(c)
            .unwrap()
    })
    .await;
    assert!(
        admin
            .get("/admin/tokens")
            .await
            .body
            .contains("owner disabled")
    );
    app.with_conn(|c| {
        diesel::update(users::table.filter(users::email.eq("ed@example.com")))
            .set(users::disabled.eq(false))
            .execute(c)
            .unwrap()
    })
    .await;
    let res = admin
        .post(&format!("/admin/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/admin/tokens");
    let api = get_as(&app, &format!("/api/v1/pages/{}", draft.id), Some(&secret)).await;
    assert_problem(&api, 401, "unauthorized");
    let list = editor.get("/admin/account/tokens").await;
    assert!(list.body.contains("revoked"));
    // Without the CSRF token, nothing happens.
    let res = editor
        .post(
            "/admin/account/tokens",
            &[
                ("name", "sneaky"),
                ("pages:read", "on"),
                ("csrf_token", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);

    let actions: Vec<(String, String)> = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.like("token.%"))
                .order(audit_log::id)
                .select((audit_log::action, audit_log::target))
                .load(c)
                .unwrap()
        })
        .await;
    let kinds: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(kinds, vec!["token.create", "token.revoke"]);
    assert!(actions.iter().all(|a| !a.1.contains(&secret)));
    assert_eq!(
        app.with_conn(|c| api_tokens::table.count().get_result::<i64>(c).unwrap())
            .await,
        1,
        "the refused forms made nothing"
    );
}

async fn the_command_line_makes_lists_and_revokes_tokens(app: TestApp) {
    app.user("ci@example.com", Role::Editor).await;
    let galley = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_galley"))
            .args(args)
            .env("DATABASE_URL", app.db.url())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = galley(&[
        "token",
        "create",
        "ci@example.com",
        "--scope",
        "pages:write",
        "--scope",
        "pages:read",
        "--name",
        "ci",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(secret.starts_with("glt_") && secret.len() == 68, "{secret}");
    let draft = page("plans", "Plans").draft().create(&app).await;
    let res = get_as(&app, &format!("/api/v1/pages/{}", draft.id), Some(&secret)).await;
    assert_eq!(res.status, 200);

    let out = galley(&["token", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listed.contains("ci@example.com") && listed.contains("pages:read pages:write"));
    assert!(listed.contains("active") && !listed.contains(&secret));

    for bad in [
        vec![
            "token",
            "create",
            "ci@example.com",
            "--scope",
            "users:write",
            "--name",
            "x",
        ],
        vec![
            "token",
            "create",
            "nobody@example.com",
            "--scope",
            "pages:read",
            "--name",
            "x",
        ],
        vec![
            "token",
            "create",
            "ci@example.com",
            "--scope",
            "pages:read",
            "--name",
            "x",
            "--expires",
            "never",
        ],
    ] {
        let out = galley(&bad);
        assert!(!out.status.success(), "{bad:?}");
        assert!(out.stdout.is_empty(), "no token printed for {bad:?}");
    }

    let id: i32 = app
        .with_conn(|c| api_tokens::table.select(api_tokens::id).first(c).unwrap())
        .await;
    let out = galley(&["token", "revoke", &id.to_string()]);
    assert!(out.status.success());
    let res = get_as(&app, &format!("/api/v1/pages/{}", draft.id), Some(&secret)).await;
    assert_problem(&res, 401, "unauthorized");
    let out = galley(&["token", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"));
    let audited: i64 = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.like("token.%"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(audited, 2);
}

/// Every answer these tests get is checked against the document (`common::openapi`); here, the
/// document itself as a client fetches it.
async fn the_openapi_document_describes_the_api(app: TestApp) {
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), "application/json");
    let doc = json(&res);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    assert_eq!(doc, galley::api::openapi::json());
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, 14, "every endpoint");
    let create = &doc["paths"]["/api/v1/pages"]["post"];
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PageBody"
    );
    assert_eq!(create["security"][0]["bearer"], serde_json::json!([]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let upload = &doc["paths"]["/api/v1/media"]["post"]["requestBody"]["content"];
    assert!(upload.get("multipart/form-data").is_some(), "{upload}");
    let list = &doc["paths"]["/api/v1/pages"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["hub", "updated_since", "q", "limit", "cursor"]);
    assert!(list["responses"].get("304").is_some());
    assert!(list["responses"].get("default").is_some());
}

async fn pages_name_their_author_by_display_name_only(app: TestApp) {
    let email = "writer@example.com";
    let token = app
        .api_token(email, Role::Editor, "pages:write pages:read")
        .await;
    let res = app
        .request(
            TestRequest::post()
                .uri("/api/v1/pages")
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header(("content-type", "application/json"))
                .set_payload(r#"{"title": "Signed", "slug": "signed", "status": "published"}"#),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = json(&res)["id"].as_i64().unwrap();
    assert_eq!(
        json(&res)["author"],
        Value::Null,
        "no name given: none shown"
    );
    assert!(!res.body.contains(email));

    // My account: a name, never an address.
    let mut b = app.browser();
    b.sign_in(email, &crate::common::password_of(email)).await;
    b.get("/admin/account").await;
    let res = b
        .post(
            "/admin/account/name",
            &[("display_name", "ada@example.com")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"display_name-error\""));
    assert!(res.body.contains("value=\"ada@example.com\""));
    let res = b
        .post("/admin/account/name", &[("display_name", " Ada Writer ")])
        .await;
    assert_eq!(res.status, 303);
    assert!(
        b.get("/admin/account")
            .await
            .body
            .contains("value=\"Ada Writer\"")
    );

    let shown = app.get(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(json(&shown)["author"], "Ada Writer");
    assert!(!shown.body.contains(email));
    // Renamed: what visitors were answered before (and kept) goes with the old name.
    let res = b
        .post("/admin/account/name", &[("display_name", "Ada L.")])
        .await;
    assert_eq!(res.status, 303);
    let renamed = app.get(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(json(&renamed)["author"], "Ada L.");
    assert_ne!(renamed.header("etag"), shown.header("etag"));
    let audited: i64 = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.eq("user.name"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(audited, 2);
}

async fn visitors_answers_are_kept_until_the_content_changes(app: TestApp) {
    let p = page("kept", "Kept").create(&app).await;
    let uri = "/api/v1/pages/by-path?path=/kept";
    let first = app.get(uri).await;
    assert_eq!(first.status, 200);
    assert_eq!(app.state.api_cache.len(), 1);
    // Changed behind galley's back (no new content version): the kept answer is what comes.
    let id = p.id;
    app.with_conn(move |c| {
        diesel::update(galley::db::schema::pages::table.find(id))
            .set(galley::db::schema::pages::title.eq("Changed quietly"))
            .execute(c)
            .unwrap()
    })
    .await;
    let again = app.get(uri).await;
    assert_eq!(again.body, first.body, "from the cache");
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("cache-control"), "public, max-age=60");
    let res = app
        .request(
            TestRequest::get()
                .uri(uri)
                .insert_header(("if-none-match", first.header("etag").to_owned())),
        )
        .await;
    assert_eq!(res.status, 304);
    assert!(res.body.is_empty());
    // A token's answers are its own: never kept, never served from what visitors got.
    let token = app
        .api_token("reader@example.com", Role::Editor, "pages:read")
        .await;
    let res = app
        .request(
            TestRequest::get()
                .uri(uri)
                .insert_header(("authorization", format!("Bearer {token}"))),
        )
        .await;
    assert!(res.body.contains("Changed quietly"), "{}", res.body);
    assert_eq!(app.state.api_cache.len(), 1);
    // A save makes a new content version: the next answer is made afresh.
    let mut input = p.to_input();
    input.title = "Kept, edited".into();
    app.with_conn_then_refresh(move |c| {
        galley::content::saving::update(c, id, &input, None, None, "", galley::clock::now())
    })
    .await
    .unwrap();
    let fresh = app.get(uri).await;
    assert!(fresh.body.contains("Kept, edited"), "{}", fresh.body);
    assert_ne!(fresh.header("etag"), first.header("etag"));
}
