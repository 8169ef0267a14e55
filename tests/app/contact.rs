//! The contact form, its spam defences, the inbox, the CSV export, retention, and notification
//! e-mails delivered to a real SMTP server on loopback.

use std::sync::Arc;

use actix_web::test::TestRequest;
use chrono::Duration;
use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::clock::now;
use galley::config::Config;
use galley::contact::{mailer, submissions, token};
use galley::db::schema::{contact_submissions as subs, outbox as outbox_table};
use galley::outbox;

use crate::common::fixtures::page;
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, TestResponse};
use crate::db_tests;

db_tests!(
    invalid_forms_keep_values_and_store_nothing,
    valid_messages_are_stored_before_the_redirect,
    a_resent_form_is_stored_once,
    honeypot_and_too_fast_are_kept_as_spam,
    rate_limit_answers_429_and_keeps_the_text,
    expired_or_forged_tokens_get_a_fresh_form,
    anything_is_stored_verbatim_and_shown_escaped,
    inbox_filters_statuses_and_roles,
    csv_export_is_quoted_and_neutralised,
    old_spam_is_purged,
    notifications_are_delivered_and_retried,
    two_workers_never_hold_the_same_mail,
    the_contact_page_introduces_the_form,
);

/// A form token issued `secs_ago` seconds ago.
fn token_aged(app: &TestApp, secs_ago: i64) -> String {
    token::issue(
        app.state.session_key.signing(),
        now().and_utc().timestamp() - secs_ago,
    )
}

async fn send(app: &TestApp, ip: &str, fields: &[(&str, &str)]) -> TestResponse {
    let body = serde_urlencoded::to_string(fields).unwrap();
    app.request(
        TestRequest::post()
            .uri("/contact")
            .peer_addr(format!("{ip}:5000").parse().unwrap())
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body),
    )
    .await
}

async fn send_valid(app: &TestApp, ip: &str, message: &str) -> TestResponse {
    let t = token_aged(app, 10);
    send(
        app,
        ip,
        &[
            ("name", "Ann Visitor"),
            ("email", "ann@example.com"),
            ("subject", "Hello"),
            ("message", message),
            ("form_token", &t),
        ],
    )
    .await
}

async fn stored(app: &TestApp) -> Vec<submissions::Submission> {
    app.with_conn(|c| {
        subs::table
            .order(subs::id.asc())
            .select(submissions::Submission::as_select())
            .load(c)
            .unwrap()
    })
    .await
}

async fn invalid_forms_keep_values_and_store_nothing(app: TestApp) {
    let page = app.get("/contact").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"form_token\""));
    assert!(
        page.body.contains("Up to 5000 characters."),
        "limits are stated on the form"
    );
    let t = token_aged(&app, 10);
    let long = "x".repeat(5001);
    let res = send(
        &app,
        "192.0.2.1",
        &[
            ("name", ""),
            ("email", "not-an-address"),
            ("subject", "Kept <subject>"),
            ("message", &long),
            ("form_token", &t),
        ],
    )
    .await;
    assert_eq!(res.status, 422);
    for msg in [
        "Please tell us your name.",
        "This does not look like an e-mail address",
        "Please keep the message under 5000 characters",
    ] {
        assert!(res.body.contains(msg), "{msg}");
    }
    assert!(res.body.contains("value=\"not-an-address\""));
    assert!(
        res.body.contains("Kept &#60;subject&#62;") || res.body.contains("Kept &lt;subject&gt;")
    );
    assert!(res.body.contains(&long), "the message is kept");
    assert!(stored(&app).await.is_empty());
}

async fn valid_messages_are_stored_before_the_redirect(app: TestApp) {
    let res = send_valid(&app, "192.0.2.1", "Is galley fast?").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/contact/thanks");
    let rows = stored(&app).await;
    assert_eq!(
        rows.len(),
        1,
        "on disk by the time the visitor is redirected"
    );
    let s = &rows[0];
    assert_eq!(
        (
            s.name.as_str(),
            s.email.as_str(),
            s.subject.as_str(),
            s.message.as_str()
        ),
        ("Ann Visitor", "ann@example.com", "Hello", "Is galley fast?")
    );
    assert_eq!((s.status.as_str(), s.ip.as_str()), ("new", "192.0.2.1"));
    let thanks = app.get("/contact/thanks").await;
    assert_eq!(thanks.status, 200);
    assert!(thanks.body.contains("Thank you"));
    let n: i64 = app
        .with_conn(|c| outbox_table::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 0, "no SMTP configured: nothing queued");
}

