//! The write API as a publishing script uses it: pages created, changed (with `If-Match`),
//! published, scheduled, unpublished and deleted through the editor's domain functions (a
//! revision, the audit log as the token, redirects on moves, the search index), idempotent
//! retries, and scopes and roles that limit a token; the contact inbox read with a token.

use actix_web::test::TestRequest;
use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::db::schema::{audit_log, contact_submissions, page_revisions, pages as pages_t};
use serde_json::{Value, json};

use crate::common::fixtures::page;
use crate::common::{TestApp, TestResponse};
use crate::db_tests;

db_tests!(
    a_script_writes_pages_as_the_editor_would,
    stale_versions_are_refused_with_the_current_one,
    retries_with_an_idempotency_key_create_nothing_twice,
    scopes_and_roles_limit_what_a_token_writes,
    bad_bodies_are_problems_naming_their_fields,
    the_inbox_is_read_with_submissions_read,
    a_key_taken_by_a_request_still_running_is_not_taken_twice,
);

fn json_of(res: &TestResponse) -> Value {
    serde_json::from_str(&res.body).unwrap_or_else(|e| panic!("{e}: {} {}", res.status, res.body))
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut req = TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .insert_header(("authorization", format!("Bearer {token}")));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    if let Some(b) = body {
        req = req
            .insert_header(("content-type", "application/json"))
            .set_payload(b.to_string());
    }
    app.request(req).await
}

fn problem(res: &TestResponse, status: u16, kind: &str) -> Value {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(res.header("content-type"), "application/problem+json");
    let body = json_of(res);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{kind}")),
        "{body}"
    );
    body
}

async fn audit(app: &TestApp) -> Vec<(String, String)> {
    app.with_conn(|c| {
        audit_log::table
            .filter(audit_log::action.like("page.%"))
            .order(audit_log::id)
            .select((audit_log::action, audit_log::actor))
            .load(c)
            .unwrap()
    })
    .await
}

async fn revisions(app: &TestApp, id: i32) -> i64 {
    app.with_conn(move |c| {
        page_revisions::table
            .filter(page_revisions::page_id.eq(id))
            .count()
            .get_result(c)
            .unwrap()
    })
    .await
}

async fn a_script_writes_pages_as_the_editor_would(app: TestApp) {
    let hub = page("guide", "Guide").create(&app).await;
    let token = app
        .api_token("ci@example.com", Role::Editor, "pages:write pages:read")
        .await;

    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(json!({
            "title": "Herons",
            "slug": "herons",
            "parent_path": "/guide",
            "summary": "Tall birds.",
            "body": "## Where\n\nBy the water <script>x()</script>.\n",
            "status": "published"
        })),
        &[],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let made = json_of(&res);
    let id = made["id"].as_i64().unwrap() as i32;
    assert_eq!(res.header("location"), format!("/api/v1/pages/{id}"));
    assert_eq!(made["path"], "/guide/herons");
    assert_eq!(made["parent_id"], hub.id);
    assert_eq!(made["version"], 1);
    assert_eq!(made["status"], "published");
    assert!(!made["html"].as_str().unwrap().contains("<script"));
    // Live at once, for visitors too, and found by the site search.
    assert_eq!(app.get("/guide/herons").await.status, 200);
    let found = json_of(&app.get("/api/v1/search?q=herons").await);
    assert_eq!(found["data"][0]["id"], id);
    assert_eq!(revisions(&app, id).await, 1);

    // A change names only what changes; a move leaves a redirect.
    let res = send(
        &app,
        "PATCH",
        &format!("/api/v1/pages/{id}"),
        &token,
        Some(json!({"slug": "grey-herons", "title": "Grey herons"})),
        &[("if-match", "1")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let changed = json_of(&res);
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["summary"], "Tall birds.", "kept");
    assert_eq!(changed["path"], "/guide/grey-herons");
    let old = app.get("/guide/herons").await;
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), "/guide/grey-herons");
    assert_eq!(revisions(&app, id).await, 2);

    // Scheduled, unpublished, published again.
    let res = send(
        &app,
        "POST",
        &format!("/api/v1/pages/{id}/schedule"),
        &token,
        Some(json!({"publish_at": "2999-01-01T09:00:00Z"})),
        &[],
    )
    .await;
    assert_eq!(json_of(&res)["status"], "scheduled", "{}", res.body);
    assert_eq!(json_of(&res)["published_at"], "2999-01-01T09:00:00Z");
    assert_eq!(app.get("/guide/grey-herons").await.status, 404);
    let res = send(
        &app,
        "POST",
        &format!("/api/v1/pages/{id}/unpublish"),
        &token,
        None,
        &[],
    )
    .await;
    assert_eq!(json_of(&res)["status"], "draft");
    let res = send(
        &app,
        "POST",
        &format!("/api/v1/pages/{id}/publish"),
        &token,
        None,
        &[],
    )
    .await;
    assert_eq!(json_of(&res)["status"], "published");
    assert_eq!(app.get("/guide/grey-herons").await.status, 200);

    // Deleted: to the trash, gone for visitors.
    let res = send(
        &app,
        "DELETE",
        &format!("/api/v1/pages/{id}"),
        &token,
        None,
        &[],
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(app.get("/guide/grey-herons").await.status, 410);
    let res = send(
        &app,
        "GET",
        &format!("/api/v1/pages/{id}"),
        &token,
        None,
        &[],
    )
    .await;
    problem(&res, 404, "not-found");
    let res = send(
        &app,
        "DELETE",
        &format!("/api/v1/pages/{id}"),
        &token,
        None,
        &[],
    )
    .await;
    problem(&res, 404, "not-found");

    // Every write is in the audit log as the token and its owner.
    let log = audit(&app).await;
    let actions: Vec<&str> = log.iter().map(|(a, _)| a.as_str()).collect();
    assert!(actions.contains(&"page.publish"), "{actions:?}");
    assert!(
        actions.contains(&"page.delete") || actions.contains(&"page.trash"),
        "{actions:?}"
    );
    let by_token: Vec<&(String, String)> = log
        .iter()
        .filter(|(_, who)| who.contains("API token") && who.contains("publisher"))
        .collect();
    assert!(by_token.len() >= 6, "{log:?}");
    assert!(log.iter().all(|(_, who)| !who.contains(&token)));
}

