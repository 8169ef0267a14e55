//! Authors, review and drafts of changes: what an author may and may not do, the review cycle
//! with its comments and notices, and changes to a live page prepared while it stays online.

use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::config::Config;
use galley::content::{pages, review, stage};
use galley::db::schema::{audit_log, outbox, page_reviews};

use crate::common::browser::Browser;
use crate::common::smtp::SmtpSink;
use crate::common::{TestApp, TestResponse, fixtures::page};
use crate::db_tests;

db_tests!(
    authors_are_refused_everything_but_their_own_drafts,
    the_review_cycle_keeps_comments_and_sends_notices,
    staged_changes_keep_the_live_page_until_published,
    a_draft_of_changes_follows_the_conflict_rule_and_can_be_discarded,
    the_users_screen_and_the_command_line_offer_the_author_role,
);

fn draft_form<'a>(title: &'a str, slug: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", slug),
        ("summary", "A summary."),
        ("body", body),
        ("status", "draft"),
        ("nav_order", "0"),
        ("action", "save"),
    ]
}

/// Signed in, on the dashboard (so the browser holds the session's CSRF token).
async fn staff<'a>(app: &'a TestApp, email: &str, role: Role) -> Browser<'a> {
    let mut b = app.signed_in(email, role).await;
    assert_eq!(b.get("/admin").await.status, 200);
    b
}

/// Approves as an editor does: from the review screen, with what it showed (`reviewed`).
async fn approve(editor: &mut Browser<'_>, id: i32, publish_at: &str) -> TestResponse {
    let screen = editor.get(&format!("/admin/pages/{id}/review")).await;
    let reviewed = hidden(&screen.body, "reviewed");
    let fields = [("publish_at", publish_at), ("reviewed", reviewed.as_str())];
    editor
        .post(&format!("/admin/pages/{id}/approve"), &fields)
        .await
}

/// The value of the hidden input `name` in `body` (empty when there is none).
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    body.find(&marker)
        .map(|i| {
            let rest = &body[i + marker.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_owned()
        })
        .unwrap_or_default()
}

async fn find(app: &TestApp, path: &str) -> pages::Page {
    let path = path.to_owned();
    app.with_conn(move |c| pages::find_by_path(c, &path).unwrap().expect("page"))
        .await
}

async fn state_of(app: &TestApp, id: i32) -> String {
    app.with_conn(move |c| review::state_of(c, id).unwrap())
        .await
}

/// Everything the audit log, the pages and the outbox hold: a refused request changes none.
async fn fingerprint(app: &TestApp) -> (i64, Vec<(i32, i32, String)>, i64) {
    app.with_conn(|c| {
        use galley::db::schema::pages as p;
        let audit: i64 = audit_log::table.count().get_result(c).unwrap();
        let pages: Vec<(i32, i32, String)> = p::table
            .select((p::id, p::version, p::path))
            .order(p::id)
            .load(c)
            .unwrap();
        let mails: i64 = outbox::table.count().get_result(c).unwrap();
        (audit, pages, mails)
    })
    .await
}

async fn write_draft<'a>(author: &mut Browser<'a>, app: &TestApp, slug: &str) -> pages::Page {
    let title = format!("Draft {slug}");
    let res = author
        .post("/admin/pages", &draft_form(&title, slug, "First text."))
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    find(app, slug).await
}

