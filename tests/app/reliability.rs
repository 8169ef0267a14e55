//! What a busy site and an attacker send: concurrent writers, parallel attempts against the
//! limits, NUL bytes and other control characters in every field and path, absurd page numbers,
//! oversized and stalled bodies. None of it may answer 5xx, lose an acknowledged message or get
//! past a limit; both backends answer alike.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use diesel::prelude::*;
use futures_util::future::join_all;
use galley::accounts::login::{self, Attempt};
use galley::accounts::throttle::{ACCOUNT_LIMIT, ADDRESS_LIMIT};
use galley::accounts::users::Role;
use galley::audit::{self, Actor};
use galley::clock::now;
use galley::config::Config;
use galley::contact::submissions::{self, NewSubmission, RATE_LIMIT, Stored};
use galley::contact::token;
use galley::db::schema::{contact_submissions as subs, pages as pages_table, users};
use galley::validation::UNSTORABLE;

use crate::common::fixtures::page;
use crate::common::http;
use crate::common::{TestApp, TestDb};
use crate::db_tests;

db_tests!(
    eight_concurrent_writers_never_see_a_locked_database,
    parallel_contact_posts_all_land_and_none_fail,
    parallel_sign_in_failures_check_at_most_the_limit,
    a_success_from_a_shared_address_takes_back_only_its_own_count,
    parallel_contact_posts_store_at_most_the_limit,
    nul_bytes_in_every_form_field_are_field_errors,
    control_characters_in_paths_and_queries_are_refused_alike,
    page_numbers_of_any_size_show_a_real_page,
    oversized_forms_answer_413_everywhere,
    a_non_ascii_next_is_percent_encoded,
    a_stalled_body_is_answered_408_within_its_deadlines,
);

fn visitor(n: usize, ip: &str) -> NewSubmission {
    NewSubmission {
        name: format!("Writer {n}"),
        email: "writer@example.com".into(),
        subject: String::new(),
        message: format!("message number {n}"),
        ip: ip.into(),
        user_agent: "test".into(),
        spam_reason: None,
        nonce: format!("nonce-{n}-{ip}"),
    }
}

/// Eight threads, each on its own connection to one database file, store messages and record
/// failed sign-ins at once: every transaction that writes begins as a write, so none fails.
async fn eight_concurrent_writers_never_see_a_locked_database(app: TestApp) {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    app.user("target@example.com", Role::Editor).await;
    let pool = galley::db::connect(app.db.url(), THREADS as u32).expect("pool");
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("connection");
                let mut errors = Vec::new();
                for i in 0..EACH {
                    let n = t * EACH + i;
                    // A distinct address per message: the rate limit is not what is tested here.
                    let sub = visitor(n, &format!("10.0.{t}.{i}"));
                    match submissions::store(&mut conn, &sub, None, now()) {
                        Ok(Stored::New { .. }) => {}
                        Ok(_) => errors.push(format!("message {n} not stored")),
                        Err(e) => errors.push(format!("store: {e}")),
                    }
                    let ip = format!("10.1.{t}.{i}");
                    if let Err(e) =
                        login::attempt(&mut conn, "target@example.com", "no", &ip, now())
                    {
                        errors.push(format!("sign-in: {e}"));
                    }
                }
                errors
            })
        })
        .collect();
    let errors: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("thread"))
        .collect();
    assert!(
        errors.is_empty(),
        "{} failures: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    let count: i64 = app
        .with_conn(|c| subs::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(count, (THREADS * EACH) as i64);
}

/// A form token old enough not to look like a bot's.
fn aged_token(app: &TestApp) -> String {
    token::issue(
        app.state.session_key.signing(),
        now().and_utc().timestamp() - 10,
    )
}

fn contact_post(app: &TestApp, ip: &str, name: &str, message: &str) -> TestRequest {
    let body = serde_urlencoded::to_string([
        ("name", name),
        ("email", "visitor@example.com"),
        ("subject", ""),
        ("message", message),
        ("form_token", &aged_token(app)),
    ])
    .unwrap();
    TestRequest::post()
        .uri("/contact")
        .peer_addr(format!("{ip}:5000").parse().unwrap())
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body)
}

