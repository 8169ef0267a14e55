//! Password resets by e-mail and the account notices, delivered to a real SMTP server on
//! loopback: the same answer for known and unknown addresses, a link that works once, expires
//! and dies with any password change, ends every session and keeps the second factor; "your
//! password was changed" and "a new sign-in" notices.

use std::sync::Arc;

use diesel::prelude::*;
use galley::accounts::reset;
use galley::accounts::users::Role;
use galley::clock::now;
use galley::config::Config;
use galley::contact::mailer;
use galley::db::schema::{outbox, password_tokens};

use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, TestResponse, password_of, unbase32};
use crate::db_tests;

db_tests!(
    the_reset_form_answers_alike_for_known_and_unknown_addresses,
    a_reset_link_works_once_and_ends_every_session,
    a_reset_link_expires_and_dies_with_any_password_change,
    resets_are_rate_limited_per_account,
    without_smtp_resets_go_through_an_administrator,
    a_new_device_and_a_changed_password_are_told_by_e_mail,
    one_link_used_twice_at_once_sets_one_password,
);

const ED: &str = "ed@example.com";

/// The app with e-mail on, delivering to `sink`.
async fn with_mail(app: &TestApp, sink: &SmtpSink) -> TestApp {
    let config = Config {
        smtp_url: Some(sink.url()),
        ..Config::for_database("")
    };
    TestApp::with_config(app.db.sibling(), config).await
}

async fn ask_for_reset(app: &TestApp, email: &str) -> TestResponse {
    let mut b = app.browser();
    b.get("/password-reset").await;
    b.post("/password-reset", &[("email", email)]).await
}

async fn queued(app: &TestApp) -> Vec<(String, String, String)> {
    app.with_conn(|c| {
        outbox::table
            .order(outbox::id.asc())
            .select((outbox::recipient, outbox::subject, outbox::body))
            .load(c)
            .unwrap()
    })
    .await
}

async fn deliver(app: &TestApp) -> usize {
    let mailer = Arc::clone(app.state.mailer.as_ref().unwrap());
    mailer::run_once(app.pool(), &mailer, now()).await.unwrap()
}

/// The link in the newest queued reset e-mail.
async fn reset_link(app: &TestApp) -> String {
    let mails = queued(app).await;
    let body = &mails
        .iter()
        .rev()
        .find(|m| m.1.contains("new password"))
        .unwrap()
        .2;
    let start = body.find("http://galley.test/").unwrap() + "http://galley.test".len();
    body[start..].split_whitespace().next().unwrap().to_owned()
}

fn without_csrf(body: &str) -> String {
    body.lines().filter(|l| !l.contains("csrf")).collect()
}

async fn the_reset_form_answers_alike_for_known_and_unknown_addresses(app: TestApp) {
    let sink = SmtpSink::start(0);
    let app = with_mail(&app, &sink).await;
    app.user(ED, Role::Editor).await;
    let login = app.get("/login").await;
    assert!(login.body.contains("href=\"/password-reset\""));
    let known = ask_for_reset(&app, ED).await;
    let unknown = ask_for_reset(&app, "nobody@example.com").await;
    assert_eq!(known.status, 200);
    assert_eq!(unknown.status, 200);
    assert_eq!(without_csrf(&known.body), without_csrf(&unknown.body));
    assert!(known.body.contains("If an account has that address"));
    let mails = queued(&app).await;
    assert_eq!(mails.len(), 1, "one e-mail, for the account that exists");
    assert_eq!(mails[0].0, ED);
    assert!(
        sink.messages().is_empty(),
        "queued, not sent while the visitor waits"
    );
    assert_eq!(deliver(&app).await, 1);
    let sent = sink.messages();
    assert!(sent[0].contains("/account/set-password/"), "{}", sent[0]);
    let kept = queued(&app).await;
    assert!(
        !kept[0].2.contains("/account/set-password/"),
        "once sent, the queue keeps no copy of the link"
    );
}