async fn stale_versions_are_refused_with_the_current_one(app: TestApp) {
    let p = page("notes", "Notes").create(&app).await;
    let token = app
        .api_token("ci@example.com", Role::Editor, "pages:write")
        .await;
    // Someone saves in the editor meanwhile.
    let res = send(
        &app,
        "PATCH",
        &format!("/api/v1/pages/{}", p.id),
        &token,
        Some(json!({"summary": "First."})),
        &[("if-match", "1")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = send(
        &app,
        "PATCH",
        &format!("/api/v1/pages/{}", p.id),
        &token,
        Some(json!({"summary": "Second, from an old copy."})),
        &[("if-match", "1")],
    )
    .await;
    let body = problem(&res, 412, "stale-version");
    assert_eq!(body["current_version"], 2);
    let stored: String = app
        .with_conn(move |c| {
            pages_t::table
                .find(p.id)
                .select(pages_t::summary)
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored, "First.", "nothing overwritten");
    // With the current version it goes through; a quoted tag works as well.
    let res = send(
        &app,
        "PATCH",
        &format!("/api/v1/pages/{}", p.id),
        &token,
        Some(json!({"summary": "Second."})),
        &[("if-match", "\"2\"")],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let res = send(
        &app,
        "DELETE",
        &format!("/api/v1/pages/{}", p.id),
        &token,
        None,
        &[("if-match", "1")],
    )
    .await;
    problem(&res, 412, "stale-version");
    let res = send(
        &app,
        "PATCH",
        &format!("/api/v1/pages/{}", p.id),
        &token,
        Some(json!({"summary": "x"})),
        &[("if-match", "soon")],
    )
    .await;
    problem(&res, 400, "bad-request");
}

async fn retries_with_an_idempotency_key_create_nothing_twice(app: TestApp) {
    let token = app
        .api_token("ci@example.com", Role::Editor, "pages:write")
        .await;
    let body = json!({"title": "Once", "slug": "once", "status": "published"});
    let key = [("idempotency-key", "run-42")];
    let first = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(body.clone()),
        &key,
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(body.clone()),
        &key,
    )
    .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "the first answer, again");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), "true");
    let count: i64 = app
        .with_conn(|c| {
            pages_t::table
                .filter(pages_t::slug.eq("once"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(count, 1);
    // The same key for another request is refused; another key is another request.
    let other = json!({"title": "Twice", "slug": "twice", "status": "published"});
    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(other.clone()),
        &key,
    )
    .await;
    problem(&res, 422, "idempotency-key-reused");
    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(other),
        &[("idempotency-key", "run-43")],
    )
    .await;
    assert_eq!(res.status, 201);
    // Without a key, a retry is a second request: the slug is taken, a 422 next to the field.
    let res = send(&app, "POST", "/api/v1/pages", &token, Some(body), &[]).await;
    let p = problem(&res, 422, "invalid");
    assert_eq!(p["errors"][0]["field"], "slug", "{p}");
    // A refused request is not kept: once fixed, the same key goes through.
    let bad = json!({"title": "", "slug": "fixed"});
    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(bad),
        &[("idempotency-key", "k9")],
    )
    .await;
    problem(&res, 422, "invalid");
    let good = json!({"title": "Fixed", "slug": "fixed"});
    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(good),
        &[("idempotency-key", "k10")],
    )
    .await;
    assert_eq!(res.status, 201);
    // Another token's key of the same name is its own.
    let other_token = app
        .api_token("other@example.com", Role::Editor, "pages:write")
        .await;
    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &other_token,
        Some(json!({"title": "Mine", "slug": "mine"})),
        &key,
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
}