/// Through the whole app: 24 visitors send the form at the same moment; all are thanked and all
/// their messages are stored.
async fn parallel_contact_posts_all_land_and_none_fail(app: TestApp) {
    let requests = (0..24).map(|i| {
        app.request(contact_post(
            &app,
            &format!("192.0.2.{}", i + 1),
            &format!("Visitor {i}"),
            "Hello there",
        ))
    });
    let statuses: Vec<u16> = join_all(requests)
        .await
        .into_iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    let count: i64 = app
        .with_conn(|c| subs::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(count, 24);
}

/// 40 wrong passwords for one account at once: the attempt is counted before the password is
/// checked, so at most the limit are checked and the rest are refused (429).
async fn parallel_sign_in_failures_check_at_most_the_limit(app: TestApp) {
    app.user("victim@example.com", Role::Editor).await;
    let attempts = (0..40).map(|i| {
        let pool = app.pool().clone();
        // Distinct addresses: the account's limit is what is raced here.
        let ip = format!("198.51.100.{}", i + 1);
        actix_web::web::block(move || {
            let mut c = pool.get().expect("connection");
            login::attempt(&mut c, "victim@example.com", "wrong guess", &ip, now())
                .map(|a| matches!(a, Attempt::Failed))
        })
    });
    let outcomes: Vec<bool> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("blocking").expect("no database error"))
        .collect();
    let checked = outcomes.iter().filter(|failed| **failed).count();
    assert!(
        checked <= ACCOUNT_LIMIT as usize && checked > 0,
        "{checked} of 40 were checked (limit {ACCOUNT_LIMIT})"
    );

    // The same race from one address, over the HTTP form, never answers 5xx.
    let mut browsers = Vec::new();
    for _ in 0..20 {
        let mut b = app.browser();
        b.ip = "203.0.113.77".into();
        b.get("/login").await;
        browsers.push(b);
    }
    let statuses: Vec<u16> = join_all(browsers.iter_mut().map(|b| {
        b.post(
            "/login",
            &[("email", "someone@example.com"), ("password", "guess")],
        )
    }))
    .await
    .into_iter()
    .map(|r| r.status.as_u16())
    .collect();
    assert!(
        statuses.iter().all(|s| *s == 422 || *s == 429),
        "{statuses:?}"
    );
}

/// An office behind one address: after the address was throttled and its closure ran out, people
/// who sign in correctly neither close it again nor keep its failures from being forgotten.
async fn a_success_from_a_shared_address_takes_back_only_its_own_count(app: TestApp) {
    let ann = app.user("ann@example.com", Role::Editor).await;
    let bob = app.user("bob@example.com", Role::Editor).await;
    let outcomes = app
        .with_conn(move |c| {
            let office = "192.0.2.50";
            let t0 = now();
            let at = |s: i64| t0 + chrono::Duration::seconds(s);
            let mut seen = Vec::new();
            for i in 0..ADDRESS_LIMIT {
                let guess = format!("guess{i}@example.com");
                let a = login::attempt(c, &guess, "wrong", office, at(0)).unwrap();
                assert!(matches!(a, Attempt::Failed), "failure {i} is checked");
            }
            let mut sign_in =
                |email: &str, pw: &str, s: i64| match login::attempt(c, email, pw, office, at(s))
                    .unwrap()
                {
                    Attempt::Success(_) | Attempt::SecondStep(_) => "signed in",
                    Attempt::Failed => "failed",
                    Attempt::Locked { .. } => "locked",
                };
            seen.push(sign_in("ann@example.com", &ann, 1));
            // Past the 30 s closure: each correct sign-in goes through, and the next one too.
            seen.push(sign_in("ann@example.com", &ann, 31));
            seen.push(sign_in("bob@example.com", &bob, 32));
            seen.push(sign_in("bob@example.com", &bob, 33));
            // A day after the last failure the count starts over, successes notwithstanding.
            seen.push(sign_in("nobody@example.com", "wrong", 25 * 3600));
            seen.push(sign_in("ann@example.com", &ann, 25 * 3600 + 1));
            seen
        })
        .await;
    assert_eq!(
        outcomes,
        [
            "locked",
            "signed in",
            "signed in",
            "signed in",
            "failed",
            "signed in"
        ]
    );
}

