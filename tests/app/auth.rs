//! Signing in and out, throttling, CSRF, and who may open what.

use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::db::schema::{login_throttle, pages as pages_table};

use crate::common::{TestApp, password_of};
use crate::db_tests;

db_tests!(
    sign_in_success_and_uniform_failures,
    throttling_per_account_and_per_address,
    next_must_be_a_local_path,
    csrf_token_is_required,
    anonymous_visitors_are_sent_to_login,
    editors_get_403_on_admin_only_screens,
    disabled_accounts_cannot_sign_in_and_lose_their_sessions,
    sessions_are_server_side_renewed_and_ended_by_logout,
);

const FAIL: &str = "Incorrect e-mail address or password.";

async fn sign_in_success_and_uniform_failures(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    let mut b = app.browser();
    let res = b.try_sign_in("ED@example.com ", &pw, "").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/admin");
    let dash = b.get("/admin").await;
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("ed@example.com"));

    let mut wrong = app.browser();
    let bad_password = wrong
        .try_sign_in("ed@example.com", "not the password", "")
        .await;
    let unknown = wrong
        .try_sign_in("nobody@example.com", "whatever it is", "")
        .await;
    for res in [&bad_password, &unknown] {
        assert_eq!(res.status, 422);
        assert!(res.body.contains(FAIL));
    }
    assert!(
        bad_password.body.contains("value=\"ed@example.com\""),
        "the e-mail is kept"
    );
    assert!(
        !bad_password.body.contains("not the password"),
        "the password is not echoed"
    );
    assert_eq!(wrong.get("/admin").await.status, 303, "still signed out");
}

async fn throttling_per_account_and_per_address(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    let mut b = app.browser();
    for _ in 0..galley::accounts::throttle::ACCOUNT_LIMIT {
        assert_eq!(
            b.try_sign_in("ed@example.com", "wrong password!", "")
                .await
                .status,
            422
        );
    }
    // Now even the right password is refused, with a clear message and no check made.
    let res = b.try_sign_in("ed@example.com", &pw, "").await;
    assert_eq!(res.status, 429);
    assert!(
        res.body.contains("Too many failed sign-in attempts"),
        "{}",
        res.body
    );
    // From another address too: the account's counter lives in the database.
    let mut other = app.browser();
    other.ip = "198.51.100.7".into();
    assert_eq!(
        other.try_sign_in("ed@example.com", &pw, "").await.status,
        429
    );
    let rows: i64 = app
        .with_conn(|c| login_throttle::table.count().get_result(c).unwrap())
        .await;
    assert!(rows >= 2, "counters are stored");

    // One address failing on many accounts is stopped as well.
    let pw2 = app.user("second@example.com", Role::Editor).await;
    let mut sprayer = app.browser();
    sprayer.ip = "192.0.2.99".into();
    for i in 0..galley::accounts::throttle::ADDRESS_LIMIT {
        sprayer
            .try_sign_in(&format!("user{i}@example.com"), "guess guess", "")
            .await;
    }
    let res = sprayer.try_sign_in("second@example.com", &pw2, "").await;
    assert_eq!(res.status, 429);
    let mut fine = app.browser();
    fine.ip = "192.0.2.100".into();
    assert_eq!(
        fine.try_sign_in("second@example.com", &pw2, "")
            .await
            .status,
        303,
        "other addresses unaffected"
    );
}

async fn next_must_be_a_local_path(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    for (next, expect) in [
        ("/admin/pages?status=draft", "/admin/pages?status=draft"),
        ("https://evil.example/", "/admin"),
        ("//evil.example/x", "/admin"),
        ("/\\evil.example", "/admin"),
        ("javascript:alert(1)", "/admin"),
    ] {
        let mut b = app.browser();
        let res = b.try_sign_in("ed@example.com", &pw, next).await;
        assert_eq!(res.status, 303);
        assert_eq!(res.header("location"), expect, "next={next}");
    }
    let page = app.browser().get("/login?next=https://evil.example/").await;
    assert!(
        !page.body.contains("evil.example"),
        "an unsafe next is not even carried in the form"
    );
}

