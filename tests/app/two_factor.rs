//! Two-factor sign-in: setting it up, the second step of signing in (codes, recovery codes, the
//! throttle, the pending session), turning it off, and resetting it as an admin or from the
//! command line.

use std::collections::HashMap;

use diesel::prelude::*;
use galley::accounts::totp;
use galley::accounts::two_factor::{self, Checked};
use galley::accounts::users::{self, Role};
use galley::audit::Actor;
use galley::clock::now;
use galley::db::schema::{audit_log, sessions, users as users_table};

use crate::common::browser::Browser;
use crate::common::{TestApp, password_of, unbase32};
use crate::db_tests;

db_tests!(
    enabling_with_a_wrong_code_or_password_stores_nothing,
    signing_in_takes_the_code_after_the_password,
    codes_are_accepted_one_step_either_side_and_never_twice,
    the_pending_session_lapses,
    wrong_codes_count_in_the_sign_in_throttle,
    recovery_codes_work_once_and_a_new_set_voids_the_old,
    turning_it_off_takes_the_password_and_a_code,
    admins_and_the_command_line_can_reset_it,
    the_policy_sends_users_to_set_it_up_and_keeps_it_on,
    an_instance_with_another_sealing_key_refuses_to_start,
    recovery_codes_work_even_when_the_secret_cannot_be_opened,
    changes_to_the_second_factor_need_the_code_and_are_throttled,
    half_finished_sign_ins_and_other_sessions_do_not_outlive_a_change,
);

const ED: &str = "ed@example.com";

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body.find(start).expect(start) + start.len();
    &body[from..from + body[from..].find(end).expect(end)]
}

fn code_now(secret: &[u8], offset: i64) -> String {
    totp::code(secret, totp::step_at(now()) + offset)
}

