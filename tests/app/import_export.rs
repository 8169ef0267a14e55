//! Import and export of the Markdown folder format.

use std::path::{Path, PathBuf};

use galley::content::pages;
use galley::content::transfer;

use crate::common::TestApp;
use crate::db_tests;

db_tests!(
    import_export_import_round_trip,
    import_is_idempotent_and_updates,
    malformed_files_are_reported_and_the_rest_imported,
    a_batched_import_stores_what_page_by_page_saves_store,
);

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Every page as comparable data: path, title, summary, body, status, time, order, flag.
type Row = (
    String,
    String,
    String,
    String,
    String,
    Option<chrono::NaiveDateTime>,
    i32,
    bool,
);

async fn rows(app: &TestApp) -> Vec<Row> {
    app.with_conn(|c| pages::all(c).unwrap())
        .await
        .into_iter()
        .map(|p| {
            (
                p.path,
                p.title,
                p.summary,
                p.body_md,
                p.status,
                p.publish_at,
                p.nav_order,
                p.in_nav,
            )
        })
        .collect()
}

async fn import_dir(app: &TestApp, dir: PathBuf) -> transfer::ImportReport {
    app.with_conn_then_refresh(move |c| {
        transfer::import(
            c,
            None,
            transfer::read_dir(&dir).unwrap(),
            &galley::audit::Actor::cli(),
            galley::clock::now(),
        )
    })
    .await
}

async fn import_export_import_round_trip(app: TestApp) {
    // The demo site plus a draft and a scheduled page with awkward text.
    let report = app
        .with_conn_then_refresh(|c| {
            transfer::import(
                c,
                None,
                galley::site::demo::files(),
                &galley::audit::Actor::cli(),
                galley::clock::now(),
            )
        })
        .await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.created >= 15);
    let src = tempfile::tempdir().unwrap();
    write(
        src.path(),
        "guide/draft-notes.md",
        "+++\ntitle = \"Notes: \\\"quoted\\\" & <b>\"\nstatus = \"draft\"\norder = 9\n+++\n\nSome *draft* text.\n",
    );
    write(
        src.path(),
        "guide/_index.md",
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("src/site/demo/guide/_index.md"),
        )
        .unwrap(),
    );
    write(
        src.path(),
        "later.md",
        "+++\ntitle = \"Later\"\nstatus = \"scheduled\"\npublish_at = 2030-01-02T03:04:05Z\nin_nav = true\n+++\nSoon.\n",
    );
    let r = import_dir(&app, src.path().to_path_buf()).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.created, r.unchanged), (2, 1));

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_path_buf();
    let (n, steps) = app
        .with_conn(move |c| {
            let steps = std::cell::RefCell::new(Vec::new());
            let n = galley::content::export::export(c, &dir, &|done, total| {
                steps.borrow_mut().push((done, total))
            })
            .unwrap()
            .pages;
            (n, steps.into_inner())
        })
        .await;
    assert_eq!(n, rows(&app).await.len());
    assert_eq!(steps.len(), n, "progress after every page");
    assert_eq!(steps.last(), Some(&(n as u64, n as u64)));
    assert!(
        out.path().join("_index.md").exists(),
        "home page at the root _index.md"
    );
    assert!(
        out.path().join("glossary/_index.md").exists(),
        "a hub's own page"
    );
    assert!(out.path().join("glossary/slug.md").exists());

    let fresh = TestApp::start(app.db.sibling(), false).await;
    let r = import_dir(&fresh, out.path().to_path_buf()).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(
        rows(&fresh).await,
        rows(&app).await,
        "export -> import reproduces the site"
    );
    assert_eq!(fresh.get("/glossary/markdown").await.status, 200);
    assert_eq!(
        fresh.get("/guide/draft-notes").await.status,
        404,
        "a draft stays a draft"
    );

    // And importing the export again changes nothing.
    let r = import_dir(&fresh, out.path().to_path_buf()).await;
    assert_eq!((r.created, r.updated, r.errors.len()), (0, 0, 0));
}

async fn import_is_idempotent_and_updates(app: TestApp) {
    let src = tempfile::tempdir().unwrap();
    write(
        src.path(),
        "docs/_index.md",
        "+++\ntitle = \"Docs\"\nin_nav = true\n+++\nAll docs.\n",
    );
    write(
        src.path(),
        "docs/a.md",
        "+++\ntitle = \"A\"\norder = 1\n+++\nFirst.\n",
    );
    let r = import_dir(&app, src.path().to_path_buf()).await;
    assert_eq!((r.created, r.updated, r.unchanged), (2, 0, 0));
    let before = app
        .with_conn(|c| pages::find_by_path(c, "docs/a").unwrap().unwrap())
        .await;

    let r = import_dir(&app, src.path().to_path_buf()).await;
    assert_eq!(
        (r.created, r.updated, r.unchanged),
        (0, 0, 2),
        "nothing changes twice"
    );
    let same = app
        .with_conn(|c| pages::find_by_path(c, "docs/a").unwrap().unwrap())
        .await;
    assert_eq!(same.version, before.version);

    write(
        src.path(),
        "docs/a.md",
        "+++\ntitle = \"A, revised\"\norder = 1\n+++\nFirst, revised.\n",
    );
    let r = import_dir(&app, src.path().to_path_buf()).await;
    assert_eq!((r.created, r.updated, r.unchanged), (0, 1, 1));
    let after = app
        .with_conn(|c| pages::find_by_path(c, "docs/a").unwrap().unwrap())
        .await;
    assert_eq!(after.id, before.id, "updated in place, by path");
    assert_eq!(after.title, "A, revised");
    assert!(app.get("/docs/a").await.body.contains("First, revised."));
}