async fn csrf_token_is_required(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    let mut b = app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("email", "ed@example.com"),
                ("password", &pw),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("Forbidden"));
    b.sign_in("ed@example.com", &pw).await;
    let before: i64 = app
        .with_conn(|c| pages_table::table.count().get_result(c).unwrap())
        .await;
    for token in ["", "0123456789abcdef", "forged"] {
        let res = b
            .post(
                "/admin/pages",
                &[
                    ("csrf_token", token),
                    ("title", "Sneaky"),
                    ("slug", "sneaky"),
                    ("status", "published"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "token {token:?}");
    }
    let after: i64 = app
        .with_conn(|c| pages_table::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(before, after, "nothing was created");
    // A token from another session does not work either.
    let mut other = app.browser();
    other.sign_in("ed@example.com", &pw).await;
    let foreign = other.csrf().unwrap().to_owned();
    let res = b
        .post(
            "/admin/pages",
            &[
                ("csrf_token", &foreign),
                ("title", "Sneaky"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    let res = b.post("/logout", &[("csrf_token", "nope")]).await;
    assert_eq!(res.status, 403, "even signing out needs the token");
}

/// Every back-office screen; `true` for those only admins may open.
pub const ADMIN_GETS: &[(&str, bool)] = &[
    ("/admin", false),
    ("/admin/pages", false),
    ("/admin/pages/new", false),
    ("/admin/pages/1/edit", false),
    ("/admin/pages/1/revisions", false),
    ("/admin/pages/1/delete", false),
    ("/admin/redirects", false),
    ("/admin/links", false),
    ("/admin/submissions", false),
    ("/admin/account", false),
    ("/admin/users", true),
    ("/admin/users/new", true),
    ("/admin/users/1", true),
    ("/admin/settings", true),
    ("/admin/audit", true),
];

pub const ADMIN_POSTS: &[(&str, bool)] = &[
    ("/admin/pages", false),
    ("/admin/pages/1", false),
    ("/admin/pages/1/delete", false),
    ("/admin/pages/1/revisions/1/restore", false),
    ("/admin/preview", false),
    ("/admin/redirects", false),
    ("/admin/redirects/1/delete", false),
    ("/admin/account/password", false),
    ("/admin/account/sessions/1/end", false),
    ("/admin/users", true),
    ("/admin/users/1", true),
    ("/admin/settings", true),
];

async fn anonymous_visitors_are_sent_to_login(app: TestApp) {
    crate::common::fixtures::page("p", "P").create(&app).await;
    let mut b = app.browser();
    for (path, _) in ADMIN_GETS {
        let res = b.get(path).await;
        assert_eq!(res.status, 303, "{path}");
        let want = format!("/login?next={}", path.replace('/', "%2F"));
        assert_eq!(res.header("location"), want, "{path}");
    }
    for (path, _) in ADMIN_POSTS {
        let res = b.post(path, &[("title", "x")]).await;
        assert_eq!(res.status, 303, "POST {path}");
        assert!(res.header("location").starts_with("/login"), "POST {path}");
    }
}

async fn editors_get_403_on_admin_only_screens(app: TestApp) {
    crate::common::fixtures::page("p", "P").create(&app).await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    for (path, admin_only) in ADMIN_GETS {
        let res = b.get(path).await;
        let want = if *admin_only { 403 } else { 200 };
        assert_eq!(res.status, want, "GET {path}");
    }
    b.get("/admin").await;
    for (path, admin_only) in ADMIN_POSTS.iter().filter(|(_, a)| *a) {
        let res = b
            .post(
                path,
                &[
                    ("site_name", "Hacked"),
                    ("email", "x@example.com"),
                    ("action", "delete"),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "POST {path} (admin only: {admin_only})");
    }
    assert_ne!(app.state.site.current().settings.site_name, "Hacked");
    let mut a = app.signed_in("boss@example.com", Role::Admin).await;
    for (path, _) in ADMIN_GETS {
        let res = a.get(path).await;
        assert_eq!(res.status, 200, "admin GET {path}");
        assert_eq!(
            res.header("cache-control"),
            "no-store",
            "{path} is not cached"
        );
    }
    let nav = a.get("/admin").await.body;
    assert!(
        nav.contains("href=\"/admin/users\"")
            && !b.get("/admin").await.body.contains("href=\"/admin/users\"")
    );
}

async fn disabled_accounts_cannot_sign_in_and_lose_their_sessions(app: TestApp) {
    let pw = password_of("ed@example.com");
    let mut ed = app.signed_in("ed@example.com", Role::Editor).await;
    assert_eq!(ed.get("/admin").await.status, 200);

    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    let id = app
        .with_conn(|c| {
            galley::accounts::users::find_by_email(c, "ed@example.com")
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    admin.get(&format!("/admin/users/{id}")).await;
    let res = admin
        .post(&format!("/admin/users/{id}"), &[("action", "disable")])
        .await;
    assert_eq!(res.status, 303);

    assert_eq!(ed.get("/admin").await.status, 303, "the session ended");
    let again = app
        .browser()
        .try_sign_in("ed@example.com", &pw, "")
        .await
        .body;
    assert!(
        again.contains(FAIL),
        "a disabled account gets the same message"
    );
    admin.get(&format!("/admin/users/{id}")).await;
    admin
        .post(&format!("/admin/users/{id}"), &[("action", "enable")])
        .await;
    app.browser().sign_in("ed@example.com", &pw).await;
}

async fn sessions_are_server_side_renewed_and_ended_by_logout(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    let mut b = app.browser();
    b.get("/login").await;
    let before = b
        .cookie()
        .expect("the login form starts a session")
        .to_owned();
    b.post(
        "/login",
        &[("email", "ed@example.com"), ("password", &pw), ("next", "")],
    )
    .await;
    let after = b.cookie().unwrap().to_owned();
    assert_ne!(before, after, "the session id is renewed at sign-in");
    let stored: Vec<String> = app
        .with_conn(|c| {
            galley::db::schema::sessions::table
                .select(galley::db::schema::sessions::key_hash)
                .load(c)
                .unwrap()
        })
        .await;
    let key = after.split_once('=').unwrap().1;
    assert!(
        stored.iter().all(|h| !key.contains(h.as_str())),
        "only hashes are stored"
    );

    let res = app.browser().get("/login").await;
    let set_cookie = res.header("set-cookie");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert!(
        app.get("/").await.headers.get("set-cookie").is_none(),
        "public pages set no cookie"
    );

    b.get("/admin").await;
    let res = b.post("/logout", &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(b.get("/admin").await.status, 303);
    let mut replay = app.browser();
    let old = after.clone();
    let res = app
        .request(
            actix_web::test::TestRequest::get()
                .uri("/admin")
                .insert_header(("cookie", old)),
        )
        .await;
    assert_eq!(res.status, 303, "a signed-out cookie does not come back");
    replay.get("/").await;
}