async fn a_reset_link_works_once_and_ends_every_session(app: TestApp) {
    let sink = SmtpSink::start(0);
    let app = with_mail(&app, &sink).await;
    let mut signed_in = app.signed_in(ED, Role::Editor).await;
    // Two-factor sign-in on, to see it survive the reset.
    let page = signed_in.get("/admin/account/2fa").await;
    let sealed = page.body.split("name=\"secret\" value=\"").nth(1).unwrap();
    let sealed = sealed[..sealed.find('"').unwrap()].to_owned();
    let key = page.body.split("<code id=\"totp-secret\">").nth(1).unwrap();
    let key: String = key[..key.find("</code>").unwrap()]
        .split_whitespace()
        .collect();
    let secret = unbase32(&key);
    let code = galley::accounts::totp::code(&secret, galley::accounts::totp::step_at(now()));
    let on = signed_in
        .post(
            "/admin/account/2fa",
            &[
                ("password", &password_of(ED)),
                ("code", &code),
                ("secret", &sealed),
            ],
        )
        .await;
    assert_eq!(on.status, 200);

    ask_for_reset(&app, ED).await;
    let link = reset_link(&app).await;
    let mut b = app.browser();
    let form = b.get(&link).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.header("referrer-policy"), "no-referrer");
    let weak = b
        .post(&link, &[("password", "short"), ("confirm", "short")])
        .await;
    assert_eq!(weak.status, 422, "the same strength rules");
    let done = b
        .post(
            &link,
            &[
                ("password", "a brand new password"),
                ("confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(
        done.header("location"),
        "/login",
        "not signed in by the link"
    );
    assert_eq!(b.get(&link).await.status, 404, "used up");
    assert_eq!(
        signed_in.get("/admin").await.status,
        303,
        "every session ended"
    );
    // The new password works, and the second factor is still asked for.
    let res = app
        .browser()
        .try_sign_in(ED, "a brand new password", "")
        .await;
    assert_eq!(res.header("location"), "/login/2fa");
    let notices = queued(&app).await;
    assert!(
        notices
            .iter()
            .any(|m| m.0 == ED && m.1.contains("Your password was changed")),
        "{notices:?}"
    );
    deliver(&app).await;
    assert!(
        sink.messages()
            .iter()
            .any(|m| m.contains("Your password was changed") && m.contains("To: ed@example.com")),
        "the notice reaches the mail server"
    );
}

async fn a_reset_link_expires_and_dies_with_any_password_change(app: TestApp) {
    let sink = SmtpSink::start(0);
    let app = with_mail(&app, &sink).await;
    app.user(ED, Role::Editor).await;
    ask_for_reset(&app, ED).await;
    let link = reset_link(&app).await;
    app.with_conn(|c| {
        diesel::update(password_tokens::table)
            .set(password_tokens::expires_at.eq(now() - chrono::Duration::minutes(1)))
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(app.get(&link).await.status, 404, "expired");

    ask_for_reset(&app, ED).await;
    let link = reset_link(&app).await;
    assert_eq!(app.get(&link).await.status, 200);
    let mut me = app.browser();
    me.sign_in(ED, &password_of(ED)).await;
    me.get("/admin/account").await;
    let changed = me
        .post(
            "/admin/account/password",
            &[
                ("current", &password_of(ED)),
                ("password", "another new password"),
                ("confirm", "another new password"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303);
    assert_eq!(app.get(&link).await.status, 404, "void after the change");
}

async fn resets_are_rate_limited_per_account(app: TestApp) {
    let sink = SmtpSink::start(0);
    let app = with_mail(&app, &sink).await;
    app.user(ED, Role::Editor).await;
    for _ in 0..reset::ACCOUNT_LIMIT + 3 {
        assert_eq!(ask_for_reset(&app, ED).await.status, 200);
    }
    assert_eq!(
        queued(&app).await.len(),
        reset::ACCOUNT_LIMIT as usize,
        "no more than the limit"
    );
}

async fn without_smtp_resets_go_through_an_administrator(app: TestApp) {
    app.user(ED, Role::Editor).await;
    let page = app.get("/password-reset").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("go through an administrator"));
    assert!(!page.body.contains("name=\"email\""), "no form to send");
}

async fn a_new_device_and_a_changed_password_are_told_by_e_mail(app: TestApp) {
    let sink = SmtpSink::start(0);
    let app = with_mail(&app, &sink).await;
    app.user(ED, Role::Editor).await;
    let mut laptop = app.browser();
    laptop.sign_in(ED, &password_of(ED)).await;
    // Signing out and in again, from the same browser and address, is nothing new.
    laptop.get("/admin").await;
    laptop.post("/logout", &[]).await;
    let mut again = app.browser();
    again.sign_in(ED, &password_of(ED)).await;
    let mut phone = app.browser();
    phone.user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1".into();
    phone.sign_in(ED, &password_of(ED)).await;
    let notices: Vec<String> = queued(&app)
        .await
        .into_iter()
        .filter(|m| m.0 == ED && m.1.contains("New sign-in"))
        .map(|m| m.1)
        .collect();
    assert_eq!(
        notices,
        ["[galley] New sign-in from Safari on iPhone"],
        "the account's first sign-in, and the same browser and address again, are not news"
    );
    assert_eq!(deliver(&app).await, 1);
    assert!(sink.messages().iter().all(|m| m.contains("203.0.113.10")));
}

/// Two requests with the same link at the same moment, each on its own connection: one sets
/// its password, the other is told the link is used.
async fn one_link_used_twice_at_once_sets_one_password(app: TestApp) {
    let sink = SmtpSink::start(0);
    let app = with_mail(&app, &sink).await;
    app.user(ED, Role::Editor).await;
    ask_for_reset(&app, ED).await;
    let link = reset_link(&app).await;
    let token = link.rsplit('/').next().unwrap().to_owned();
    let pool = galley::db::connect(app.db.url(), 2).unwrap();
    let racers: Vec<_> = ["first racing password", "second racing password"]
        .into_iter()
        .map(|password| {
            let (pool, token) = (pool.clone(), token.clone());
            std::thread::spawn(move || {
                let mut c = pool.get().unwrap();
                galley::accounts::management::set_password_by_link(
                    &mut c,
                    &token,
                    password,
                    "192.0.2.1",
                    None,
                )
                .is_ok()
            })
        })
        .collect();
    let won: Vec<bool> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
}