async fn authors_are_refused_everything_but_their_own_drafts(app: TestApp) {
    let theirs = page("theirs", "Someone else's").draft().create(&app).await;
    let live = page("live", "Live page").create(&app).await;
    let mut author = staff(&app, "author@example.com", Role::Author).await;

    // What an author may do: write a draft, change it, preview it, see its history.
    let own = write_draft(&mut author, &app, "own").await;
    assert!(own.owner_id.is_some());
    let res = author.get(&format!("/admin/pages/{}/edit", own.id)).await;
    assert_eq!(res.status, 200);
    assert!(
        res.body
            .contains("An editor publishes it once it has been reviewed")
    );
    assert!(
        !res.body.contains("value=\"published\""),
        "no publishing choice"
    );
    assert!(!res.body.contains("/delete\""), "no delete button");
    let mut edit = draft_form("Own, better", "own", "Second text.");
    let version = own.version.to_string();
    edit.push(("version", &version));
    let res = author
        .post(&format!("/admin/pages/{}", own.id), &edit)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(find(&app, "own").await.title, "Own, better");
    let res = author
        .get(&format!("/admin/pages/{}/revisions", own.id))
        .await;
    assert_eq!(res.status, 200);
    let nav = author.get("/admin").await;
    assert_eq!(nav.status, 200);
    assert!(nav.body.contains("Your drafts") && nav.body.contains("Own, better"));
    for hidden in [
        "/admin/submissions",
        "/admin/trash",
        "/admin/reviews",
        "/admin/users",
    ] {
        assert!(
            !nav.body.contains(&format!("href=\"{hidden}\"")),
            "{hidden} in the nav"
        );
    }
    let list = author.get("/admin/pages").await;
    assert!(list.body.contains("Own, better"));
    assert!(
        !list.body.contains("Someone else"),
        "an author lists their own pages"
    );
    assert!(!list.body.contains("bulk-form"));

    // Each refusal is a 403 that changes nothing.
    let before = fingerprint(&app).await;
    let bulk_key = format!("page-{}", own.id);
    let v2 = (own.version + 1).to_string();
    let publish = {
        let mut f = draft_form("Own, better", "own", "Second text.");
        f.retain(|(k, _)| *k != "status");
        f.push(("status", "published"));
        f.push(("version", &v2));
        f
    };
    let schedule = {
        let mut f = draft_form("Own, better", "own", "Second text.");
        f.push(("publish_at", "2030-01-01T09:00"));
        f.push(("version", &v2));
        f
    };
    let new_published = {
        let mut f = draft_form("Sneaky", "sneaky", "Text.");
        f.retain(|(k, _)| *k != "status");
        f.push(("status", "published"));
        f
    };
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/admin/pages/{}", own.id), publish),
        (format!("/admin/pages/{}", own.id), schedule),
        ("/admin/pages".into(), new_published),
        (
            format!("/admin/pages/{}", theirs.id),
            draft_form("Mine now", "theirs", "Taken."),
        ),
        (
            format!("/admin/pages/{}", live.id),
            draft_form("Changed", "live", "Changed."),
        ),
        (format!("/admin/pages/{}/delete", own.id), vec![]),
        (format!("/admin/pages/{}/delete", live.id), vec![]),
        (format!("/admin/pages/{}/duplicate", own.id), vec![]),
        (
            "/admin/pages/bulk".into(),
            vec![("action", "publish"), (bulk_key.as_str(), "on")],
        ),
        (format!("/admin/pages/{}/approve", own.id), vec![]),
        (
            format!("/admin/pages/{}/request-changes", own.id),
            vec![("comment", "No.")],
        ),
        (format!("/admin/pages/{}/stage/discard", live.id), vec![]),
        (
            format!("/admin/pages/{}/submit", theirs.id),
            vec![("message", "Please")],
        ),
        (
            "/admin/redirects".into(),
            vec![("from_path", "/a"), ("to_path", "/b")],
        ),
        (
            "/admin/navigation/items".into(),
            vec![
                ("kind", "url"),
                ("label", "X"),
                ("url", "https://example.com"),
            ],
        ),
        ("/admin/settings".into(), vec![("site_name", "Mine")]),
        (
            "/admin/users".into(),
            vec![("email", "new@example.com"), ("role", "admin")],
        ),
        (
            format!("/admin/pages/autosave?page={}", theirs.id),
            vec![("title", "x")],
        ),
    ];
    for (path, fields) in &posts {
        let res = author.post(path, fields).await;
        assert_eq!(res.status, 403, "POST {path}: {}", res.body);
    }
    for path in [
        format!("/admin/pages/{}/edit", theirs.id),
        format!("/admin/pages/{}/edit", live.id),
        format!("/admin/pages/{}/revisions", theirs.id),
        format!("/admin/pages/{}/delete", own.id),
        format!("/admin/pages/{}/review", own.id),
        "/admin/reviews".into(),
        "/admin/trash".into(),
        "/admin/redirects".into(),
        "/admin/links".into(),
        "/admin/submissions".into(),
        "/admin/navigation".into(),
        "/admin/appearance".into(),
        "/admin/settings".into(),
        "/admin/users".into(),
        "/admin/audit".into(),
    ] {
        let res = author.get(&path).await;
        assert_eq!(res.status, 403, "GET {path}");
    }
    assert_eq!(fingerprint(&app).await, before, "refusals change nothing");
    assert_eq!(
        state_of(&app, own.id).await,
        "",
        "not submitted by the refused requests"
    );

    // An author sees no one else's drafts (to put a page under), and has the live preview.
    let edit = author.get(&format!("/admin/pages/{}/edit", own.id)).await;
    assert!(
        !edit.body.contains("Someone else"),
        "another's draft offered as a parent"
    );
    assert!(
        edit.body.contains("Live page"),
        "published pages are offered"
    );
    let res = author.post("/admin/preview", &[("body", "## Hello")]).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("Hello"));
    // An author's draft cannot take an address a redirect holds, nor move pages under it.
    app.with_conn(|c| {
        galley::content::editing::add_redirect(
            c,
            "old-pricing",
            "live",
            &galley::audit::Actor::cli(),
        )
        .unwrap()
    })
    .await;
    let v = find(&app, "own").await.version.to_string();
    let mut taking = draft_form("Own, better", "old-pricing", "Second text.");
    taking.push(("version", &v));
    let res = author
        .post(&format!("/admin/pages/{}", own.id), &taking)
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("redirects to another page"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("value=\"old-pricing\""),
        "the value is kept"
    );
    let redirect = app
        .with_conn(|c| galley::content::redirects::follow(c, "old-pricing").unwrap())
        .await;
    assert_eq!(redirect.as_deref(), Some("live"), "the redirect stays");
    let under = page("under", "Under the draft")
        .under(&own)
        .create(&app)
        .await;
    let mut moving = draft_form("Own, better", "own-moved", "Second text.");
    moving.push(("version", &v));
    let res = author
        .post(&format!("/admin/pages/{}", own.id), &moving)
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(find(&app, "own/under").await.id, under.id);

    // Once an editor published it, the page is no longer the author's to change.
    let mut editor = staff(&app, "ed@example.com", Role::Editor).await;
    let mut f = draft_form("Own, better", "own", "Second text.");
    f.retain(|(k, _)| *k != "status");
    f.push(("status", "published"));
    f.push(("version", &v2));
    let res = editor.post(&format!("/admin/pages/{}", own.id), &f).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = author.get(&format!("/admin/pages/{}/edit", own.id)).await;
    assert_eq!(res.status, 403);
    // Media: an author can look and upload, not change or delete what pages use.
    assert_eq!(author.get("/admin/media").await.status, 200);
    assert_eq!(author.post("/admin/media/1/delete", &[]).await.status, 403);
}