async fn malformed_files_are_reported_and_the_rest_imported(app: TestApp) {
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "good.md", "+++\ntitle = \"Good\"\n+++\nFine.\n");
    write(src.path(), "no-front-matter.md", "# Just markdown\n");
    write(
        src.path(),
        "unclosed.md",
        "+++\ntitle = \"Open\"\n\nNo end.\n",
    );
    write(src.path(), "bad-toml.md", "+++\ntitle = \"Broken\n+++\nx\n");
    write(src.path(), "no-title.md", "+++\nsummary = \"s\"\n+++\nx\n");
    write(
        src.path(),
        "bad-status.md",
        "+++\ntitle = \"S\"\nstatus = \"live\"\n+++\nx\n",
    );
    write(src.path(), "Bad Name.md", "+++\ntitle = \"N\"\n+++\nx\n");
    write(
        src.path(),
        "orphans/child.md",
        "+++\ntitle = \"Orphan\"\n+++\nx\n",
    );
    write(
        src.path(),
        "scheduled.md",
        "+++\ntitle = \"When\"\nstatus = \"scheduled\"\n+++\nx\n",
    );
    let r = import_dir(&app, src.path().to_path_buf()).await;
    assert_eq!(r.created, 1, "the good file is imported");
    let mut failed: Vec<(String, String)> = r
        .errors
        .iter()
        .map(|(p, e)| (p.to_string_lossy().into_owned(), e.clone()))
        .collect();
    failed.sort();
    let expect = [
        ("Bad Name.md", "not a valid slug"),
        ("bad-status.md", "live"),
        ("bad-toml.md", "invalid front matter"),
        ("no-front-matter.md", "must start with a line `+++`"),
        ("no-title.md", "title"),
        ("orphans/child.md", "/orphans does not exist"),
        ("scheduled.md", "publish_at"),
        ("unclosed.md", "not closed"),
    ];
    assert_eq!(failed.len(), expect.len(), "{failed:?}");
    for ((path, reason), (want_path, want_reason)) in failed.iter().zip(expect) {
        assert_eq!(path, want_path);
        assert!(
            reason.contains(want_reason),
            "{path}: {reason:?} should mention {want_reason:?}"
        );
    }
    assert_eq!(app.get("/good").await.status, 200);
}