/// Sets two-factor sign-in up through the screens; returns the secret and the recovery codes.
async fn set_up(b: &mut Browser<'_>, email: &str) -> (Vec<u8>, Vec<String>) {
    let page = b.get("/admin/account/2fa").await;
    assert_eq!(page.status, 200);
    let secret = unbase32(between(&page.body, "<code id=\"totp-secret\">", "</code>"));
    assert_eq!(secret.len(), totp::SECRET_LEN);
    let sealed = between(&page.body, "name=\"secret\" value=\"", "\"").to_owned();
    let res = b
        .post(
            "/admin/account/2fa",
            &[
                ("password", &password_of(email)),
                ("code", &code_now(&secret, 0)),
                ("secret", &sealed),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        200,
        "{}",
        &res.body[res.body.find("<main").unwrap_or(0)..]
    );
    let codes: Vec<String> = between(&res.body, "id=\"recovery-codes\">", "</ul>")
        .split("<code>")
        .skip(1)
        .map(|c| c[..c.find("</code>").unwrap()].to_owned())
        .collect();
    assert_eq!(codes.len(), two_factor::RECOVERY_CODES);
    (secret, codes)
}

async fn stored_secret(app: &TestApp, email: &'static str) -> Option<String> {
    app.with_conn(move |c| users::find_by_email(c, email).unwrap().unwrap().totp_secret)
        .await
}

/// Password, then code: the response to the code.
async fn sign_in_with(b: &mut Browser<'_>, code: &str) -> crate::common::TestResponse {
    let res = b.try_sign_in(ED, &password_of(ED), "").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/login/2fa");
    b.get("/login/2fa").await;
    b.post("/login/2fa", &[("code", code)]).await
}

async fn enabling_with_a_wrong_code_or_password_stores_nothing(app: TestApp) {
    let mut b = app.signed_in(ED, Role::Editor).await;
    let page = b.get("/admin/account/2fa").await;
    assert!(page.body.contains("<svg"), "the QR code");
    let secret = unbase32(between(&page.body, "<code id=\"totp-secret\">", "</code>"));
    let sealed = between(&page.body, "name=\"secret\" value=\"", "\"").to_owned();
    for (password, code, field) in [
        (password_of(ED), "000000".to_owned(), "code"),
        (
            "not my password".to_owned(),
            code_now(&secret, 0),
            "password",
        ),
    ] {
        let res = b
            .post(
                "/admin/account/2fa",
                &[
                    ("password", &password),
                    ("code", &code),
                    ("secret", &sealed),
                ],
            )
            .await;
        assert_eq!(res.status, 422, "{field}");
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "{field}"
        );
        assert!(
            res.body.contains(&totp::base32(&secret)[..4]),
            "the same key, to try again"
        );
    }
    assert_eq!(stored_secret(&app, ED).await, None, "nothing stored");
    // A sealed key from another account's form does not open for this one.
    let mut other = app.signed_in("other@example.com", Role::Editor).await;
    other.get("/admin/account/2fa").await;
    let res = other
        .post(
            "/admin/account/2fa",
            &[
                ("password", &password_of("other@example.com")),
                ("code", &code_now(&secret, 0)),
                ("secret", &sealed),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(stored_secret(&app, "other@example.com").await, None);

    let (secret, _) = set_up(&mut b, ED).await;
    let stored = stored_secret(&app, ED).await.expect("stored");
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !stored.contains(&hex) && !stored.contains(&totp::base32(&secret)),
        "stored sealed"
    );
    let account = b.get("/admin/account").await;
    assert!(account.body.contains("10 recovery codes left"));
}

async fn signing_in_takes_the_code_after_the_password(app: TestApp) {
    let (secret, _) = set_up(&mut app.signed_in(ED, Role::Editor).await, ED).await;
    let mut b = app.browser();
    let res = b.try_sign_in(ED, &password_of(ED), "/admin/pages").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/login/2fa?next=%2Fadmin%2Fpages");
    let pending_cookie = b.cookie().map(str::to_owned);
    // Pending: no admin page opens.
    for path in ["/admin", "/admin/pages", "/admin/account"] {
        let res = b.get(path).await;
        assert_eq!(res.status, 303, "{path}");
        assert!(res.header("location").starts_with("/login"), "{path}");
    }
    let form = b.get("/login/2fa?next=/admin/pages").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"code\""));
    let wrong = b
        .post(
            "/login/2fa",
            &[("code", "123456"), ("next", "/admin/pages")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("That code is not right"));
    let right = b
        .post(
            "/login/2fa",
            &[("code", &code_now(&secret, 1)), ("next", "/admin/pages")],
        )
        .await;
    assert_eq!(right.status, 303);
    assert_eq!(right.header("location"), "/admin/pages");
    assert_ne!(
        b.cookie().map(str::to_owned),
        pending_cookie,
        "a new session id"
    );
    assert_eq!(b.get("/admin").await.status, 200);

    let actions: Vec<String> = app
        .with_conn(|c| {
            audit_log::table
                .order(audit_log::id.asc())
                .select(audit_log::action)
                .load(c)
                .unwrap()
        })
        .await;
    for want in ["2fa.enable", "login.password", "login.2fa-failed", "login"] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
}

/// At the domain level, with the clock in hand.
async fn codes_are_accepted_one_step_either_side_and_never_twice(app: TestApp) {
    app.user(ED, Role::Editor).await;
    let sealer = app.state.sealer.clone();
    let outcomes = app
        .with_conn(move |c| {
            let user = users::find_by_email(c, ED).unwrap().unwrap();
            let secret = totp::new_secret();
            let t = now();
            let step = totp::step_at(t);
            let sealed = two_factor::seal_secret(&sealer, user.id, &secret);
            two_factor::enable(c, user.id, &sealed, step - 10, "", &Actor::cli(), t).unwrap();
            let mut check = |offset: i64| {
                two_factor::check(
                    c,
                    user.id,
                    Some(&secret),
                    &totp::code(&secret, step + offset),
                    t,
                )
                .unwrap()
            };
            vec![
                check(-3), // three steps old
                check(-1), // one step old
                check(-1), // the same code again
                check(0),
                check(-1), // older than the last one used
                check(1),  // one step ahead
                check(2),  // two ahead
            ]
        })
        .await;
    use Checked::*;
    assert_eq!(outcomes, [Wrong, Code, Wrong, Code, Wrong, Code, Wrong]);
}