/// 20 posts with valid tokens from one address at once: at most the limit are stored; the rest
/// get the 429 page with their text kept.
async fn parallel_contact_posts_store_at_most_the_limit(app: TestApp) {
    let requests = (0..20).map(|i| {
        app.request(contact_post(
            &app,
            "192.0.2.200",
            &format!("Flooder {i}"),
            &format!("flood message {i}"),
        ))
    });
    let replies = join_all(requests).await;
    let thanked = replies.iter().filter(|r| r.status == 303).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(thanked + refused.len(), 20, "only 303 and 429");
    assert!(refused.iter().all(|r| r.body.contains("flood message")));
    let count: i64 = app
        .with_conn(|c| subs::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(count, RATE_LIMIT, "stored exactly the limit");
    assert_eq!(thanked as i64, RATE_LIMIT);
}

/// A NUL in any text field of any form: the form comes back (422) with the error next to that
/// field, and nothing is stored, on both backends.
async fn nul_bytes_in_every_form_field_are_field_errors(app: TestApp) {
    // The contact form.
    for field in ["name", "email", "subject", "message"] {
        let mut fields = vec![
            ("name", "Ann".to_owned()),
            ("email", "ann@example.com".to_owned()),
            ("subject", "Hi".to_owned()),
            ("message", "Hello".to_owned()),
            ("form_token", aged_token(&app)),
        ];
        for (k, v) in fields.iter_mut() {
            if *k == field {
                v.push('\0');
            }
        }
        let res = app
            .request(
                TestRequest::post()
                    .uri("/contact")
                    .insert_header(("content-type", "application/x-www-form-urlencoded"))
                    .set_payload(serde_urlencoded::to_string(&fields).unwrap()),
            )
            .await;
        assert_eq!(res.status, 422, "contact {field}");
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "contact {field}: error next to the field"
        );
    }
    let count: i64 = app
        .with_conn(|c| subs::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(count, 0, "nothing stored");

    // Signing in.
    let pw = app.user("boss@example.com", Role::Admin).await;
    let mut b = app.browser();
    for (email, password) in [("boss@example.com\0", pw.as_str()), ("\0", "x\0y")] {
        assert_eq!(b.try_sign_in(email, password, "").await.status, 422);
    }
    b.sign_in("boss@example.com", &pw).await;
    let users_before: i64 = app
        .with_conn(|c| users::table.count().get_result(c).unwrap())
        .await;

    // A page, each of its text fields.
    for field in ["title", "summary", "body", "seo_title", "related", "note"] {
        b.get("/admin/pages/new").await;
        let mut fields = [
            ("title", "A title".to_owned()),
            ("slug", "nul-page".to_owned()),
            ("summary", "A summary".to_owned()),
            ("body", "Some text".to_owned()),
            ("seo_title", String::new()),
            ("related", String::new()),
            ("note", String::new()),
            ("status", "published".to_owned()),
        ];
        for (k, v) in fields.iter_mut() {
            if *k == field {
                v.push_str("bad\0byte");
            }
        }
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = b.post("/admin/pages", &pairs).await;
        assert_eq!(res.status, 422, "page {field}: {}", res.status);
        assert!(res.body.contains(UNSTORABLE), "page {field}: the message");
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "page {field}: error next to the field"
        );
    }
    b.get("/admin/pages/new").await;
    let res = b
        .post(
            "/admin/pages",
            &[("title", "x"), ("slug", "bad\0slug"), ("status", "draft")],
        )
        .await;
    assert_eq!(res.status, 422, "slug");
    let pages: i64 = app
        .with_conn(|c| pages_table::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(pages, 0, "no page stored");

    // Settings, users, redirects, passwords, the inbox status.
    for field in [
        "site_name",
        "tagline",
        "base_url",
        "footer_text",
        "contact_recipient",
    ] {
        b.get("/admin/settings").await;
        let mut fields = [
            ("site_name", "Site".to_owned()),
            ("tagline", String::new()),
            ("base_url", String::new()),
            ("home_page_id", String::new()),
            ("footer_text", String::new()),
            ("contact_recipient", String::new()),
            ("spam_retention_days", "30".to_owned()),
        ];
        for (k, v) in fields.iter_mut() {
            if *k == field {
                v.push('\0');
            }
        }
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = b.post("/admin/settings", &pairs).await;
        assert_eq!(res.status, 422, "settings {field}");
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "settings {field}"
        );
    }
    b.get("/admin/users/new").await;
    let res = b
        .post(
            "/admin/users",
            &[
                ("email", "new\0@example.com"),
                ("role", "editor"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "user e-mail");
    assert!(res.body.contains("id=\"email-error\""));
    let users: i64 = app
        .with_conn(|c| users::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(users, users_before, "no user added");
    for (from, to) in [("/old\0", "/new"), ("/old", "/new\0")] {
        b.get("/admin/redirects").await;
        let res = b
            .post("/admin/redirects", &[("from_path", from), ("to_path", to)])
            .await;
        assert_eq!(res.status, 422, "redirect {from:?} -> {to:?}");
    }
    b.get("/admin/account").await;
    let res = b
        .post(
            "/admin/account/password",
            &[
                ("current", "x\0"),
                ("password", "new\0pass word"),
                ("confirm", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "password change");
    b.get("/admin/submissions").await;
    let res = b
        .post("/admin/submissions/1/status", &[("status", "read\0")])
        .await;
    assert!(res.status.is_client_error(), "status: {}", res.status);
    let res = b.post("/admin/preview", &[("body", "a\0b")]).await;
    assert!(!res.status.is_server_error(), "preview: {}", res.status);
}

/// Paths with a NUL (or another control character) answer 404, whatever route they would reach;
/// in a query string such a character is white space (the search and every list still answer).
async fn control_characters_in_paths_and_queries_are_refused_alike(app: TestApp) {
    page("glossary", "Glossary").create(&app).await;
    for path in [
        "/%00",
        "/glossary%00",
        "/glossary/slug%00",
        "/%00/x",
        "/static/%00",
        "/contact%00",
        "/account/set-password/%00",
        "/sitemaps/%01",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(res.body.contains("Page not found"), "{path}: the 404 page");
    }
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    for path in [
        "/search?q=%00",
        "/admin/pages?q=%00",
        "/admin/pages?q=a%00b&status=%00&hub=%01",
        "/admin/submissions?q=%00&status=new%00",
        "/admin/pages?page=1%00",
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status, 200, "{path}");
    }
    assert_eq!(app.get("/login?next=%00").await.status, 200);
    let found = b.get("/search?q=%00glossary%1F").await;
    assert!(
        found.body.contains("href=\"/glossary\""),
        "searched for the word"
    );
}

/// Page numbers past the end, huge enough to overflow an offset, negative or not numbers: every
/// list shows its last (or first) page, labelled as such, never an empty "page N of N".
async fn page_numbers_of_any_size_show_a_real_page(app: TestApp) {
    let pw = app.user("boss@example.com", Role::Admin).await;
    app.with_conn(|c| {
        for i in 0..120 {
            audit::record(c, &Actor::cli(), "test.entry", &format!("entry {i}"), now()).unwrap();
        }
        for n in 0..31 {
            submissions::store(c, &visitor(n, &format!("10.9.0.{n}")), None, now()).unwrap();
        }
    })
    .await;
    for i in 0..12 {
        page(&format!("lantern-{i}"), &format!("Lantern {i}"))
            .create(&app)
            .await;
    }
    let mut b = app.browser();
    b.sign_in("boss@example.com", &pw).await;
    for (path, last) in [
        ("/admin/audit?page=18446744073709551615", "Page 3 of 3"),
        ("/admin/audit?page=999", "Page 3 of 3"),
        ("/admin/submissions?page=307445734561825862", "Page 2 of 2"),
        (
            "/admin/submissions?page=99999999999999999999999",
            "Page 2 of 2",
        ),
        ("/search?q=lantern&page=18446744073709551615", "Page 2 of 2"),
        ("/search?q=lantern&page=999", "Page 2 of 2"),
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(res.body.contains(last), "{path}: {last}");
        assert!(
            res.body.contains("rel=\"prev\""),
            "{path}: a real last page"
        );
    }
    for path in [
        "/admin/audit?page=-1",
        "/admin/audit?page=abc",
        "/admin/submissions?page=0",
        "/admin/pages?page=-5",
        "/admin/pages?page=18446744073709551615",
        "/search?q=lantern&page=-1",
    ] {
        let res = b.get(path).await;
        assert_eq!(res.status, 200, "{path}");
    }
    let first = b.get("/admin/audit?page=-1").await;
    assert!(first.body.contains("Page 1 of 3"));
}

/// A body over the limit answers 413 on every form, public or signed-in, without a 500.
async fn oversized_forms_answer_413_everywhere(app: TestApp) {
    let huge = format!("message={}", "x".repeat(10 * 1024 * 1024));
    let b = app.signed_in("ed@example.com", Role::Editor).await;
    for path in [
        "/login",
        "/contact",
        "/admin/pages",
        "/admin/preview",
        "/logout",
    ] {
        let res = app
            .request(
                TestRequest::post()
                    .uri(path)
                    .insert_header(("content-type", "application/x-www-form-urlencoded"))
                    .insert_header(("cookie", b.cookie().unwrap_or_default().to_owned()))
                    .set_payload(huge.clone()),
            )
            .await;
        assert_eq!(res.status, 413, "{path}");
        assert!(res.body.contains("Too large"), "{path}: the error page");
    }
}

/// `next` in another script reaches the Location header percent-encoded.
async fn a_non_ascii_next_is_percent_encoded(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    let mut b = app.browser();
    let res = b.try_sign_in("ed@example.com", &pw, "/café?q=ü").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/caf%C3%A9?q=%C3%BC");
}

/// Over a real socket: a body that stops arriving, and one that trickles in past the total
/// deadline, are both answered 408 and the connection is closed.
async fn a_stalled_body_is_answered_408_within_its_deadlines(app: TestApp) {
    let app = TestApp::with_config(
        TestDb::Borrowed(app.db.url().to_owned()),
        Config {
            body_timeout: 3,
            body_idle_timeout: 1,
            ..Config::for_database("")
        },
    )
    .await;
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || galley::app::build(state.clone()))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let outcome = actix_web::web::block(move || {
        let head = "POST /contact HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n";
        // Stalled: a few bytes, then nothing.
        let mut stalled = TcpStream::connect(addr).unwrap();
        stalled.write_all(head.as_bytes()).unwrap();
        stalled.write_all(b"name=Ann&message=hel").unwrap();
        let start = Instant::now();
        let stalled_reply = http::read_reply(&mut stalled).map(|r| r.status);
        let stalled_after = start.elapsed();

        // Trickling: a byte every 400 ms keeps the idle deadline at bay, not the total one.
        let mut trickle = TcpStream::connect(addr).unwrap();
        trickle.write_all(head.as_bytes()).unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(8) {
            if trickle.write_all(b"x").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(400));
            let mut peek = [0u8; 1];
            trickle.set_nonblocking(true).unwrap();
            let ready = trickle.peek(&mut peek).is_ok_and(|n| n > 0);
            trickle.set_nonblocking(false).unwrap();
            if ready {
                break;
            }
        }
        let trickle_after = start.elapsed();
        trickle
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let trickle_reply = http::read_reply(&mut trickle).map(|r| r.status);
        (stalled_reply, stalled_after, trickle_reply, trickle_after)
    })
    .await
    .unwrap();
    handle.stop(false).await;
    let (stalled, stalled_after, trickled, trickle_after) = outcome;
    assert_eq!(stalled, Some(408), "the stalled body");
    assert!(
        stalled_after < Duration::from_secs(3),
        "idle deadline (1 s): answered after {stalled_after:?}"
    );
    assert_eq!(trickled, Some(408), "the trickling body");
    assert!(
        trickle_after >= Duration::from_secs(2) && trickle_after < Duration::from_secs(6),
        "total deadline (3 s): answered after {trickle_after:?}"
    );
}