/// The import writes in batches and derives backlinks and related pages once, at the end; what
/// it stores is what saving the same pages one by one stores (related pages as a rebuild over
/// the whole site gives them: one by one, an early page cannot know the pages after it).
async fn a_batched_import_stores_what_page_by_page_saves_store(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "_index.md",
        "+++\ntitle = \"Home\"\n+++\nSee [the guide](/guide).\n",
    );
    write(
        dir.path(),
        "guide/_index.md",
        "+++\ntitle = \"Guide\"\n+++\n## Start\n\nRead [setup](/guide/setup-0).\n",
    );
    for i in 0..600 {
        let text = format!(
            "+++\ntitle = \"Setup step {i}\"\nsummary = \"Step {i}.\"\n+++\n## Part {i}\n\nBack to [the guide](/guide), on to [the next](/guide/setup-{}).\n",
            i + 1
        );
        write(dir.path(), &format!("guide/setup-{i}.md"), &text);
    }
    // On two connections, as `galley import` writes on PostgreSQL: the batches after the first
    // (whose pages hang under its hub) go two at a time.
    let pool = app.pool().clone();
    let files = transfer::read_dir(dir.path()).unwrap();
    let report = app
        .with_conn_then_refresh(move |c| {
            let mut second = pool.get().unwrap();
            transfer::import(
                c,
                Some(&mut second),
                files,
                &galley::audit::Actor::cli(),
                galley::clock::now(),
            )
        })
        .await;
    assert_eq!(
        (report.created, report.errors.len()),
        (602, 0),
        "{:?}",
        report.errors
    );

    // The same pages saved one by one, on another database of the same backend.
    let other = TestApp::start(app.db.sibling(), false).await;
    let imported = app.with_conn(|c| pages::all(c).unwrap()).await;
    let inputs: Vec<(String, pages::PageInput)> = imported
        .iter()
        .map(|p| (p.path.clone(), p.to_input()))
        .collect();
    let mut ordered = inputs.clone();
    ordered.sort_by_key(|(path, _)| {
        (
            path.matches('/').count() + usize::from(!path.is_empty()),
            path.clone(),
        )
    });
    for (path, input) in ordered {
        let parent = path.rsplit_once('/').map(|(p, _)| p.to_owned());
        other
            .with_conn(move |c| {
                let parent_id = parent.map(|p| pages::find_by_path(c, &p).unwrap().unwrap().id);
                let input = pages::PageInput { parent_id, ..input };
                galley::content::saving::create(c, &input, None, "Imported", galley::clock::now())
                    .unwrap();
            })
            .await;
    }
    other
        .with_conn(|c| galley::db::write(c, galley::content::links::rebuild_derived).unwrap())
        .await;
    let one_by_one = other.with_conn(|c| pages::all(c).unwrap()).await;
    assert_eq!(imported.len(), one_by_one.len());
    let path_of = |all: &[pages::Page], json: &str| -> Vec<String> {
        let ids: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
        ids.iter()
            .map(|v| v.get("id").unwrap_or(v).as_i64().unwrap() as i32)
            .map(|id| all.iter().find(|p| p.id == id).unwrap().path.clone())
            .collect()
    };
    let derived = |all: &[pages::Page], p: &pages::Page| {
        let public = all.iter().find(|q| q.id == p.id).unwrap();
        (
            public.path.clone(),
            public.body_html.clone(),
            public.toc_html.clone(),
            public.faq_json.clone(),
            public.renderer_version,
            public.version,
        )
    };
    for (a, b) in imported.iter().zip(&one_by_one) {
        assert_eq!(derived(&imported, a), derived(&one_by_one, b));
    }
    let links = async |app: &TestApp| {
        app.with_conn(|c| {
            use diesel::prelude::*;
            use galley::db::schema::page_lists as l;
            use galley::db::schema::pages as t;
            t::table
                .left_join(l::table)
                .order(t::path)
                .select((
                    t::path,
                    l::backlinks_json.nullable(),
                    l::related_json.nullable(),
                    t::search_title,
                    t::search_body,
                ))
                .load::<(String, Option<String>, Option<String>, String, String)>(c)
                .unwrap()
                .into_iter()
                // No row: neither list has anything.
                .map(|(p, b, r, st, sb)| {
                    let or_empty = |l: Option<String>| l.unwrap_or_else(|| "[]".into());
                    (p, or_empty(b), or_empty(r), st, sb)
                })
                .collect::<Vec<_>>()
        })
        .await
    };
    let (mine, theirs) = (links(&app).await, links(&other).await);
    for (a, b) in mine.iter().zip(&theirs) {
        assert_eq!(a.0, b.0);
        assert_eq!(
            path_of(&imported, &a.1),
            path_of(&one_by_one, &b.1),
            "backlinks of /{}",
            a.0
        );
        assert_eq!(
            path_of(&imported, &a.2),
            path_of(&one_by_one, &b.2),
            "related of /{}",
            a.0
        );
        assert_eq!((&a.3, &a.4), (&b.3, &b.4), "search text of /{}", a.0);
    }
    // The full-text index finds the imported pages as it finds the ones saved one by one (an
    // import's batch indexes its new pages in one statement at its end).
    let found = async |app: &TestApp, all: &[pages::Page], words: &'static str| {
        let ids = app
            .with_conn(move |c| {
                galley::search::search(c, &galley::search::Query::parse(words)).unwrap()
            })
            .await;
        let mut paths: Vec<String> = ids
            .iter()
            .map(|id| all.iter().find(|p| p.id == *id).unwrap().path.clone())
            .collect();
        paths.sort();
        paths
    };
    // Queries that find fewer pages than a search ranks: among equally good matches it keeps
    // the lowest ids, and two writers hand out ids in another order than saving one by one.
    for words in ["part 417", "setup step 599", "guide start", "start"] {
        let mine = found(&app, &imported, words).await;
        assert!(!mine.is_empty(), "{words:?} finds imported pages");
        assert_eq!(mine, found(&other, &one_by_one, words).await, "{words:?}");
    }
    app.with_conn(|c| {
        use diesel::RunQueryDsl;
        if let galley::db::DbConnection::Sqlite(c) = c {
            diesel::sql_query(
                "INSERT INTO pages_fts (pages_fts, rank) VALUES ('integrity-check', 1)",
            )
            .execute(c)
            .expect("the full-text index matches the pages it indexes");
        }
    })
    .await;
    let guide = mine.iter().find(|r| r.0 == "guide").unwrap();
    assert_eq!(
        path_of(&imported, &guide.1).len(),
        601,
        "every step links back"
    );
}
