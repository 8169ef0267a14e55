//! Files uploaded through the API (`POST /api/v1/media`, multipart, `media:write`): the library
//! form's checks (type from the bytes, alt text for images), the audit log as the token, the
//! webhooks' `media.created`, idempotent retries, and scopes.

use actix_web::test::TestRequest;
use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::db::schema::{audit_log, media, webhook_deliveries as deliveries};
use serde_json::Value;

use crate::common::browser::multipart;
use crate::common::images::png;
use crate::common::{TestApp, TestResponse};
use crate::db_tests;

db_tests!(files_are_uploaded_through_the_api_with_the_librarys_checks);

async fn post_file(
    app: &TestApp,
    token: Option<&str>,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
    key: Option<&str>,
) -> TestResponse {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let (content_type, body) = multipart(&fields, files);
    let mut req = TestRequest::post()
        .uri("/api/v1/media")
        .insert_header(("content-type", content_type))
        .set_payload(body);
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    if let Some(k) = key {
        req = req.insert_header(("idempotency-key", k));
    }
    app.request(req).await
}

fn json_of(res: &TestResponse) -> Value {
    serde_json::from_str(&res.body).unwrap_or_else(|e| panic!("{e}: {} {}", res.status, res.body))
}

fn fields_of(res: &TestResponse) -> Vec<String> {
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.header("content-type"), "application/problem+json");
    json_of(res)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn files(app: &TestApp) -> i64 {
    app.with_conn(|c| media::table.count().get_result(c).unwrap())
        .await
}

async fn files_are_uploaded_through_the_api_with_the_librarys_checks(app: TestApp) {
    let token = app
        .api_token("ci@example.com", Role::Author, "media:write")
        .await;
    let reader = app
        .api_token("reader@example.com", Role::Editor, "pages:read")
        .await;
    let picture = png(64, 48);
    let file = [("file", "bench.png", picture.as_slice())];

    assert_eq!(
        post_file(&app, None, &[("alt", "x")], &file, None)
            .await
            .status,
        401
    );
    assert_eq!(
        post_file(&app, Some(&reader), &[("alt", "x")], &file, None)
            .await
            .status,
        403
    );
    // The library's checks: alt text for an image, a file whose bytes are what it claims.
    let res = post_file(&app, Some(&token), &[], &file, None).await;
    assert_eq!(fields_of(&res), ["alt"]);
    let fake = [("file", "fake.png", b"<script>alert(1)</script>".as_slice())];
    let res = post_file(&app, Some(&token), &[("alt", "x")], &fake, None).await;
    assert_eq!(fields_of(&res), ["file"]);
    let res = post_file(&app, Some(&token), &[("alt", "x")], &[], None).await;
    assert_eq!(fields_of(&res), ["file"]);
    assert_eq!(files(&app).await, 0);

    // A webhook hears of the new file.
    let sealer = app.state.sealer.clone();
    app.with_conn(move |c| {
        let new = galley::webhooks::endpoints::NewWebhook {
            url: "https://hooks.example.com/galley".into(),
            events: vec!["media.created".into()],
        };
        let actor = galley::audit::Actor::first_start();
        galley::webhooks::endpoints::create(c, &sealer, &new, &actor, galley::clock::now()).unwrap()
    })
    .await;

    let fields = [("alt", "A garden bench"), ("credit", "Ada")];
    let res = post_file(&app, Some(&token), &fields, &file, Some("upload-1")).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let body = json_of(&res);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(res.header("location"), format!("/api/v1/media/{id}"));
    assert_eq!(body["kind"], "image");
    assert_eq!(body["title"], "bench", "a title from the file name");
    assert_eq!(body["alt"], "A garden bench");
    assert_eq!(
        (body["width"].as_i64(), body["height"].as_i64()),
        (Some(64), Some(48))
    );
    assert!(!body["renditions"].as_array().unwrap().is_empty());
    // Retried with the same key: the first answer, no second file.
    let again = post_file(&app, Some(&token), &fields, &file, Some("upload-1")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), "true");
    assert_eq!(json_of(&again)["id"], id);
    assert_eq!(files(&app).await, 1);
    // The same key for another request is refused.
    let other = [("alt", "Another bench")];
    let res = post_file(&app, Some(&token), &other, &file, Some("upload-1")).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(files(&app).await, 1);

    let shown = app.get(&format!("/api/v1/media/{id}")).await;
    assert_eq!(json_of(&shown)["id"], id);
    let (action, actor): (String, String) = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.eq("media.upload"))
                .select((audit_log::action, audit_log::actor))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(action, "media.upload");
    assert!(actor.contains("ci@example.com (API token"), "{actor}");
    let announced: Vec<(String, i32)> = app
        .with_conn(|c| {
            deliveries::table
                .select((deliveries::event, deliveries::object_id))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(announced, [("media.created".to_owned(), id as i32)]);
}
