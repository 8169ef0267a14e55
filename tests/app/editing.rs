//! Editors at work: writing, previewing, publishing, scheduling, conflicts, revisions, moves,
//! redirects and deletion, all through the admin's forms.

use galley::accounts::users::Role;
use galley::content::pages;

use crate::common::TestApp;
use crate::common::browser::Browser;
use crate::common::fixtures::{in_seconds, page};
use crate::db_tests;

db_tests!(
    create_preview_publish_and_schedule,
    invalid_forms_keep_everything_and_say_what_to_fix,
    edit_conflicts_keep_the_text,
    revisions_diff_and_restore,
    slug_change_redirects_the_page_and_its_children,
    redirect_chains_collapse_and_count_hits,
    delete_rules,
    live_preview_uses_the_public_renderer,
    duplicating_makes_a_draft_copy_beside_the_page,
    bulk_actions_report_what_they_did_and_refused,
    autosaved_changes_are_offered_restored_and_cleared,
    the_trash_keeps_its_pages_consistent,
);

async fn editor(app: &TestApp) -> Browser<'_> {
    app.signed_in("ed@example.com", Role::Editor).await
}

fn form<'a>(
    title: &'a str,
    slug: &'a str,
    body: &'a str,
    status: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", slug),
        ("summary", "A summary."),
        ("body", body),
        ("status", status),
        ("action", "save"),
    ]
}

async fn id_of(app: &TestApp, path: &str) -> i32 {
    let path = path.to_owned();
    app.with_conn(move |c| {
        pages::find_by_path(c, &path)
            .unwrap()
            .expect("page exists")
            .id
    })
    .await
}

async fn create_preview_publish_and_schedule(app: TestApp) {
    let mut b = editor(&app).await;
    assert_eq!(b.get("/admin/pages/new").await.status, 200);

    // Preview (the no-JavaScript button) renders without saving.
    let mut fields = form("Fresh page", "fresh", "Hello **bold** world.", "draft");
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "preview"));
    let res = b.post("/admin/pages", &fields).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<strong>bold</strong>"), "preview shown");
    assert!(res.body.contains("value=\"Fresh page\""), "form kept");
    assert!(
        app.with_conn(|c| pages::find_by_path(c, "fresh").unwrap())
            .await
            .is_none(),
        "preview saves nothing"
    );

    // Save as draft: stored, not public.
    let res = b
        .post(
            "/admin/pages",
            &form("Fresh page", "fresh", "Hello **bold** world.", "draft"),
        )
        .await;
    assert_eq!(res.status, 303);
    let id = id_of(&app, "fresh").await;
    assert_eq!(res.header("location"), format!("/admin/pages/{id}/edit"));
    assert!(
        b.get(&format!("/admin/pages/{id}/edit"))
            .await
            .body
            .contains("Created “Fresh page” (draft).")
    );
    assert_eq!(app.get("/fresh").await.status, 404);

    // Publish: public at once.
    b.get(&format!("/admin/pages/{id}/edit")).await;
    let mut fields = form("Fresh page", "fresh", "Hello **bold** world.", "published");
    fields.push(("version", "1"));
    assert_eq!(
        b.post(&format!("/admin/pages/{id}"), &fields).await.status,
        303
    );
    let public = app.get("/fresh").await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("<strong>bold</strong>"));

    // Schedule another page for the future: hidden until then.
    b.get("/admin/pages/new").await;
    let when = in_seconds(3600).format("%Y-%m-%dT%H:%M").to_string();
    let mut fields = form("Later page", "later", "Soon.", "scheduled");
    fields.push(("publish_at", &when));
    assert_eq!(b.post("/admin/pages", &fields).await.status, 303);
    assert_eq!(app.get("/later").await.status, 404);
    let list = b.get("/admin/pages?status=scheduled").await.body;
    assert!(
        list.contains("Later page") && !list.contains("Fresh page"),
        "filter by status"
    );
    let stored = app
        .with_conn(|c| pages::find_by_path(c, "later").unwrap().unwrap())
        .await;
    assert_eq!(stored.status, "scheduled");
    assert!(stored.publish_at.unwrap() > galley::clock::now());

    // The slug is suggested from the title when left empty, and the list shows the page.
    b.get("/admin/pages/new").await;
    assert_eq!(
        b.post("/admin/pages", &form("Café & Crème", "", "x", "published"))
            .await
            .status,
        303
    );
    assert_eq!(app.get("/cafe-creme").await.status, 200);
    let list = b.get("/admin/pages?q=caf").await.body;
    assert!(
        list.contains("Café &#38; Crème") || list.contains("Café &amp; Crème"),
        "title search"
    );
}