async fn the_pending_session_lapses(app: TestApp) {
    let (secret, _) = set_up(&mut app.signed_in(ED, Role::Editor).await, ED).await;
    let mut b = app.browser();
    b.try_sign_in(ED, &password_of(ED), "").await;
    assert_eq!(b.get("/login/2fa").await.status, 200);
    // Six minutes pass (the stored session says so).
    app.with_conn(|c| {
        let rows: Vec<(i32, String)> = sessions::table
            .select((sessions::id, sessions::state))
            .load(c)
            .unwrap();
        for (id, state) in rows {
            let mut state: HashMap<String, String> = serde_json::from_str(&state).unwrap();
            if let Some(at) = state.get_mut("pending_at") {
                let past = now().and_utc().timestamp() - 6 * 60;
                *at = past.to_string();
                diesel::update(sessions::table.find(id))
                    .set(sessions::state.eq(serde_json::to_string(&state).unwrap()))
                    .execute(c)
                    .unwrap();
            }
        }
    })
    .await;
    let late = b
        .post("/login/2fa", &[("code", &code_now(&secret, 0))])
        .await;
    assert_eq!(late.status, 303);
    assert_eq!(late.header("location"), "/login");
    let res = b.get("/login/2fa").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/login");
    assert_eq!(b.get("/admin").await.status, 303, "still signed out");
}

async fn wrong_codes_count_in_the_sign_in_throttle(app: TestApp) {
    let (secret, _) = set_up(&mut app.signed_in(ED, Role::Editor).await, ED).await;
    let mut b = app.browser();
    b.try_sign_in(ED, &password_of(ED), "").await;
    b.get("/login/2fa").await;
    let mut checked = 0;
    loop {
        let res = b.post("/login/2fa", &[("code", "000000")]).await;
        if res.status == 429 {
            assert!(res.body.contains("Too many failed sign-in attempts"));
            break;
        }
        assert_eq!(res.status, 422);
        checked += 1;
        assert!(checked < 10, "the throttle never closed");
    }
    let limit = galley::accounts::throttle::ACCOUNT_LIMIT;
    assert!(
        checked < limit,
        "the password and the codes share the limit: {checked} codes checked"
    );
    let right = b
        .post("/login/2fa", &[("code", &code_now(&secret, 1))])
        .await;
    assert_eq!(right.status, 429, "even the right code waits");
}

async fn recovery_codes_work_once_and_a_new_set_voids_the_old(app: TestApp) {
    let mut me = app.signed_in(ED, Role::Editor).await;
    let (secret, codes) = set_up(&mut me, ED).await;
    let download = me
        .post(
            "/admin/account/2fa/recovery-codes.txt",
            &[("codes", &codes.join(" "))],
        )
        .await;
    assert_eq!(download.status, 200);
    assert!(
        download
            .header("content-disposition")
            .starts_with("attachment")
    );
    assert!(download.body.contains(&codes[9]));
    let bogus = me
        .post(
            "/admin/account/2fa/recovery-codes.txt",
            &[("codes", "<script>")],
        )
        .await;
    assert_eq!(bogus.status, 400);

    let mut b = app.browser();
    assert_eq!(sign_in_with(&mut b, &codes[0]).await.status, 303);
    let mut b = app.browser();
    assert_eq!(sign_in_with(&mut b, &codes[0]).await.status, 422, "used up");
    let typed = codes[1].to_uppercase().replace('-', " ");
    assert_eq!(sign_in_with(&mut b, &typed).await.status, 303, "as typed");

    me.get("/admin/account").await;
    let renewed = me
        .post(
            "/admin/account/2fa/recovery-codes",
            &[
                ("renew_password", &password_of(ED)),
                ("renew_code", &code_now(&secret, 1)),
            ],
        )
        .await;
    assert_eq!(renewed.status, 200);
    let fresh = between(&renewed.body, "id=\"recovery-codes\">", "</ul>");
    let first_new = between(fresh, "<code>", "</code>").to_owned();
    let mut b = app.browser();
    assert_eq!(
        sign_in_with(&mut b, &codes[2]).await.status,
        422,
        "the old set is void"
    );
    assert_eq!(sign_in_with(&mut b, &first_new).await.status, 303);
}

