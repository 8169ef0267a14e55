//! Users, one's own account, settings and the audit log.

use diesel::prelude::*;
use galley::accounts::users::{self, Role};
use galley::db::schema::audit_log;

use crate::common::TestApp;
use crate::common::fixtures::page;
use crate::db_tests;

db_tests!(
    last_admin_is_protected,
    users_are_added_with_a_password_or_a_one_time_link,
    password_change_ends_other_sessions,
    sessions_can_be_listed_and_ended,
    settings_change_the_site,
    audit_entries_are_written,
);

async fn admin_id(app: &TestApp) -> i32 {
    app.with_conn(|c| {
        users::find_by_email(c, "admin@example.com")
            .unwrap()
            .unwrap()
            .id
    })
    .await
}

async fn last_admin_is_protected(app: TestApp) {
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    let first = admin_id(&app).await;
    // Two admins: one can be demoted.
    boss.get(&format!("/admin/users/{first}")).await;
    let res = boss
        .post(
            &format!("/admin/users/{first}"),
            &[("action", "role"), ("role", "editor")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        app.with_conn(move |c| users::find(c, first).unwrap().unwrap().role)
            .await,
        "editor"
    );
    // Now boss is the last admin: no demotion, no disabling, no deletion.
    let me = app
        .with_conn(|c| {
            users::find_by_email(c, "boss@example.com")
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    for (action, role) in [("role", "editor"), ("disable", ""), ("delete", "")] {
        boss.get(&format!("/admin/users/{me}")).await;
        let res = boss
            .post(
                &format!("/admin/users/{me}"),
                &[("action", action), ("role", role)],
            )
            .await;
        assert_eq!(res.status, 303);
        let shown = boss.get(&format!("/admin/users/{me}")).await.body;
        assert!(
            shown.contains("flash-error"),
            "{action} refused with a message"
        );
    }
    let user = app
        .with_conn(move |c| users::find(c, me).unwrap().unwrap())
        .await;
    assert_eq!((user.role.as_str(), user.disabled), ("admin", false));
    let err = app
        .with_conn(move |c| users::set_role(c, me, Role::Editor, galley::clock::now()).unwrap_err())
        .await;
    assert!(matches!(err, users::UserError::LastAdmin));
    let err = app
        .with_conn(move |c| users::delete(c, me).unwrap_err())
        .await;
    assert!(matches!(err, users::UserError::LastAdmin));
}

async fn users_are_added_with_a_password_or_a_one_time_link(app: TestApp) {
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    boss.get("/admin/users/new").await;
    let res = boss
        .post(
            "/admin/users",
            &[
                ("email", "new@example.com"),
                ("role", "editor"),
                ("password", "a fine password"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    app.browser()
        .sign_in("new@example.com", "a fine password")
        .await;

    let res = boss
        .post(
            "/admin/users",
            &[
                ("email", "new@example.com"),
                ("role", "editor"),
                ("password", "another password"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "duplicate e-mail");
    assert!(res.body.contains("already exists") && res.body.contains("value=\"new@example.com\""));
    let res = boss
        .post(
            "/admin/users",
            &[
                ("email", "not-an-email"),
                ("role", "owner"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("Enter an e-mail address")
            && res.body.contains("Choose author, editor or admin")
            && res.body.contains("at least")
    );

    let res = boss
        .post(
            "/admin/users",
            &[
                ("email", "invited@example.com"),
                ("role", "admin"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 200);
    let start = res
        .body
        .find("/account/set-password/")
        .expect("a one-time link is shown");
    let end = start + res.body[start..].find('"').unwrap();
    let link = res.body[start..end].to_owned();

    let mut invited = app.browser();
    assert_eq!(invited.get(&link).await.status, 200);
    let res = invited
        .post(
            &link,
            &[("password", "my own password"), ("confirm", "different")],
        )
        .await;
    assert_eq!(res.status, 422);
    let res = invited
        .post(
            &link,
            &[
                ("password", "my own password"),
                ("confirm", "my own password"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    invited
        .sign_in("invited@example.com", "my own password")
        .await;
    assert_eq!(invited.get("/admin/users").await.status, 200, "an admin");
    assert_eq!(
        app.browser().get(&link).await.status,
        404,
        "the link works once"
    );
}

async fn password_change_ends_other_sessions(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    let mut laptop = app.browser();
    let mut phone = app.browser();
    phone.user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1".into();
    laptop.sign_in("ed@example.com", &pw).await;
    phone.sign_in("ed@example.com", &pw).await;
    laptop.get("/admin/account").await;

    let res = laptop
        .post(
            "/admin/account/password",
            &[
                ("current", "wrong"),
                ("password", "a new long password"),
                ("confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("This is not your current password."));
    assert_eq!(phone.get("/admin").await.status, 200, "nothing changed yet");

    let res = laptop
        .post(
            "/admin/account/password",
            &[
                ("current", &pw),
                ("password", "a new long password"),
                ("confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(
        laptop
            .get("/admin/account")
            .await
            .body
            .contains("1 other session was signed out")
    );
    assert_eq!(
        phone.get("/admin").await.status,
        303,
        "the other session ended"
    );
    assert_eq!(laptop.get("/admin").await.status, 200, "this one goes on");
    app.browser()
        .sign_in("ed@example.com", "a new long password")
        .await;
}

async fn sessions_can_be_listed_and_ended(app: TestApp) {
    let pw = app.user("ed@example.com", Role::Editor).await;
    let mut laptop = app.browser();
    let mut phone = app.browser();
    phone.user_agent = "Mozilla/5.0 (Linux; Android 15) Chrome/140.0 Mobile".into();
    phone.ip = "198.51.100.23".into();
    laptop.sign_in("ed@example.com", &pw).await;
    phone.sign_in("ed@example.com", &pw).await;
    let page = laptop.get("/admin/account").await.body;
    assert!(page.contains("Firefox on Linux") && page.contains("(this session)"));
    assert!(page.contains("Chrome on Android") && page.contains("198.51.100.23"));
    let uid = app
        .with_conn(|c| {
            users::find_by_email(c, "ed@example.com")
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    let rows = app
        .with_conn(move |c| {
            galley::accounts::sessions::for_user(c, uid, galley::clock::now()).unwrap()
        })
        .await;
    let phone_row = rows.iter().find(|r| r.ip == "198.51.100.23").unwrap().id;
    let res = laptop
        .post(&format!("/admin/account/sessions/{phone_row}/end"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(phone.get("/admin").await.status, 303);
    assert_eq!(laptop.get("/admin").await.status, 200);
    // Nobody can end someone else's session.
    let mut other = app.signed_in("other@example.com", Role::Editor).await;
    let laptop_row = app
        .with_conn(move |c| {
            galley::accounts::sessions::for_user(c, uid, galley::clock::now()).unwrap()[0].id
        })
        .await;
    other.get("/admin/account").await;
    other
        .post(&format!("/admin/account/sessions/{laptop_row}/end"), &[])
        .await;
    assert_eq!(laptop.get("/admin").await.status, 200);
}

async fn settings_change_the_site(app: TestApp) {
    let home = page("welcome", "Welcome")
        .body("Welcome text.")
        .create(&app)
        .await;
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    boss.get("/admin/settings").await;
    let res = boss
        .post(
            "/admin/settings",
            &[
                ("site_name", ""),
                ("base_url", "ftp://x"),
                ("contact_recipient", "nope"),
                ("tagline", "Kept tagline"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("value=\"Kept tagline\""));
    assert_eq!(res.body.matches("class=\"field-error\"").count(), 3);

    let id = home.id.to_string();
    let res = boss
        .post(
            "/admin/settings",
            &[
                ("site_name", "Field Notes"),
                ("tagline", "Notes"),
                ("base_url", "https://notes.example/"),
                ("home_page_id", &id),
                ("footer_text", "© Notes"),
                ("contact_recipient", "Editors@Example.com"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let public = app.get("/").await.body;
    assert!(public.contains("Welcome text."), "chosen home page");
    assert!(public.contains("<a class=\"brand\" href=\"/\">Field Notes</a>"));
    assert!(public.contains("<link rel=\"canonical\" href=\"https://notes.example/\">"));
    assert!(public.contains("© Notes"));
    assert_eq!(
        app.state.site.current().settings.contact_recipient,
        "editors@example.com"
    );
}

async fn audit_entries_are_written(app: TestApp) {
    let pw = app.user("boss@example.com", Role::Admin).await;
    let mut boss = app.browser();
    boss.try_sign_in("boss@example.com", "wrong password", "")
        .await;
    boss.sign_in("boss@example.com", &pw).await;
    boss.get("/admin/pages/new").await;
    boss.post(
        "/admin/pages",
        &[
            ("title", "Audited"),
            ("slug", "audited"),
            ("status", "published"),
            ("action", "save"),
        ],
    )
    .await;
    let id = app
        .with_conn(|c| {
            galley::content::pages::find_by_path(c, "audited")
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    boss.get(&format!("/admin/pages/{id}/edit")).await;
    boss.post(
        &format!("/admin/pages/{id}"),
        &[
            ("title", "Audited"),
            ("slug", "audited-2"),
            ("status", "draft"),
            ("version", "1"),
            ("action", "save"),
        ],
    )
    .await;
    boss.get("/admin/settings").await;
    boss.post("/admin/settings", &[("site_name", "Audited site")])
        .await;
    boss.get("/admin/redirects").await;
    boss.post(
        "/admin/redirects",
        &[("from_path", "/x"), ("to_path", "/y")],
    )
    .await;
    boss.get("/admin/users/new").await;
    boss.post(
        "/admin/users",
        &[
            ("email", "n@example.com"),
            ("role", "editor"),
            ("password", "a fine password"),
        ],
    )
    .await;
    boss.get(&format!("/admin/pages/{id}/delete")).await;
    boss.post(&format!("/admin/pages/{id}/delete"), &[]).await;

    let entries: Vec<(String, String, String, Option<i32>)> = app
        .with_conn(|c| {
            audit_log::table
                .order(audit_log::id.asc())
                .select((
                    audit_log::action,
                    audit_log::target,
                    audit_log::ip,
                    audit_log::user_id,
                ))
                .load(c)
                .unwrap()
        })
        .await;
    let actions: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    for want in [
        "login.failed",
        "login",
        "page.publish",
        "page.create",
        "page.unpublish",
        "settings.update",
        "redirect.create",
        "user.create",
        "page.trash",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(entries.iter().all(|e| e.2 == "203.0.113.10"), "from where");
    assert!(
        entries
            .iter()
            .filter(|e| e.0 != "login.failed")
            .all(|e| e.3.is_some()),
        "who"
    );
    let log = boss.get("/admin/audit").await.body;
    assert!(log.contains("login.failed") && log.contains("/audited-2"));
}