async fn scopes_and_roles_limit_what_a_token_writes(app: TestApp) {
    let p = page("a", "A").create(&app).await;
    let reader = app
        .api_token("reader@example.com", Role::Editor, "pages:read")
        .await;
    let author = app
        .api_token("author@example.com", Role::Author, "pages:write pages:read")
        .await;
    let body = json!({"title": "X", "slug": "x"});
    for token in [&reader, &author] {
        let res = send(
            &app,
            "POST",
            "/api/v1/pages",
            token,
            Some(body.clone()),
            &[],
        )
        .await;
        problem(&res, 403, "forbidden");
        let res = send(
            &app,
            "PATCH",
            &format!("/api/v1/pages/{}", p.id),
            token,
            Some(body.clone()),
            &[],
        )
        .await;
        problem(&res, 403, "forbidden");
        let res = send(
            &app,
            "DELETE",
            &format!("/api/v1/pages/{}", p.id),
            token,
            None,
            &[],
        )
        .await;
        problem(&res, 403, "forbidden");
        let res = send(&app, "GET", "/api/v1/submissions", token, None, &[]).await;
        problem(&res, 403, "forbidden");
    }
    // No token at all: 401.
    let res = app
        .request(
            TestRequest::post()
                .uri("/api/v1/pages")
                .insert_header(("content-type", "application/json"))
                .set_payload(body.to_string()),
        )
        .await;
    problem(&res, 401, "unauthorized");
    assert_eq!(audit(&app).await.len(), 0, "nothing was written");
    let count: i64 = app
        .with_conn(|c| pages_t::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(count, 1);
}

async fn bad_bodies_are_problems_naming_their_fields(app: TestApp) {
    let token = app
        .api_token("ci@example.com", Role::Editor, "pages:write")
        .await;
    let p = page("a", "A").create(&app).await;
    let cases = [
        (
            json!({"title": "", "slug": "Bad Slug"}),
            vec!["title", "slug"],
        ),
        (
            json!({"title": "T", "slug": "t", "status": "live"}),
            vec!["status"],
        ),
        (
            json!({"title": "T", "slug": "t", "publish_at": "tomorrow"}),
            vec!["publish_at"],
        ),
        (
            json!({"title": "T", "slug": "t", "parent_path": "/nowhere"}),
            vec!["parent_path"],
        ),
        (
            json!({"title": "T", "slug": "t", "status": "scheduled"}),
            vec!["publish_at"],
        ),
    ];
    for (body, fields) in cases {
        let res = send(
            &app,
            "POST",
            "/api/v1/pages",
            &token,
            Some(body.clone()),
            &[],
        )
        .await;
        let p = problem(&res, 422, "invalid");
        let got: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(got, fields, "{body}: {p}");
    }
    for raw in [
        "{not json",
        "[1,2]",
        "{\"title\": 3}",
        "{\"colour\": \"red\"}",
    ] {
        let res = app
            .request(
                TestRequest::post()
                    .uri("/api/v1/pages")
                    .insert_header(("authorization", format!("Bearer {token}")))
                    .insert_header(("content-type", "application/json"))
                    .set_payload(raw),
            )
            .await;
        problem(&res, 400, "bad-request");
    }
    let res = send(
        &app,
        "POST",
        &format!("/api/v1/pages/{}/fly", p.id),
        &token,
        None,
        &[],
    )
    .await;
    problem(&res, 404, "not-found");
    let res = send(
        &app,
        "POST",
        &format!("/api/v1/pages/{}/schedule", p.id),
        &token,
        None,
        &[],
    )
    .await;
    problem(&res, 422, "invalid");
    let res = send(
        &app,
        "PATCH",
        "/api/v1/pages/999",
        &token,
        Some(json!({"title": "x"})),
        &[],
    )
    .await;
    problem(&res, 404, "not-found");
    let huge = "x".repeat(2 * 1024 * 1024);
    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(json!({"title": "T", "slug": "t", "body": huge})),
        &[],
    )
    .await;
    assert!(res.status == 413 || res.status == 422, "{}", res.status);
}