async fn turning_it_off_takes_the_password_and_a_code(app: TestApp) {
    let mut me = app.signed_in(ED, Role::Editor).await;
    let (secret, _) = set_up(&mut me, ED).await;
    me.get("/admin/account").await;
    let res = me
        .post(
            "/admin/account/2fa/disable",
            &[("off_password", &password_of(ED)), ("off_code", "000000")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"off_code-error\""));
    assert!(stored_secret(&app, ED).await.is_some());
    let res = me
        .post(
            "/admin/account/2fa/disable",
            &[
                ("off_password", &password_of(ED)),
                ("off_code", &code_now(&secret, 1)),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(stored_secret(&app, ED).await, None);
    // The password alone signs in again.
    let res = app.browser().try_sign_in(ED, &password_of(ED), "").await;
    assert_eq!(res.header("location"), "/admin");
}

async fn admins_and_the_command_line_can_reset_it(app: TestApp) {
    set_up(&mut app.signed_in(ED, Role::Editor).await, ED).await;
    let id: i32 = app
        .with_conn(|c| {
            users_table::table
                .filter(users_table::email.eq(ED))
                .select(users_table::id)
                .first(c)
                .unwrap()
        })
        .await;
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    // Not for one's own account: that takes the password and a code.
    set_up(&mut boss, "boss@example.com").await;
    let boss_id: i32 = app
        .with_conn(|c| {
            users_table::table
                .filter(users_table::email.eq("boss@example.com"))
                .select(users_table::id)
                .first(c)
                .unwrap()
        })
        .await;
    boss.get(&format!("/admin/users/{boss_id}")).await;
    let own = boss
        .post(
            &format!("/admin/users/{boss_id}"),
            &[("action", "reset-2fa")],
        )
        .await;
    assert_eq!(own.status, 303);
    assert!(stored_secret(&app, "boss@example.com").await.is_some());
    let page = boss.get(&format!("/admin/users/{id}")).await;
    assert!(page.body.contains("Two-factor sign-in: on"));
    let res = boss
        .post(&format!("/admin/users/{id}"), &[("action", "reset-2fa")])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(stored_secret(&app, ED).await, None);

    set_up(
        &mut app.signed_in("ops@example.com", Role::Admin).await,
        "ops@example.com",
    )
    .await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(["user", "reset-2fa", "OPS@example.com"])
        .env("DATABASE_URL", app.db.url())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stored_secret(&app, "ops@example.com").await, None);
    let resets: Vec<(String, String)> = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.eq("user.reset-2fa"))
                .order(audit_log::id.asc())
                .select((audit_log::actor, audit_log::target))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        resets,
        [
            ("boss@example.com".to_owned(), ED.to_owned()),
            ("command line".to_owned(), "ops@example.com".to_owned()),
        ]
    );
}