async fn the_review_cycle_keeps_comments_and_sends_notices(app: TestApp) {
    let sink = SmtpSink::start(0);
    let config = Config {
        smtp_url: Some(sink.url()),
        ..Config::for_database("")
    };
    let app = TestApp::with_config(app.db.sibling(), config).await;
    let mut author = staff(&app, "author@example.com", Role::Author).await;
    let mut editor = staff(&app, "ed@example.com", Role::Editor).await;
    let _admin = app.user("boss@example.com", Role::Admin).await;
    let _other_author = app.user("other@example.com", Role::Author).await;
    let draft = write_draft(&mut author, &app, "proposal").await;

    // Submitting: in review, in the queue with its message, the editors told.
    let res = author
        .post(
            &format!("/admin/pages/{}/submit", draft.id),
            &[("message", "Ready for a look")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(state_of(&app, draft.id).await, review::IN_REVIEW);
    let mails: Vec<(String, String)> = app
        .with_conn(|c| {
            outbox::table
                .select((outbox::recipient, outbox::subject))
                .order(outbox::id)
                .load(c)
                .unwrap()
        })
        .await;
    let mut to: Vec<&str> = mails.iter().map(|(r, _)| r.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        ["admin@example.com", "boss@example.com", "ed@example.com"],
        "editors and admins, not authors"
    );
    assert!(mails[0].1.contains("For review: Draft proposal"));
    let queue = editor.get("/admin/reviews").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("Draft proposal") && queue.body.contains("Ready for a look"));
    assert!(queue.body.contains("author@example.com"));
    let dashboard = editor.get("/admin").await;
    assert!(dashboard.body.contains("Waiting for review"));
    assert!(
        dashboard
            .body
            .contains(&format!("/admin/pages/{}/review", draft.id))
    );
    assert!(
        dashboard
            .body
            .contains("<span class=\"count\">1<span class=\"visually-hidden\"> waiting"),
        "the count in the navigation"
    );
    let screen = editor
        .get(&format!("/admin/pages/{}/review", draft.id))
        .await;
    assert_eq!(screen.status, 200);
    assert!(
        screen.body.contains("First text."),
        "the text as visitors will see it"
    );

    // A request for changes needs its comment, which the author then sees.
    let res = editor
        .post(
            &format!("/admin/pages/{}/request-changes", draft.id),
            &[("comment", "  ")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"comment-error\""), "{}", res.body);
    assert_eq!(state_of(&app, draft.id).await, review::IN_REVIEW);
    let res = editor
        .post(
            &format!("/admin/pages/{}/request-changes", draft.id),
            &[("comment", "Add an example, please.")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(state_of(&app, draft.id).await, review::CHANGES_REQUESTED);
    let to_author: i64 = app
        .with_conn(|c| {
            outbox::table
                .filter(outbox::recipient.eq("author@example.com"))
                .filter(outbox::subject.like("%Changes requested%"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(to_author, 1);
    let edit = author.get(&format!("/admin/pages/{}/edit", draft.id)).await;
    assert!(
        edit.body.contains("Changes requested") && edit.body.contains("Add an example, please.")
    );
    let dashboard = author.get("/admin").await;
    assert!(dashboard.body.contains("Add an example, please."));
    assert_eq!(
        approve(&mut editor, draft.id, "").await.status,
        422,
        "only what waits can be approved"
    );

    // The author changes it and submits again; the editor schedules it.
    let mut f = draft_form("Draft proposal", "proposal", "First text, with an example.");
    let v = find(&app, "proposal").await.version.to_string();
    f.push(("version", &v));
    assert_eq!(
        author
            .post(&format!("/admin/pages/{}", draft.id), &f)
            .await
            .status,
        303
    );
    author
        .post(&format!("/admin/pages/{}/submit", draft.id), &[])
        .await;
    assert_eq!(state_of(&app, draft.id).await, review::IN_REVIEW);
    let res = approve(&mut editor, draft.id, "not a time").await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"publish_at-error\""));
    let later = (galley::clock::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    // What the editor approves is what they saw: a change meanwhile sends them back to look.
    let screen = editor
        .get(&format!("/admin/pages/{}/review", draft.id))
        .await;
    let seen = hidden(&screen.body, "reviewed");
    let mut f = draft_form(
        "Draft proposal",
        "proposal",
        "Changed while being reviewed.",
    );
    let v = find(&app, "proposal").await.version.to_string();
    f.push(("version", &v));
    let res = author.post(&format!("/admin/pages/{}", draft.id), &f).await;
    assert_eq!(res.status, 303);
    let res = editor
        .post(
            &format!("/admin/pages/{}/approve", draft.id),
            &[("publish_at", ""), ("reviewed", &seen)],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("changed after you opened it"));
    assert_eq!(find(&app, "proposal").await.status, "draft");
    let res = approve(&mut editor, draft.id, &later).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let scheduled = find(&app, "proposal").await;
    assert_eq!(scheduled.status, "scheduled");
    assert_eq!(state_of(&app, draft.id).await, "");
    assert_eq!(
        app.get("/proposal").await.status,
        404,
        "not before its time"
    );
    let approved: i64 = app
        .with_conn(|c| {
            outbox::table
                .filter(outbox::recipient.eq("author@example.com"))
                .filter(outbox::subject.like("%Approved%"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(approved, 1);

    // Kept with the revisions: every step, its message, its author and the version.
    let steps: Vec<(String, String, String)> = app
        .with_conn(move |c| {
            page_reviews::table
                .filter(page_reviews::page_id.eq(draft.id))
                .order(page_reviews::id)
                .select((
                    page_reviews::kind,
                    page_reviews::message,
                    page_reviews::user_name,
                ))
                .load(c)
                .unwrap()
        })
        .await;
    let kinds: Vec<&str> = steps.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["submitted", "changes_requested", "submitted", "approved"]
    );
    assert_eq!(steps[1].1, "Add an example, please.");
    assert_eq!(steps[1].2, "ed@example.com");
    let history = author
        .get(&format!("/admin/pages/{}/revisions", draft.id))
        .await;
    assert!(
        history.body.contains("Changes requested") && history.body.contains("Ready for a look")
    );
    assert!(
        history.body.contains("Approved by ed@example.com"),
        "the revision note"
    );
    let actions: Vec<String> = app
        .with_conn(|c| {
            audit_log::table
                .select(audit_log::action)
                .filter(audit_log::action.like("page.%"))
                .load(c)
                .unwrap()
        })
        .await;
    for action in [
        "page.submit",
        "page.request-changes",
        "page.approve",
        "page.publish",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }

    // Approved for now: live at once, out of the queue.
    let second = write_draft(&mut author, &app, "second").await;
    author
        .post(&format!("/admin/pages/{}/submit", second.id), &[])
        .await;
    let res = approve(&mut editor, second.id, "").await;
    assert_eq!(res.status, 303);
    assert_eq!(app.get("/second").await.status, 200);
    let queue = editor.get("/admin/reviews").await;
    assert!(queue.body.contains("Nothing is waiting for review"));
}

async fn staged_changes_keep_the_live_page_until_published(app: TestApp) {
    let live = page("guide", "The guide")
        .body("The old words about zebras.")
        .create(&app)
        .await;
    let mut editor = staff(&app, "ed@example.com", Role::Editor).await;
    let edit = editor.get(&format!("/admin/pages/{}/edit", live.id)).await;
    assert!(edit.body.contains("name=\"action\" value=\"stage\""));
    let version = live.version.to_string();
    let staged_form = vec![
        ("title", "The new guide"),
        ("slug", "guide"),
        ("summary", "A summary."),
        ("body", "The new words about giraffes."),
        ("status", "published"),
        ("nav_order", "0"),
        ("version", version.as_str()),
        ("action", "stage"),
    ];
    let res = editor
        .post(&format!("/admin/pages/{}", live.id), &staged_form)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);

    // Visitors see the live version everywhere.
    let public = app.get("/guide").await;
    assert!(public.body.contains("zebras") && !public.body.contains("giraffes"));
    assert!(public.body.contains("The guide") && !public.body.contains("The new guide"));
    let search = app.get("/search?q=giraffes").await;
    assert!(
        !search.body.contains("/guide\""),
        "the search index keeps the live text"
    );
    assert!(app.get("/search?q=zebras").await.body.contains("/guide\""));
    assert!(!app.get("/feed.xml").await.body.contains("The new guide"));
    assert!(!app.get("/sitemaps/1").await.body.contains("giraffes"));
    let stored = find(&app, "guide").await;
    assert_eq!(stored.version, live.version, "the page itself is unchanged");

    // The editor shows the draft of changes; it can be reviewed with its changes shown.
    let edit = editor.get(&format!("/admin/pages/{}/edit", live.id)).await;
    assert!(edit.body.contains("draft of changes") && edit.body.contains("giraffes"));
    let res = editor
        .post(
            &format!("/admin/pages/{}/submit", live.id),
            &[("message", "New animal")],
        )
        .await;
    assert_eq!(res.status, 303);
    let queue = editor.get("/admin/reviews").await;
    assert!(
        queue.body.contains("The new guide") && queue.body.contains("Changes to the live page")
    );
    let screen = editor
        .get(&format!("/admin/pages/{}/review", live.id))
        .await;
    assert!(
        screen.body.contains("giraffes") && screen.body.contains("zebras"),
        "the diff"
    );
    let later = (galley::clock::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = approve(&mut editor, live.id, &later).await;
    assert_eq!(res.status, 422, "changes to a live page are not scheduled");
    let res = approve(&mut editor, live.id, "").await;
    assert_eq!(res.status, 303, "{}", res.body);
    let public = app.get("/guide").await;
    assert!(public.body.contains("giraffes") && public.body.contains("The new guide"));
    assert!(
        app.get("/search?q=giraffes")
            .await
            .body
            .contains("/guide\"")
    );
    let published = find(&app, "guide").await;
    assert_eq!(published.status, "published", "still live");
    assert_eq!(published.version, live.version + 1);
    assert!(
        !app.with_conn(move |c| stage::exists(c, live.id).unwrap())
            .await
    );
    assert_eq!(state_of(&app, live.id).await, "");
}

async fn a_draft_of_changes_follows_the_conflict_rule_and_can_be_discarded(app: TestApp) {
    let live = page("notes", "Notes").body("Live text.").create(&app).await;
    let mut editor = staff(&app, "ed@example.com", Role::Editor).await;
    let version = live.version.to_string();
    let form = |body: &'static str, action: &'static str, version: &str| {
        vec![
            ("title", "Notes".to_owned()),
            ("slug", "notes".to_owned()),
            ("body", body.to_owned()),
            ("status", "published".to_owned()),
            ("nav_order", "0".to_owned()),
            ("version", version.to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let staged: Vec<(&str, String)> = form("Staged text.", "stage", &version);
    let borrowed: Vec<(&str, &str)> = staged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let path = format!("/admin/pages/{}", live.id);
    assert_eq!(editor.post(&path, &borrowed).await.status, 303);

    // Someone saves the live page meanwhile: publishing the stale draft is a conflict.
    let mut other = staff(&app, "other@example.com", Role::Editor).await;
    let other_edit = other.get(&format!("/admin/pages/{}/edit", live.id)).await;
    assert!(
        other_edit.body.contains("Staged text."),
        "editors share the draft of changes"
    );
    app.with_conn(move |c| {
        let input = pages::PageInput {
            body_md: "Saved directly.".into(),
            ..pages::find(c, live.id).unwrap().to_input()
        };
        galley::content::editing::save(
            c,
            Some(live.id),
            &input,
            None,
            &galley::audit::Actor::cli(),
            "",
        )
        .unwrap();
    })
    .await;
    let publish = form("Staged text.", "save", &version);
    let borrowed: Vec<(&str, &str)> = publish.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = editor.post(&path, &borrowed).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("Staged text."), "the text is kept");
    assert_eq!(find(&app, "notes").await.body_md, "Saved directly.");

    // Discarding it leaves the live page as it is.
    let res = editor
        .post(&format!("/admin/pages/{}/stage/discard", live.id), &[])
        .await;
    assert_eq!(res.status, 303);
    assert!(
        !app.with_conn(move |c| stage::exists(c, live.id).unwrap())
            .await
    );
    let edit = editor.get(&format!("/admin/pages/{}/edit", live.id)).await;
    assert!(edit.body.contains("Saved directly.") && !edit.body.contains("Staged text."));
    assert_eq!(find(&app, "notes").await.body_md, "Saved directly.");
    // Two editors: one opened the live page, then the other prepared changes to it. Saving the
    // form opened before does not drop them, nor does preparing changes over them.
    let shared = page("shared", "Shared")
        .body("Live words.")
        .create(&app)
        .await;
    let opened = editor
        .get(&format!("/admin/pages/{}/edit", shared.id))
        .await;
    assert!(opened.body.contains("name=\"stage\" value=\"\""));
    let v = shared.version.to_string();
    let path = format!("/admin/pages/{}", shared.id);
    let fields = |body: &'static str, action: &'static str| {
        vec![
            ("title", "Shared"),
            ("slug", "shared"),
            ("body", body),
            ("status", "published"),
            ("nav_order", "0"),
            ("action", action),
        ]
    };
    let mut theirs = fields("Their changes.", "stage");
    theirs.push(("version", &v));
    theirs.push(("stage", ""));
    let other_edit = other.get(&format!("/admin/pages/{}/edit", shared.id)).await;
    assert_eq!(other_edit.status, 200);
    assert_eq!(other.post(&path, &theirs).await.status, 303);
    for action in ["save", "stage"] {
        let mut mine = fields("My direct save.", action);
        mine.push(("version", &v));
        mine.push(("stage", ""));
        let res = editor.post(&path, &mine).await;
        assert_eq!(res.status, 409, "{action}: {}", res.body);
        assert!(res.body.contains("My direct save."), "the text is kept");
    }
    let kept = app
        .with_conn(move |c| stage::get(c, shared.id).unwrap().unwrap().form.body)
        .await;
    assert_eq!(kept, "Their changes.");
    assert_eq!(find(&app, "shared").await.body_md, "Live words.");
    // A draft of changes keeps the page online.
    let edit = other.get(&format!("/admin/pages/{}/edit", shared.id)).await;
    let mark = hidden(&edit.body, "stage");
    assert!(!mark.is_empty());
    let mut offline = fields("Their changes.", "stage");
    offline.retain(|(k, _)| *k != "status");
    offline.extend([("status", "draft"), ("version", &v), ("stage", &mark)]);
    let res = other.post(&path, &offline).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("keeps the page online"));

    // A draft has nothing to stage.
    let draft = page("plain", "Plain").draft().create(&app).await;
    let v = draft.version.to_string();
    let res = editor
        .post(
            &format!("/admin/pages/{}", draft.id),
            &[
                ("title", "Plain"),
                ("slug", "plain"),
                ("status", "draft"),
                ("nav_order", "0"),
                ("version", &v),
                ("action", "stage"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
}

async fn the_users_screen_and_the_command_line_offer_the_author_role(app: TestApp) {
    let mut admin = staff(&app, "boss@example.com", Role::Admin).await;
    let form = admin.get("/admin/users/new").await;
    assert!(form.body.contains("value=\"author\""));
    let res = admin
        .post(
            "/admin/users",
            &[
                ("email", "writer@example.com"),
                ("role", "author"),
                ("password", "a long enough secret"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let user = app
        .with_conn(|c| {
            galley::accounts::users::find_by_email(c, "writer@example.com")
                .unwrap()
                .unwrap()
        })
        .await;
    assert_eq!(user.role, "author");
    let shown = admin.get(&format!("/admin/users/{}", user.id)).await;
    assert!(shown.body.contains("<option value=\"author\" selected>"));
    let res = admin
        .post(
            &format!("/admin/users/{}", user.id),
            &[("action", "role"), ("role", "editor")],
        )
        .await;
    assert_eq!(res.status, 303);
    let role = app
        .with_conn(move |c| {
            galley::accounts::users::find(c, user.id)
                .unwrap()
                .unwrap()
                .role
        })
        .await;
    assert_eq!(role, "editor");
}