async fn the_inbox_is_read_with_submissions_read(app: TestApp) {
    let token = app
        .api_token("ed@example.com", Role::Editor, "submissions:read")
        .await;
    app.with_conn(|c| {
        for (i, status) in ["new", "read", "spam"].iter().enumerate() {
            diesel::insert_into(contact_submissions::table)
                .values((
                    contact_submissions::name.eq(format!("Sender {i}")),
                    contact_submissions::email.eq(format!("s{i}@example.org")),
                    contact_submissions::subject.eq("Hello"),
                    contact_submissions::message.eq("A message."),
                    contact_submissions::ip.eq("192.0.2.1"),
                    contact_submissions::user_agent.eq("test"),
                    contact_submissions::status.eq(*status),
                    contact_submissions::spam_reason.eq(""),
                    contact_submissions::token_hash.eq(format!("n{i}")),
                    contact_submissions::created_at.eq(galley::clock::now()),
                    contact_submissions::updated_at.eq(galley::clock::now()),
                ))
                .execute(c)
                .unwrap();
        }
    })
    .await;
    let res = send(&app, "GET", "/api/v1/submissions", &token, None, &[]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("cache-control"), "no-store");
    let body = json_of(&res);
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Sender 0", "Sender 1"], "no spam unless asked");
    assert_eq!(body["data"][0]["email"], "s0@example.org");
    let spam = json_of(
        &send(
            &app,
            "GET",
            "/api/v1/submissions?status=spam",
            &token,
            None,
            &[],
        )
        .await,
    );
    assert_eq!(spam["data"].as_array().unwrap().len(), 1);
    let id = body["data"][1]["id"].as_i64().unwrap();
    let one = json_of(
        &send(
            &app,
            "GET",
            &format!("/api/v1/submissions/{id}"),
            &token,
            None,
            &[],
        )
        .await,
    );
    assert_eq!(one["status"], "read");
    let res = send(&app, "GET", "/api/v1/submissions/999", &token, None, &[]).await;
    problem(&res, 404, "not-found");
    let res = send(
        &app,
        "GET",
        "/api/v1/submissions?status=nope",
        &token,
        None,
        &[],
    )
    .await;
    problem(&res, 422, "invalid");
    // Visitors never see the inbox.
    let res = app.get("/api/v1/submissions").await;
    problem(&res, 401, "unauthorized");
}

async fn a_key_taken_by_a_request_still_running_is_not_taken_twice(app: TestApp) {
    use galley::api::idempotency::{self, Reservation};
    let token = app
        .api_token("ci@example.com", Role::Editor, "pages:write")
        .await;
    let token_id: i32 = app
        .with_conn(|c| {
            galley::db::schema::api_tokens::table
                .select(galley::db::schema::api_tokens::id)
                .first(c)
                .unwrap()
        })
        .await;
    let body = json!({"title": "Racing", "slug": "racing", "status": "draft"});
    // What the first of two simultaneous requests did: it took the key and is still writing.
    let hash = galley::tokens::hash(&format!("POST /api/v1/pages\n{body}"));
    let (first, second) = app
        .with_conn(move |c| {
            let now = galley::clock::now();
            let first = idempotency::reserve(c, token_id, "race-1", &hash, now).unwrap();
            let second = idempotency::reserve(c, token_id, "race-1", &hash, now).unwrap();
            (first, second)
        })
        .await;
    assert!(matches!(first, Reservation::New));
    assert!(matches!(second, Reservation::Pending(_)));
    let key = [("idempotency-key", "race-1")];
    let res = send(
        &app,
        "POST",
        "/api/v1/pages",
        &token,
        Some(body.clone()),
        &key,
    )
    .await;
    problem(&res, 409, "idempotency-key-in-use");
    let made: i64 = app
        .with_conn(|c| {
            pages_t::table
                .filter(pages_t::slug.eq("racing"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(made, 0, "nothing written while the first runs");
    // A request that fails gives its key back: the retry is answered.
    let bad = json!({"title": "", "slug": "x"});
    let key = [("idempotency-key", "bad-1")];
    assert_eq!(
        send(&app, "POST", "/api/v1/pages", &token, Some(bad), &key)
            .await
            .status,
        422
    );
    let good = json!({"title": "Fixed", "slug": "fixed"});
    let res = send(&app, "POST", "/api/v1/pages", &token, Some(good), &key).await;
    assert_eq!(res.status, 201, "{}", res.body);
}