async fn the_policy_sends_users_to_set_it_up_and_keeps_it_on(app: TestApp) {
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    boss.get("/admin/settings").await;
    let res = boss
        .post(
            "/admin/settings",
            &[
                ("site_name", "Site"),
                ("spam_retention_days", "30"),
                ("require_2fa_editors", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(app.state.site.current().settings.require_2fa_editors);
    assert!(!app.state.site.current().settings.require_2fa_admins);
    assert_eq!(
        boss.get("/admin").await.status,
        200,
        "admins are not required"
    );

    let mut ed = app.signed_in(ED, Role::Editor).await;
    for path in [
        "/admin",
        "/admin/pages",
        "/admin/account",
        "/admin/pages/new",
    ] {
        let res = ed.get(path).await;
        assert_eq!(res.status, 303, "{path}");
        assert_eq!(res.header("location"), "/admin/account/2fa", "{path}");
    }
    let setup = ed.get("/admin/account/2fa").await;
    assert!(
        setup.body.contains("requires two-factor sign-in"),
        "says why"
    );
    let (secret, _) = set_up(&mut ed, ED).await;
    assert_eq!(ed.get("/admin").await.status, 200, "free to go on");

    ed.get("/admin/account").await;
    let res = ed
        .post(
            "/admin/account/2fa/disable",
            &[
                ("off_password", &password_of(ED)),
                ("off_code", &code_now(&secret, 1)),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(stored_secret(&app, ED).await.is_some(), "it stays on");
}

/// The sealing key lives outside the database; the database keeps a check value of it, so an
/// instance given another key (which could not open the others' secrets) refuses to start.
async fn an_instance_with_another_sealing_key_refuses_to_start(app: TestApp) {
    let stored: Option<String> = app
        .with_conn(|c| {
            galley::snapshot::settings::get(c, galley::snapshot::settings::SEALING_KEY_CHECK)
                .unwrap()
        })
        .await;
    let check = stored.expect("a check value");
    assert!(!check.contains("sealing key"), "not the key itself");
    let other = galley::config::Config {
        database_url: Some(app.db.url().to_owned()),
        secret_key: Some("another key".into()),
        ..galley::config::Config::for_database("")
    };
    let mut conn = app.pool().get().unwrap();
    let refused = galley::site::bootstrap::prepare(&mut conn, &other).unwrap_err();
    assert!(refused.contains("sealing key"), "{refused}");
    let same = galley::config::Config {
        database_url: Some(app.db.url().to_owned()),
        ..galley::config::Config::for_database("")
    };
    assert!(galley::site::bootstrap::prepare(&mut conn, &same).is_ok());
}

async fn recovery_codes_work_even_when_the_secret_cannot_be_opened(app: TestApp) {
    let (secret, codes) = set_up(&mut app.signed_in(ED, Role::Editor).await, ED).await;
    let outcomes = app
        .with_conn(move |c| {
            let user = users::find_by_email(c, ED).unwrap().unwrap();
            let proof = galley::accounts::login::password_proof(&user);
            let wrong_key =
                galley::sealed::Sealer::new("a lost key", "galley two-factor secrets v1");
            let mut step = |typed: &str| {
                let a = galley::accounts::login::second_step(
                    c,
                    user.id,
                    &proof,
                    typed,
                    &wrong_key,
                    "192.0.2.9",
                    now(),
                )
                .unwrap();
                matches!(a, galley::accounts::login::Attempt::Success(_))
            };
            [step(&code_now(&secret, 1)), step(&codes[0])]
        })
        .await;
    assert_eq!(
        outcomes,
        [false, true],
        "the app's code cannot be checked; a recovery code can"
    );
}

async fn changes_to_the_second_factor_need_the_code_and_are_throttled(app: TestApp) {
    let mut me = app.signed_in(ED, Role::Editor).await;
    let (secret, _) = set_up(&mut me, ED).await;
    me.get("/admin/account").await;
    let res = me
        .post(
            "/admin/account/2fa/recovery-codes",
            &[("renew_password", &password_of(ED)), ("renew_code", "")],
        )
        .await;
    assert_eq!(res.status, 422, "new recovery codes take a code too");
    assert!(res.body.contains("id=\"renew_code-error\""));
    // A session alone cannot guess the password behind it.
    let mut refused = false;
    for _ in 0..galley::accounts::throttle::ACCOUNT_LIMIT + 1 {
        let res = me
            .post(
                "/admin/account/2fa/disable",
                &[
                    ("off_password", "a guess"),
                    ("off_code", &code_now(&secret, 1)),
                ],
            )
            .await;
        assert_eq!(res.status, 422);
        if res.body.contains("Too many failed sign-in attempts") {
            refused = true;
            break;
        }
    }
    assert!(refused, "the guesses count in the sign-in throttle");
    assert!(stored_secret(&app, ED).await.is_some());
}

async fn half_finished_sign_ins_and_other_sessions_do_not_outlive_a_change(app: TestApp) {
    let mut earlier = app.signed_in(ED, Role::Editor).await;
    let mut me = app.browser();
    me.sign_in(ED, &password_of(ED)).await;
    let (secret, _) = set_up(&mut me, ED).await;
    assert_eq!(
        earlier.get("/admin").await.status,
        303,
        "a session opened with the password alone ends when the second factor is turned on"
    );
    // Following a link to /login/2fa does not sign anyone out.
    let mut signed_in = app.browser();
    let res = sign_in_with(&mut signed_in, &code_now(&secret, 1)).await;
    assert_eq!(res.status, 303);
    assert_eq!(signed_in.get("/login/2fa").await.status, 303);
    assert_eq!(signed_in.get("/admin").await.status, 200, "still signed in");
    // A password reset in the middle of a sign-in voids it.
    let mut half = app.browser();
    half.try_sign_in(ED, &password_of(ED), "").await;
    half.get("/login/2fa").await;
    app.with_conn(|c| {
        galley::accounts::management::set_password(c, ED, "a password set meanwhile", &Actor::cli())
            .unwrap()
    })
    .await;
    let res = half
        .post("/login/2fa", &[("code", &code_now(&secret, 0))])
        .await;
    assert_eq!(
        res.status, 422,
        "the password it passed is not the account's any more"
    );
}