async fn invalid_forms_keep_everything_and_say_what_to_fix(app: TestApp) {
    page("taken", "Taken").create(&app).await;
    let mut b = editor(&app).await;
    b.get("/admin/pages/new").await;
    let res = b
        .post(
            "/admin/pages",
            &form("", "Bad Slug!", "My long **text** <kept>", "scheduled"),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Give the page a title."));
    assert!(
        res.body
            .contains("Use lowercase letters, digits and single hyphens")
    );
    assert!(
        res.body
            .contains("Choose when the page should be published.")
    );
    assert!(res.body.contains("value=\"Bad Slug!\""), "slug kept");
    assert!(
        res.body.contains("My long **text** &#60;kept&#62;")
            || res.body.contains("My long **text** &lt;kept&gt;"),
        "body kept, escaped"
    );
    assert!(res.body.contains("aria-invalid=\"true\""));

    let res = b
        .post("/admin/pages", &form("Dup", "taken", "x", "draft"))
        .await;
    assert_eq!(
        res.status, 422,
        "a duplicate path is a field error, not a 500"
    );
    assert!(
        res.body
            .contains("Another page already uses the address /taken.")
    );

    let mut fields = form("Odd", "odd", "x", "published");
    fields.push(("nav_order", "first"));
    fields.push(("parent_id", "99999"));
    let res = b.post("/admin/pages", &fields).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Enter a whole number."));
    let res = b
        .post(
            "/admin/pages",
            &[
                ("title", "T"),
                ("slug", "t"),
                ("status", "bogus"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
}

async fn edit_conflicts_keep_the_text(app: TestApp) {
    let p = page("shared", "Shared")
        .body("Original.")
        .create(&app)
        .await;
    let mut alice = editor(&app).await;
    let mut bob = app.signed_in("bob@example.com", Role::Editor).await;

    alice.get(&format!("/admin/pages/{}/edit", p.id)).await;
    bob.get(&format!("/admin/pages/{}/edit", p.id)).await;
    let mut fields = form("Shared", "shared", "Bob's version.", "published");
    fields.push(("version", "1"));
    assert_eq!(
        bob.post(&format!("/admin/pages/{}", p.id), &fields)
            .await
            .status,
        303
    );

    let mut fields = form("Shared", "shared", "Alice's careful rewrite.", "published");
    fields.push(("version", "1"));
    let res = alice.post(&format!("/admin/pages/{}", p.id), &fields).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("Someone else saved this page"));
    assert!(
        res.body.contains("Alice&#39;s careful rewrite.")
            || res.body.contains("Alice&#x27;s careful rewrite.")
            || res.body.contains("Alice's careful rewrite."),
        "text kept"
    );
    assert!(
        res.body
            .contains(&format!("href=\"/admin/pages/{}/revisions/", p.id)),
        "links to the other version"
    );
    assert!(
        app.get("/shared").await.body.contains("Bob"),
        "Bob's save stands"
    );

    // Saving again from the conflict page is a deliberate overwrite.
    let mut fields = form("Shared", "shared", "Alice's careful rewrite.", "published");
    fields.push(("version", "2"));
    assert_eq!(
        alice
            .post(&format!("/admin/pages/{}", p.id), &fields)
            .await
            .status,
        303
    );
    assert!(app.get("/shared").await.body.contains("careful rewrite"));
}

async fn revisions_diff_and_restore(app: TestApp) {
    let mut b = editor(&app).await;
    b.get("/admin/pages/new").await;
    b.post(
        "/admin/pages",
        &form(
            "Doc",
            "doc",
            "line one\nline two\nline three\n",
            "published",
        ),
    )
    .await;
    let id = id_of(&app, "doc").await;
    b.get(&format!("/admin/pages/{id}/edit")).await;
    let mut fields = form(
        "Doc",
        "doc",
        "line one\nline 2\nline three\nline four\n",
        "published",
    );
    fields.push(("version", "1"));
    fields.push(("note", "Numbers"));
    assert_eq!(
        b.post(&format!("/admin/pages/{id}"), &fields).await.status,
        303
    );

    let list = b.get(&format!("/admin/pages/{id}/revisions")).await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("Version 1")
            && list.body.contains("Version 2")
            && list.body.contains("Numbers")
    );
    assert!(list.body.contains("ed@example.com"), "who saved");

    let revs = app
        .with_conn(move |c| galley::content::revisions::list(c, id).unwrap())
        .await;
    let first = revs.iter().find(|r| r.version == 1).unwrap().id;
    let diff = b.get(&format!("/admin/pages/{id}/revisions/{first}")).await;
    assert_eq!(diff.status, 200);
    assert!(
        diff.body.contains("class=\"diff-delete\""),
        "removed lines marked"
    );
    assert!(diff.body.contains("<code>line two</code>"));
    assert!(diff.body.contains("class=\"diff-insert\""));
    assert!(diff.body.contains("<code>line four</code>"));

    let res = b
        .post(&format!("/admin/pages/{id}/revisions/{first}/restore"), &[])
        .await;
    assert_eq!(res.status, 303);
    let page = app.with_conn(move |c| pages::find(c, id).unwrap()).await;
    assert_eq!(page.body_md, "line one\nline two\nline three\n");
    assert_eq!(page.version, 3, "the restore is itself a revision");
    let revs = app
        .with_conn(move |c| galley::content::revisions::list(c, id).unwrap())
        .await;
    assert_eq!(revs.len(), 3);
    assert!(revs[0].note.contains("Restored from version 1"));
    assert!(app.get("/doc").await.body.contains("line two"));
}

async fn slug_change_redirects_the_page_and_its_children(app: TestApp) {
    let hub = page("guide", "Guide").create(&app).await;
    let child = page("step", "Step").under(&hub).create(&app).await;
    page("deeper", "Deeper").under(&child).create(&app).await;
    let mut b = editor(&app).await;
    b.get(&format!("/admin/pages/{}/edit", hub.id)).await;
    let mut fields = form("Guide", "handbook", "Hub text.", "published");
    fields.push(("version", "1"));
    assert_eq!(
        b.post(&format!("/admin/pages/{}", hub.id), &fields)
            .await
            .status,
        303
    );

    for (old, new) in [
        ("/guide", "/handbook"),
        ("/guide/step", "/handbook/step"),
        ("/guide/step/deeper", "/handbook/step/deeper"),
    ] {
        let res = app.get(old).await;
        assert_eq!(res.status, 301, "{old}");
        assert_eq!(res.header("location"), new, "{old}");
        assert_eq!(app.get(new).await.status, 200, "{new}");
    }
    let redirects = b.get("/admin/redirects").await.body;
    assert!(redirects.contains("<code>/guide/step</code>"));

    // Moving a page under another hub works the same way.
    let other = page("other", "Other").create(&app).await;
    b.get(&format!("/admin/pages/{}/edit", child.id)).await;
    let parent = other.id.to_string();
    let mut fields = form("Step", "step", "x", "published");
    fields.push(("parent_id", &parent));
    fields.push(("version", "1"));
    assert_eq!(
        b.post(&format!("/admin/pages/{}", child.id), &fields)
            .await
            .status,
        303
    );
    assert_eq!(
        app.get("/guide/step/deeper").await.header("location"),
        "/other/step/deeper",
        "chains collapsed"
    );
    assert_eq!(
        app.get("/handbook/step").await.header("location"),
        "/other/step"
    );
}

async fn redirect_chains_collapse_and_count_hits(app: TestApp) {
    page("c", "C").create(&app).await;
    let mut b = editor(&app).await;
    b.get("/admin/redirects").await;
    assert_eq!(
        b.post(
            "/admin/redirects",
            &[("from_path", "/a"), ("to_path", "/b")]
        )
        .await
        .status,
        303
    );
    assert_eq!(
        b.post(
            "/admin/redirects",
            &[("from_path", "/b/"), ("to_path", "/c")]
        )
        .await
        .status,
        303
    );
    let res = app.get("/a").await;
    assert_eq!(
        (res.status.as_u16(), res.header("location")),
        (301, "/c"),
        "A->B then B->C makes A->C"
    );
    app.get("/a").await;
    assert!(
        b.get("/admin/redirects").await.body.contains("<td>2</td>"),
        "hits are counted"
    );

    let res = b
        .post(
            "/admin/redirects",
            &[("from_path", "/c"), ("to_path", "/a")],
        )
        .await;
    assert_eq!(
        res.status, 422,
        "a published page's path cannot be redirected"
    );
    let res = b
        .post(
            "/admin/redirects",
            &[("from_path", ""), ("to_path", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("Enter a path on this site")
            && res.body.contains("Enter a path starting with /")
    );

    let id = app
        .with_conn(|c| galley::content::redirects::list(c).unwrap()[0].id)
        .await;
    assert_eq!(
        b.post(&format!("/admin/redirects/{id}/delete"), &[])
            .await
            .status,
        303
    );
    assert_eq!(app.get("/a").await.status, 404);
}

/// Deleting moves a page, with the pages under it, to the trash: gone from the site at once (410),
/// its revisions kept; restored at its address, or under a new slug when the address was taken;
/// deleted for good by admins only; purged after the retention period.
async fn delete_rules(app: TestApp) {
    let hub = page("hub", "Hub").create(&app).await;
    let leaf = page("leaf", "Leaf")
        .under(&hub)
        .body("Leaf words.")
        .create(&app)
        .await;
    let mut b = editor(&app).await;
    let confirm = b.get(&format!("/admin/pages/{}/delete", hub.id)).await;
    assert!(confirm.body.contains("The pages under it go with it"));
    assert!(confirm.body.contains("/hub/leaf"));
    let res = b
        .post(&format!("/admin/pages/{}/delete", hub.id), &[])
        .await;
    assert_eq!(res.status, 303);
    for gone in ["/hub", "/hub/leaf"] {
        let res = app.get(gone).await;
        assert_eq!(res.status, 410, "{gone}");
        // Not kept by browsers: restored, the page is back for everyone (Chromium keeps a
        // 410 without caching rules for ever).
        assert_eq!(res.header("cache-control"), "no-cache");
    }
    assert_eq!(
        app.get("/no-such-page").await.header("cache-control"),
        "no-cache"
    );
    assert!(!app.get("/sitemaps/1.xml").await.body.contains("/hub"));
    assert!(!app.get("/search?q=leaf").await.body.contains("Leaf words"));
    assert!(
        !b.get("/admin/pages").await.body.contains(">Leaf<"),
        "not in the list"
    );
    let trash = b.get("/admin/trash").await;
    assert!(trash.body.contains("/hub</code> and 1 page under it"));
    assert!(
        !trash.body.contains("Delete for good"),
        "editors cannot empty the trash"
    );
    // The address taken meanwhile: restoring asks for another slug.
    page("hub", "New hub").create(&app).await;
    let item = crate::common::trash_entry(&trash.body);
    let res = b.post(&format!("/admin/trash/{item}/restore"), &[]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("another page uses /hub now"));
    let res = b
        .post(
            &format!("/admin/trash/{item}/restore"),
            &[("slug", "old-hub")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.get("/old-hub/leaf").await.status,
        200,
        "back, with the page under it"
    );
    let revisions = app
        .with_conn(move |c| galley::content::revisions::list(c, leaf.id).unwrap().len())
        .await;
    assert!(revisions >= 1, "revisions kept");

    // A redirect chosen at deletion; then deleted for good by an admin.
    b.get(&format!("/admin/pages/{}/delete", leaf.id)).await;
    let res = b
        .post(
            &format!("/admin/pages/{}/delete", leaf.id),
            &[("redirect_to", "/old-hub")],
        )
        .await;
    assert_eq!(res.status, 303);
    let moved = app.get("/old-hub/leaf").await;
    assert_eq!(
        (moved.status.as_u16(), moved.header("location")),
        (301, "/old-hub")
    );
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    let trash = boss.get("/admin/trash").await.body;
    let item = crate::common::trash_entry(&trash);
    let res = boss.post(&format!("/admin/trash/{item}/delete"), &[]).await;
    assert_eq!(res.status, 303);
    assert!(
        app.with_conn(move |c| pages::find(c, leaf.id))
            .await
            .is_err()
    );

    // Past the retention period, the trash empties itself.
    let hub2 = page("old", "Old").create(&app).await;
    b.get(&format!("/admin/pages/{}/delete", hub2.id)).await;
    b.post(&format!("/admin/pages/{}/delete", hub2.id), &[])
        .await;
    let purged = app
        .with_conn(|c| {
            let later = galley::clock::now() + chrono::Duration::days(31);
            galley::content::trash::purge(c, 30, later).unwrap()
        })
        .await;
    assert_eq!(purged, 1);
    assert!(
        app.with_conn(move |c| pages::find(c, hub2.id))
            .await
            .is_err()
    );
}

async fn live_preview_uses_the_public_renderer(app: TestApp) {
    let mut b = editor(&app).await;
    b.get("/admin/pages/new").await;
    let res = b
        .post(
            "/admin/preview",
            &[(
                "body",
                "## One\n\n## Two\n\n## Three\n\n<script>alert(1)</script>\n\n**x**",
            )],
        )
        .await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<h2 id=\"one\">One</h2>"));
    assert!(res.body.contains("class=\"toc\""));
    assert!(res.body.contains("<strong>x</strong>") && !res.body.contains("<script"));
    let res = b
        .post("/admin/preview", &[("csrf_token", "bad"), ("body", "x")])
        .await;
    assert_eq!(res.status, 403);
}

async fn duplicating_makes_a_draft_copy_beside_the_page(app: TestApp) {
    let hub = page("guide", "Guide").create(&app).await;
    let original = page("install", "Install")
        .under(&hub)
        .body("## Steps\n\nRun it.")
        .summary("How to install.")
        .in_nav()
        .create(&app)
        .await;
    let mut b = editor(&app).await;
    for (n, slug) in [(1, "install-copy"), (2, "install-copy-2")] {
        b.get(&format!("/admin/pages/{}/edit", original.id)).await;
        let res = b
            .post(&format!("/admin/pages/{}/duplicate", original.id), &[])
            .await;
        assert_eq!(res.status, 303, "copy {n}");
        let copy = app
            .with_conn(move |c| pages::find_by_path(c, &format!("guide/{slug}")).unwrap())
            .await
            .unwrap_or_else(|| panic!("copy {n} at /guide/{slug}"));
        assert_eq!(
            res.header("location"),
            format!("/admin/pages/{}/edit", copy.id)
        );
        assert_eq!(copy.title, "Install (copy)");
        assert_eq!((copy.status.as_str(), copy.in_nav), ("draft", false));
        assert_eq!(
            (copy.body_md.as_str(), copy.summary.as_str()),
            ("## Steps\n\nRun it.", "How to install.")
        );
        assert_eq!(copy.parent_id, Some(hub.id));
        assert_eq!(
            app.get(&format!("/guide/{slug}")).await.status,
            404,
            "a draft"
        );
    }
    assert_eq!(
        app.get("/guide/install").await.status,
        200,
        "the original stays"
    );
    let audit: Vec<String> = app
        .with_conn(|c| {
            use diesel::prelude::*;
            galley::db::schema::audit_log::table
                .filter(galley::db::schema::audit_log::action.eq("page.duplicate"))
                .select(galley::db::schema::audit_log::target)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        audit,
        [
            "/guide/install -> /guide/install-copy",
            "/guide/install -> /guide/install-copy-2"
        ]
    );
}

async fn bulk_actions_report_what_they_did_and_refused(app: TestApp) {
    let hub = page("docs", "Docs").create(&app).await;
    let child = page("intro", "Intro").under(&hub).create(&app).await;
    let a = page("alpha", "Alpha").draft().create(&app).await;
    let b2 = page("beta", "Beta").draft().create(&app).await;
    let mut b = editor(&app).await;
    let ticked = |ids: &[i32]| -> Vec<(String, String)> {
        ids.iter()
            .map(|id| (format!("page-{id}"), "on".to_owned()))
            .collect()
    };
    // Publish two drafts.
    let mut fields = ticked(&[a.id, b2.id]);
    fields.push(("action".into(), "publish".into()));
    let res = send_bulk(&mut b, fields).await;
    assert_eq!(res.status, 303);
    assert_eq!(app.get("/alpha").await.status, 200);
    assert_eq!(app.get("/beta").await.status, 200);
    // Move both, and the hub itself, under the hub: the hub is refused (not under itself).
    let mut fields = ticked(&[a.id, b2.id, hub.id]);
    fields.extend([
        ("action".into(), "move".into()),
        ("parent_id".into(), hub.id.to_string()),
    ]);
    let res = send_bulk(&mut b, fields).await;
    assert_eq!(res.status, 303);
    let flash = b.get("/admin/pages").await.body;
    assert!(
        flash.contains("Done for 2 page(s); refused: “Docs”"),
        "{flash}"
    );
    assert!(flash.contains("cannot be placed under itself"));
    assert_eq!(app.get("/docs/alpha").await.status, 200);
    let moved = app.get("/alpha").await;
    assert_eq!(
        (moved.status.as_u16(), moved.header("location")),
        (301, "/docs/alpha"),
        "a redirect"
    );
    // Order, then the trash: the child goes with its hub and is reported as such.
    let mut fields = ticked(&[a.id]);
    fields.extend([
        ("action".into(), "order".into()),
        ("nav_order".into(), "7".into()),
    ]);
    send_bulk(&mut b, fields).await;
    let order = app
        .with_conn(move |c| pages::find(c, a.id).unwrap().nav_order)
        .await;
    assert_eq!(order, 7);
    let mut fields = ticked(&[hub.id, child.id]);
    fields.push(("action".into(), "trash".into()));
    send_bulk(&mut b, fields).await;
    let flash = b.get("/admin/pages").await.body;
    assert!(
        flash.contains("Done for 1 page(s); refused: “Intro”: already in the trash with its hub"),
        "{flash}"
    );
    assert_eq!(app.get("/docs/alpha").await.status, 410);
    // Nothing ticked: said so, nothing done.
    let res = send_bulk(&mut b, vec![("action".into(), "publish".into())]).await;
    assert_eq!(res.status, 303);
    assert!(
        b.get("/admin/pages")
            .await
            .body
            .contains("Tick the pages to change first.")
    );
    // Audited per page.
    let publishes: i64 = app
        .with_conn(|c| {
            use diesel::prelude::*;
            galley::db::schema::audit_log::table
                .filter(galley::db::schema::audit_log::action.eq("page.publish"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert!(publishes >= 2);
}

async fn send_bulk(
    b: &mut Browser<'_>,
    fields: Vec<(String, String)>,
) -> crate::common::TestResponse {
    b.get("/admin/pages").await;
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post("/admin/pages/bulk", &borrowed).await
}

/// The editor's autosave slot: offered with a diff when newer than the page, restored into the
/// form on request, kept per user, cleared by saving or discarding; restoring an old base keeps
/// the conflict rule.
async fn autosaved_changes_are_offered_restored_and_cleared(app: TestApp) {
    let p = page("notes", "Notes")
        .body("First line.\n")
        .create(&app)
        .await;
    let mut b = editor(&app).await;
    b.get(&format!("/admin/pages/{}/edit", p.id)).await;
    let typed = [
        ("title", "Notes"),
        ("slug", "notes"),
        ("status", "published"),
        ("body", "First line.\nA line typed, not saved.\n"),
        ("version", "1"),
    ];
    let res = b
        .post(&format!("/admin/pages/autosave?page={}", p.id), &typed)
        .await;
    assert_eq!(res.status, 204);
    assert!(
        app.get("/notes").await.body.contains("First line.")
            && !app.get("/notes").await.body.contains("typed, not saved"),
        "not on the site"
    );
    let editor_page = b.get(&format!("/admin/pages/{}/edit", p.id)).await.body;
    assert!(editor_page.contains("Unsaved changes from"));
    assert!(
        editor_page.contains("<code>A line typed, not saved.</code>"),
        "a diff"
    );
    // Another editor sees nothing of it.
    let mut other = app.signed_in("other@example.com", Role::Editor).await;
    assert!(
        !other
            .get(&format!("/admin/pages/{}/edit", p.id))
            .await
            .body
            .contains("Unsaved changes")
    );
    // Restored into the form.
    let restored = b
        .get(&format!("/admin/pages/{}/edit?restore=1", p.id))
        .await
        .body;
    assert!(restored.contains("A line typed, not saved."));
    assert!(
        !restored.contains("Unsaved changes from"),
        "no offer over the restored form"
    );
    // Someone else saves in between: saving the restored text is a conflict, not an overwrite.
    let mut newer = p.to_input();
    newer.body_md = "Their line.\n".into();
    let pid = p.id;
    app.with_conn_then_refresh(move |c| {
        galley::content::saving::update(c, pid, &newer, None, None, "", galley::clock::now())
            .unwrap()
    })
    .await;
    let mut save = typed.to_vec();
    save.push(("action", "save"));
    let res = b.post(&format!("/admin/pages/{}", p.id), &save).await;
    assert_eq!(res.status, 409, "the conflict rule holds");
    // Saved at last: the slot is gone.
    let mut again = save.clone();
    again.retain(|(k, _)| *k != "version");
    again.push(("version", "2"));
    let res = b.post(&format!("/admin/pages/{}", p.id), &again).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(
        !b.get(&format!("/admin/pages/{}/edit", p.id))
            .await
            .body
            .contains("Unsaved changes")
    );
    // A page never saved is autosaved too, and discarding forgets it.
    b.get("/admin/pages/new").await;
    let res = b
        .post(
            "/admin/pages/autosave?page=0",
            &[("title", "Draft idea"), ("body", "Half a thought.")],
        )
        .await;
    assert_eq!(res.status, 204);
    let new_page = b.get("/admin/pages/new").await.body;
    assert!(new_page.contains("Unsaved changes from") && new_page.contains("Draft idea"));
    let res = b.post("/admin/pages/autosave/discard?page=0", &[]).await;
    assert_eq!(res.status, 303);
    assert!(
        !b.get("/admin/pages/new")
            .await
            .body
            .contains("Unsaved changes")
    );
    // No slot for a page that does not exist; none without the form's token.
    assert_eq!(
        b.post("/admin/pages/autosave?page=999999", &[("title", "x")])
            .await
            .status,
        404
    );
    assert_eq!(
        b.post(
            "/admin/pages/autosave?page=0",
            &[("title", "x"), ("csrf_token", "forged")]
        )
        .await
        .status,
        403
    );
}

/// What the trash must not let happen: a page in it edited back onto the site, a page put under
/// a hub in it, a page deleted twice, a hub deleted for good past a page trashed on its own, a
/// page restored under its hub's old address.
async fn the_trash_keeps_its_pages_consistent(app: TestApp) {
    let hub = page("hub", "Hub").create(&app).await;
    let post = page("post", "Post").under(&hub).create(&app).await;
    let other = page("other", "Other").under(&hub).create(&app).await;
    let mut b = editor(&app).await;
    // The post alone, then (twice) the hub.
    b.get(&format!("/admin/pages/{}/delete", post.id)).await;
    assert_eq!(
        b.post(&format!("/admin/pages/{}/delete", post.id), &[])
            .await
            .status,
        303
    );
    assert_eq!(
        b.post(&format!("/admin/pages/{}/delete", post.id), &[])
            .await
            .status,
        404,
        "twice"
    );
    // Editing a page in the trash: no editor, no save.
    assert_eq!(
        b.get(&format!("/admin/pages/{}/edit", post.id))
            .await
            .status,
        404
    );
    let res = b
        .post(
            &format!("/admin/pages/{}", post.id),
            &[
                ("title", "Post"),
                ("slug", "post"),
                ("parent_id", &hub.id.to_string()),
                ("status", "published"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("is in the trash"));
    // The hub renamed while the post is in the trash: restored, the post follows the new name.
    let renamed = pages::PageInput {
        slug: "guides".into(),
        ..hub.to_input()
    };
    let hid = hub.id;
    app.with_conn_then_refresh(move |c| {
        galley::content::saving::update(c, hid, &renamed, None, None, "", galley::clock::now())
            .unwrap()
    })
    .await;
    let trash = b.get("/admin/trash").await.body;
    let item = crate::common::trash_entry(&trash);
    assert_eq!(
        b.post(&format!("/admin/trash/{item}/restore"), &[])
            .await
            .status,
        303
    );
    assert_eq!(
        app.get("/guides/post").await.status,
        200,
        "under its hub as it is now"
    );
    // A new page under a hub in the trash is refused.
    b.get(&format!("/admin/pages/{}/delete", post.id)).await;
    b.post(&format!("/admin/pages/{}/delete", post.id), &[])
        .await;
    b.get(&format!("/admin/pages/{}/delete", hub.id)).await;
    assert_eq!(
        b.post(&format!("/admin/pages/{}/delete", hub.id), &[])
            .await
            .status,
        303
    );
    b.get("/admin/pages/new").await;
    let res = b
        .post(
            "/admin/pages",
            &[
                ("title", "Orphan"),
                ("slug", "orphan"),
                ("parent_id", &hub.id.to_string()),
                ("status", "published"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("parent page is in the trash"));
    // Deleting the hub for good takes the post trashed on its own with it.
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    let trash = boss.get("/admin/trash").await.body;
    let hub_entry = crate::common::trash_entry(&trash);
    assert_eq!(
        boss.post(&format!("/admin/trash/{hub_entry}/delete"), &[])
            .await
            .status,
        303
    );
    for gone in [hub.id, post.id, other.id] {
        assert!(
            app.with_conn(move |c| pages::find(c, gone)).await.is_err(),
            "page {gone}"
        );
    }
    assert!(
        boss.get("/admin/trash")
            .await
            .body
            .contains("The trash is empty.")
    );
}