async fn a_resent_form_is_stored_once(app: TestApp) {
    let t = token_aged(&app, 10);
    let fields = [
        ("name", "Ann"),
        ("email", "ann@example.com"),
        ("message", "Only once please"),
        ("form_token", t.as_str()),
    ];
    assert_eq!(send(&app, "192.0.2.1", &fields).await.status, 303);
    let again = send(&app, "192.0.2.1", &fields).await;
    assert_eq!(
        again.status, 303,
        "a double-click still ends on the thank-you page"
    );
    assert_eq!(stored(&app).await.len(), 1);
}

async fn honeypot_and_too_fast_are_kept_as_spam(app: TestApp) {
    let sink = SmtpSink::start(0);
    let config = Config {
        smtp_url: Some(sink.url()),
        notify_to: Some("editors@example.com".into()),
        ..Config::for_database("")
    };
    let app = TestApp::with_config(app.db.sibling(), config).await;
    let t = token_aged(&app, 10);
    let res = send(
        &app,
        "192.0.2.1",
        &[
            ("name", "Bot"),
            ("email", "bot@example.com"),
            ("message", "Buy now"),
            ("hp_comment", "http://spam.example"),
            ("form_token", &t),
        ],
    )
    .await;
    assert_eq!(res.status, 303);
    let fresh = token_aged(&app, 0);
    let res = send(
        &app,
        "192.0.2.2",
        &[
            ("name", "Quick"),
            ("email", "q@example.com"),
            ("message", "Fast"),
            ("form_token", &fresh),
        ],
    )
    .await;
    assert_eq!(res.status, 303);
    let rows = stored(&app).await;
    assert_eq!(rows.len(), 2, "suspected spam is kept");
    assert!(rows.iter().all(|s| s.status == "spam"));
    assert!(
        rows[0].spam_reason.contains("honeypot")
            && rows[1].spam_reason.contains("after the form was shown")
    );
    let queued: i64 = app
        .with_conn(|c| outbox_table::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(queued, 0, "spam is never notified");
    send_valid(&app, "192.0.2.3", "A real one").await;
    let queued: i64 = app
        .with_conn(|c| outbox_table::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(queued, 1, "a real message is");
}

async fn rate_limit_answers_429_and_keeps_the_text(app: TestApp) {
    for i in 0..submissions::RATE_LIMIT {
        assert_eq!(
            send_valid(&app, "198.51.100.9", &format!("message {i}"))
                .await
                .status,
            303
        );
    }
    let res = send_valid(&app, "198.51.100.9", "one too many").await;
    assert_eq!(res.status, 429);
    assert!(
        res.body.contains("please try again in 10 minutes"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("one too many"),
        "the text is kept, not silently dropped"
    );
    assert_eq!(res.header("retry-after"), "600");
    assert_eq!(stored(&app).await.len() as i64, submissions::RATE_LIMIT);
    assert_eq!(
        send_valid(&app, "198.51.100.10", "another address")
            .await
            .status,
        303
    );
}

async fn expired_or_forged_tokens_get_a_fresh_form(app: TestApp) {
    let old = token_aged(&app, token::MAX_AGE_SECONDS + 60);
    for t in [old.as_str(), "forged.token.value", ""] {
        let res = send(
            &app,
            "192.0.2.1",
            &[
                ("name", "Ann"),
                ("email", "ann@example.com"),
                ("message", "Still here"),
                ("form_token", t),
            ],
        )
        .await;
        assert_eq!(res.status, 422);
        assert!(res.body.contains("Still here") && res.body.contains("please send it again"));
        assert!(
            !res.body.contains(&format!("value=\"{t}\"")) || t.is_empty(),
            "a fresh token"
        );
    }
    assert!(stored(&app).await.is_empty());
}

async fn anything_is_stored_verbatim_and_shown_escaped(app: TestApp) {
    let message = format!(
        "Grüße 👋 — 日本語 ✓\n<script>alert('x')</script>\n<b onmouseover=x>bold</b> & \"quotes\"\n{}",
        "long ".repeat(900)
    );
    let t = token_aged(&app, 10);
    let name = "Zoë <img src=x onerror=alert(1)>";
    send(
        &app,
        "192.0.2.1",
        &[
            ("name", name),
            ("email", "zoe@example.com"),
            ("subject", "=cmd|' /C calc'!A0"),
            ("message", &message),
            ("form_token", &t),
        ],
    )
    .await;
    let rows = stored(&app).await;
    assert_eq!(rows[0].message, message.trim(), "stored verbatim");
    assert_eq!(rows[0].name, name);

    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    for page in [
        b.get("/admin/submissions").await.body,
        b.get(&format!("/admin/submissions/{}", rows[0].id))
            .await
            .body,
    ] {
        assert!(!page.contains("<script>alert"), "escaped");
        assert!(!page.contains("<img src=x"), "escaped");
        assert!(!page.contains("<b onmouseover"), "escaped");
    }
    let shown = b
        .get(&format!("/admin/submissions/{}", rows[0].id))
        .await
        .body;
    assert!(shown.contains("Grüße 👋 — 日本語 ✓"));
}

async fn inbox_filters_statuses_and_roles(app: TestApp) {
    send_valid(&app, "192.0.2.1", "first about pricing").await;
    send_valid(&app, "192.0.2.2", "second about hosting").await;
    let t = token_aged(&app, 0);
    send(
        &app,
        "192.0.2.3",
        &[
            ("name", "Spammer"),
            ("email", "s@example.com"),
            ("message", "spam spam"),
            ("form_token", &t),
        ],
    )
    .await;
    let mut ed = app.signed_in("ed@example.com", Role::Editor).await;
    let inbox = ed.get("/admin/submissions").await.body;
    assert!(
        inbox.contains("2 messages."),
        "spam is not in the default view"
    );
    assert!(
        inbox.contains("Inbox <span class=\"count\">2"),
        "new count in the navigation"
    );
    assert!(
        ed.get("/admin/submissions?status=spam")
            .await
            .body
            .contains("Spammer")
    );
    let found = ed.get("/admin/submissions?q=HOSTING").await.body;
    assert!(
        found.contains("1 message."),
        "search looks into the message text"
    );

    let rows = stored(&app).await;
    let first = rows[0].id;
    let page = ed.get(&format!("/admin/submissions/{first}")).await;
    assert!(
        page.body.contains("first about pricing")
            && page
                .body
                .contains("mailto:ann@example.com?subject=Re%3A%20Hello")
    );
    assert_eq!(
        app.with_conn(move |c| submissions::find(c, first).unwrap().status)
            .await,
        "read",
        "opening marks read"
    );
    assert!(
        ed.get("/admin")
            .await
            .body
            .contains("<strong>1</strong> new message")
    );

    for status in ["replied", "archived", "spam", "new"] {
        let res = ed
            .post(
                &format!("/admin/submissions/{first}/status"),
                &[("status", status)],
            )
            .await;
        assert_eq!(res.status, 303);
        assert_eq!(
            app.with_conn(move |c| submissions::find(c, first).unwrap().status)
                .await,
            status
        );
        ed.get(&format!("/admin/submissions?status={status}")).await;
    }
    assert_eq!(
        ed.post(
            &format!("/admin/submissions/{first}/status"),
            &[("status", "bogus")]
        )
        .await
        .status,
        400
    );
    let res = ed
        .post(
            &format!("/admin/submissions/{first}/delete"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 403, "only admins delete");

    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    boss.get(&format!("/admin/submissions/{first}")).await;
    boss.post(&format!("/admin/submissions/{first}/delete"), &[])
        .await;
    assert!(
        app.with_conn(move |c| submissions::find(c, first))
            .await
            .is_ok(),
        "not without confirmation"
    );
    assert_eq!(
        boss.post(
            &format!("/admin/submissions/{first}/delete"),
            &[("confirm", "yes")]
        )
        .await
        .status,
        303
    );
    assert!(
        app.with_conn(move |c| submissions::find(c, first))
            .await
            .is_err()
    );
    assert_eq!(
        app.browser().get("/admin/submissions").await.status,
        303,
        "anonymous: sign in first"
    );
}

async fn csv_export_is_quoted_and_neutralised(app: TestApp) {
    let t = token_aged(&app, 10);
    send(
        &app,
        "192.0.2.1",
        &[
            ("name", "=HYPERLINK(\"http://evil\")"),
            ("email", "a@example.com"),
            ("subject", "+1, \"quoted\""),
            ("message", "line one\nline two, with comma\n@SUM(A1)"),
            ("form_token", &t),
        ],
    )
    .await;
    send_valid(&app, "192.0.2.2", "-plain minus").await;
    let t = token_aged(&app, 0);
    send(
        &app,
        "192.0.2.3",
        &[
            ("name", "Spam"),
            ("email", "s@example.com"),
            ("message", "spam"),
            ("form_token", &t),
        ],
    )
    .await;
    let mut ed = app.signed_in("ed@example.com", Role::Editor).await;
    let res = ed.get("/admin/submissions.csv").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").starts_with("text/csv"));
    assert!(res.header("content-disposition").contains("attachment"));
    let mut reader = csv::Reader::from_reader(res.body.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 2, "filtered as on screen: no spam");
    let evil = records.iter().find(|r| r[3].contains("HYPERLINK")).unwrap();
    assert_eq!(&evil[3], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(&evil[5], "'+1, \"quoted\"");
    assert_eq!(
        &evil[6], "line one\nline two, with comma\n@SUM(A1)",
        "quoted multi-line cell survives intact"
    );
    let minus = records
        .iter()
        .find(|r| r[6].contains("plain minus"))
        .unwrap();
    assert_eq!(&minus[6], "'-plain minus");
    let spam = ed.get("/admin/submissions.csv?status=spam").await.body;
    assert!(spam.contains("Spam") && !spam.contains("HYPERLINK"));
}

async fn old_spam_is_purged(app: TestApp) {
    let t = token_aged(&app, 0);
    send(
        &app,
        "192.0.2.1",
        &[
            ("name", "Old spam"),
            ("email", "s@example.com"),
            ("message", "x"),
            ("form_token", &t),
        ],
    )
    .await;
    send_valid(&app, "192.0.2.2", "old but real").await;
    let t = token_aged(&app, 0);
    send(
        &app,
        "192.0.2.3",
        &[
            ("name", "New spam"),
            ("email", "s@example.com"),
            ("message", "x"),
            ("form_token", &t),
        ],
    )
    .await;
    // Age the first two by 40 days.
    app.with_conn(|c| {
        diesel::update(subs::table.filter(subs::name.ne("New spam")))
            .set(subs::created_at.eq(now() - Duration::days(40)))
            .execute(c)
            .unwrap()
    })
    .await;
    let purged = app
        .with_conn(|c| submissions::purge_spam(c, 30, now()).unwrap())
        .await;
    assert_eq!(purged, 1);
    let names: Vec<String> = stored(&app).await.into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["Ann Visitor", "New spam"], "only old spam goes");
}

async fn notifications_are_delivered_and_retried(app: TestApp) {
    let sink = SmtpSink::start(1);
    let config = Config {
        smtp_url: Some(sink.url()),
        notify_to: Some("fallback@example.com".into()),
        ..Config::for_database("")
    };
    let app = TestApp::with_config(app.db.sibling(), config).await;
    app.with_conn_then_refresh(|c| {
        let s = galley::snapshot::settings::Settings {
            contact_recipient: "editors@example.com".into(),
            ..galley::snapshot::settings::Settings::load(c).unwrap()
        };
        s.save(c).unwrap()
    })
    .await;
    assert!(app.state.notifications_on());
    send_valid(&app, "192.0.2.1", "Please call me back.").await;
    let mailer = Arc::clone(app.state.mailer.as_ref().unwrap());
    let t0 = now();

    // First attempt: the server refuses with a temporary error.
    assert_eq!(mailer::run_once(app.pool(), &mailer, t0).await.unwrap(), 0);
    let mail = app
        .with_conn(|c| {
            outbox_table::table
                .select(outbox::Mail::as_select())
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!((mail.attempts, mail.state()), (1, "retrying"));
    assert!(
        mail.last_error.contains("451") || mail.last_error.to_lowercase().contains("busy"),
        "{}",
        mail.last_error
    );
    assert!(sink.messages().is_empty());

    let mut ed = app.signed_in("ed@example.com", Role::Editor).await;
    let id = stored(&app).await[0].id;
    let page = ed.get(&format!("/admin/submissions/{id}")).await.body;
    assert!(
        page.contains("retrying, 1 attempt") && page.contains("last error"),
        "the failure shows on the submission"
    );

    // Not before its backoff...
    assert_eq!(
        mailer::run_once(app.pool(), &mailer, t0 + Duration::seconds(5))
            .await
            .unwrap(),
        0
    );
    // ...then delivered.
    assert_eq!(
        mailer::run_once(app.pool(), &mailer, t0 + Duration::seconds(31))
            .await
            .unwrap(),
        1
    );
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(
        m.contains("To: editors@example.com"),
        "the admin setting wins over GALLEY_NOTIFY_TO: {m}"
    );
    assert!(m.contains("Reply-To: ann@example.com"));
    assert!(m.contains("Subject: [galley] Message from Ann Visitor: Hello"));
    assert!(m.contains("Please call me back."));
    assert!(
        ed.get(&format!("/admin/submissions/{id}"))
            .await
            .body
            .contains("sent, 2 attempts")
    );
    // A restart (a new worker) finds nothing left to send: sent once.
    assert_eq!(
        mailer::run_once(app.pool(), &mailer, t0 + Duration::hours(2))
            .await
            .unwrap(),
        0
    );
    assert_eq!(sink.messages().len(), 1);
}

async fn two_workers_never_hold_the_same_mail(app: TestApp) {
    let t = now();
    app.with_conn(move |c| {
        let mail = outbox::NewMail {
            recipient: "r@example.com".into(),
            reply_to: String::new(),
            subject: "s".into(),
            body: "b".into(),
        };
        outbox::enqueue(c, None, &mail, t).unwrap()
    })
    .await;
    let a = app
        .with_conn(move |c| outbox::claim_due(c, "worker-a", t).unwrap())
        .await;
    assert!(a.is_some());
    let b = app
        .with_conn(move |c| outbox::claim_due(c, "worker-b", t).unwrap())
        .await;
    assert!(b.is_none(), "leased to worker a");
    // Worker b cannot record a result for a mail it does not hold.
    let mail = a.unwrap();
    let id = mail.id;
    app.with_conn(move |c| outbox::mark_sent(c, id, "worker-b", t).unwrap())
        .await;
    let state = app
        .with_conn(move |c| {
            outbox_table::table
                .find(id)
                .select(outbox::Mail::as_select())
                .first(c)
                .unwrap()
        })
        .await;
    assert!(state.sent_at.is_none());
    // A worker that died loses its lease: another takes over after it runs out.
    let later = t + outbox::LEASE + Duration::seconds(1);
    let b = app
        .with_conn(move |c| outbox::claim_due(c, "worker-b", later).unwrap())
        .await;
    assert_eq!(b.map(|m| m.id), Some(id));
    app.with_conn(move |c| outbox::mark_sent(c, id, "worker-b", later).unwrap())
        .await;
    let none = app
        .with_conn(move |c| outbox::claim_due(c, "worker-a", later + outbox::LEASE * 2).unwrap())
        .await;
    assert!(none.is_none(), "sent mail is never claimed again");
}

async fn the_contact_page_introduces_the_form(app: TestApp) {
    let res = app.get("/contact").await;
    assert_eq!(res.status, 200);
    assert!(
        res.body.contains("<h1>Contact</h1>"),
        "a plain title without a page"
    );

    page("contact", "Write to <us> & co")
        .summary("Answers within a day & a night")
        .body("We read **everything**.")
        .create(&app)
        .await;
    let res = app.get("/contact").await;
    assert_eq!(res.status, 200);
    let body = &res.body;
    assert!(
        body.contains("<h1>Write to &#60;us&#62; &#38; co</h1>")
            || body.contains("<h1>Write to &lt;us&gt; &amp; co</h1>"),
        "the page's title, escaped once: {body}"
    );
    assert!(
        body.contains("content=\"Answers within a day &#38; a night\"")
            || body.contains("content=\"Answers within a day &amp; a night\""),
        "its summary as the description"
    );
    assert!(body.contains("<strong>everything</strong>"), "its text");
    assert!(body.contains("name=\"message\""), "and the form");
}
