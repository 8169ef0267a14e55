//! The site archive: a backup restored on the same and on the other backend gives the same site
//! (every table compared row by row, media bytes included; the old password signs in; revisions
//! and redirects work), a backup taken while pages are written restores consistent, and a
//! damaged archive is refused, naming the part, with the database left empty.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::archive::{ArchiveError, file as archive};
use galley::config::Config;
use galley::db::schema::{contact_submissions, pages as pages_table};

use crate::common::fixtures::page;
use crate::common::{TestApp, TestDb, images, password_of};
use crate::db_tests;
use crate::media::{upload, uploaded_id, work};

db_tests!(
    a_restored_site_is_the_same_site_on_either_backend,
    a_backup_taken_during_writes_restores_consistent,
    a_damaged_archive_is_refused_and_nothing_is_written,
    scheduled_backups_run_once_across_instances_and_keep_the_newest,
);

/// A new database of the backend `like` is on (or the other one), migrated and empty.
fn empty_db(kind: &str) -> Option<TestDb> {
    let db = match kind {
        "sqlite" => TestDb::sqlite(),
        _ => TestDb::postgres()?,
    };
    let pool = galley::db::connect(db.url(), 2).unwrap();
    galley::db::migrate(&mut pool.get().unwrap()).unwrap();
    Some(db)
}

fn backend_of(app: &TestApp) -> &'static str {
    if app.db.url().starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}

async fn backup(app: &TestApp, path: &Path) {
    let path = path.to_owned();
    app.with_conn(move |c| archive::backup_to(c, &path, &mut |_, _| {}).unwrap())
        .await;
}

fn restore(
    db: &TestDb,
    path: &Path,
    force: bool,
) -> Result<galley::archive::Manifest, ArchiveError> {
    let pool = galley::db::connect(db.url(), 2).unwrap();
    let mut conn = pool.get().unwrap();
    archive::restore_from(&mut conn, path, force, &mut |_, _| {})
}

/// Every part of an archive as rows of column → value, timestamps written one way: what two
/// databases hold, compared whatever the backend, the column order or the JSON spacing.
fn contents(path: &Path) -> BTreeMap<String, Vec<BTreeMap<String, serde_json::Value>>> {
    let file = std::fs::File::open(path).unwrap();
    let lines = BufReader::new(flate2::read::GzDecoder::new(file)).lines();
    let (mut parts, mut current, mut columns) = (BTreeMap::new(), String::new(), Vec::new());
    for line in lines.skip(1) {
        let line = line.unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(name) = value.get("part").and_then(|v| v.as_str()) {
            current = name.to_owned();
            columns = serde_json::from_value::<Vec<String>>(value["columns"].clone()).unwrap();
            parts.insert(current.clone(), Vec::new());
        } else if let Some(row) = value.as_array() {
            let row = columns
                .iter()
                .zip(row)
                .map(|(c, v)| (c.clone(), normalised(v)))
                .collect();
            parts.get_mut(&current).unwrap().push(row);
        }
    }
    parts
}

fn normalised(value: &serde_json::Value) -> serde_json::Value {
    let Some(s) = value.as_str() else {
        return value.clone();
    };
    match chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f") {
        Ok(t) => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string().into(),
        Err(_) => s.to_lowercase().into(),
    }
}

fn temp_file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

async fn a_restored_site_is_the_same_site_on_either_backend(app: TestApp) {
    // A site with a bit of everything: pages in a hub, a draft, a revision history and a
    // redirect, an account with a second factor, a file, a contact message, a review.
    let hub = page("guide", "Guide").create(&app).await;
    let child = page("install", "Install")
        .under(&hub)
        .body("Run it.")
        .create(&app)
        .await;
    page("plans", "Plans").draft().create(&app).await;
    let mut editor = app.signed_in("ed@example.com", Role::Editor).await;
    let photo = uploaded_id(
        &upload(
            &mut editor,
            &[("heron.png", &images::png(64, 48))],
            "A heron",
        )
        .await,
    );
    work(&app).await;
    let v = child.version.to_string();
    let res = editor
        .post(
            &format!("/admin/pages/{}", child.id),
            &[
                ("title", "Install"),
                ("slug", "setup"),
                ("parent_id", &hub.id.to_string()),
                ("body", "Run it, then open the site."),
                ("status", "published"),
                ("nav_order", "0"),
                ("version", &v),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    app.with_conn(|c| {
        diesel::update(galley::db::schema::users::table)
            .filter(galley::db::schema::users::email.eq("ed@example.com"))
            .set(galley::db::schema::users::totp_secret.eq(Some("sealed-secret")))
            .execute(c)
            .unwrap();
        diesel::insert_into(contact_submissions::table)
            .values((
                contact_submissions::name.eq("Visitor"),
                contact_submissions::email.eq("v@example.com"),
                contact_submissions::subject.eq("Hello"),
                contact_submissions::message.eq("Ünïcode and \"quotes\"\nand lines"),
                contact_submissions::status.eq("new"),
                contact_submissions::ip.eq("192.0.2.1"),
                contact_submissions::user_agent.eq("test"),
                contact_submissions::spam_reason.eq(""),
                contact_submissions::token_hash.eq("t"),
                contact_submissions::created_at.eq(galley::clock::now()),
                contact_submissions::updated_at.eq(galley::clock::now()),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
    // A page in the trash that keeps pointing at a hub moved deeper since: its row comes before
    // its parent's (pages are read shallowest first), which PostgreSQL checks at once.
    let old_hub = page("a", "A").create(&app).await;
    let leaf = page("b", "B").under(&old_hub).create(&app).await;
    let w = page("w", "W").create(&app).await;
    let x = page("x", "X").under(&w).create(&app).await;
    let y = page("y", "Y").under(&x).create(&app).await;
    let z = page("z", "Z").under(&y).create(&app).await;
    app.with_conn_then_refresh(move |c| {
        let actor = galley::audit::Actor::cli();
        galley::content::editing::delete_page(c, leaf.id, None, &actor).unwrap();
        let moved = galley::content::pages::PageInput {
            parent_id: Some(z.id),
            ..galley::content::pages::find(c, old_hub.id)
                .unwrap()
                .to_input()
        };
        galley::content::editing::save(c, Some(old_hub.id), &moved, None, &actor, "")
    })
    .await
    .unwrap();
    let media_url = editor.get(&format!("/admin/media/{photo}")).await;
    assert_eq!(media_url.status, 200);
    let original_bytes = app.get(&format!("/media/{photo}")).await;
    let served_path = original_bytes.header("location").to_owned();
    let served = app.get(&served_path).await.bytes;
    assert!(!served.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let first = temp_file(&dir, "site.galley");
    backup(&app, &first).await;
    assert!(first.exists() && !temp_file(&dir, "site.partial").exists());
    let before = contents(&first);
    assert_eq!(before["pages"].len(), 9);
    assert!(
        before["blobs"].len() >= 2,
        "the file's bytes are in the archive"
    );

    for target in [
        backend_of(&app),
        if backend_of(&app) == "sqlite" {
            "postgres"
        } else {
            "sqlite"
        },
    ] {
        let Some(db) = empty_db(target) else {
            continue;
        };
        let manifest = restore(&db, &first, false).unwrap();
        assert_eq!(manifest.parts.len(), before.len());
        // Everything the archive held is there: a backup of the restored site holds the same.
        let again = temp_file(&dir, &format!("{target}.galley"));
        {
            let pool = galley::db::connect(db.url(), 2).unwrap();
            archive::backup_to(&mut pool.get().unwrap(), &again, &mut |_, _| {}).unwrap();
        }
        let after = contents(&again);
        for (part, rows) in &before {
            if part == "site_state" {
                // The content version only goes forward: a restore moves it past both.
                let (old, new) = (
                    &rows[0]["content_version"],
                    &after[part][0]["content_version"],
                );
                assert!(new.as_i64() > old.as_i64(), "{old} then {new}");
                continue;
            }
            assert_eq!(rows, &after[part], "{part} restored on {target}");
        }
        // And it is the same site.
        let restored = TestApp::with_config(db, Config::for_database("")).await;
        let mut b = restored.browser();
        let res = b
            .try_sign_in("ed@example.com", &password_of("ed@example.com"), "/admin")
            .await;
        assert_eq!(res.status, 303, "the old password signs in on {target}");
        assert_eq!(restored.get("/guide/setup").await.status, 200);
        // The search index holds the restored pages (built once at the end on SQLite).
        let found = restored.get("/search?q=run").await;
        assert!(
            found.body.contains("/guide/setup"),
            "search finds the restored page on {target}: {}",
            found.body
        );
        let moved = restored.get("/guide/install").await;
        assert_eq!(moved.status, 301, "the redirect came along");
        assert_eq!(
            restored.get(&served_path).await.bytes,
            served,
            "the same bytes"
        );
        let revisions: i64 = restored
            .with_conn(move |c| {
                galley::db::schema::page_revisions::table
                    .filter(galley::db::schema::page_revisions::page_id.eq(child.id))
                    .count()
                    .get_result(c)
                    .unwrap()
            })
            .await;
        assert_eq!(revisions, 2);
        // New rows get new ids (the sequences moved past the restored ones).
        let fresh = page("after-restore", "After").create(&restored).await;
        assert!(fresh.id > child.id);
    }
}

async fn a_backup_taken_during_writes_restores_consistent(app: TestApp) {
    for i in 0..20 {
        page(&format!("before-{i}"), "Before").create(&app).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "busy.galley");
    let writer_url = app.db.url().to_owned();
    let writer = std::thread::spawn(move || {
        let pool = galley::db::connect(&writer_url, 2).unwrap();
        let mut conn = pool.get().unwrap();
        for i in 0..40 {
            let input = galley::content::pages::PageInput {
                slug: format!("during-{i}"),
                title: format!("During {i}"),
                ..page("x", "x").input()
            };
            galley::content::editing::save(
                &mut conn,
                None,
                &input,
                None,
                &galley::audit::Actor::cli(),
                "",
            )
            .unwrap();
        }
    });
    backup(&app, &path).await;
    writer.join().unwrap();
    let Some(db) = empty_db(backend_of(&app)) else {
        return;
    };
    restore(&db, &path, false).expect("a consistent snapshot restores");
    let restored = TestApp::with_config(db, Config::for_database("")).await;
    let (pages, with_revision): (i64, i64) = restored
        .with_conn(|c| {
            use galley::db::schema::page_revisions as r;
            let pages = pages_table::table.count().get_result(c).unwrap();
            let with_revision = pages_table::table
                .filter(diesel::dsl::exists(
                    r::table.filter(r::page_id.eq(pages_table::id)),
                ))
                .count()
                .get_result(c)
                .unwrap();
            (pages, with_revision)
        })
        .await;
    assert!(pages >= 20, "the pages written before");
    assert_eq!(
        pages, with_revision,
        "no page without its revision, no revision without its page"
    );
}

async fn a_damaged_archive_is_refused_and_nothing_is_written(app: TestApp) {
    page("one", "One").body("Some text.").create(&app).await;
    app.user("ed@example.com", Role::Editor).await;
    let dir = tempfile::tempdir().unwrap();
    let good = temp_file(&dir, "good.galley");
    backup(&app, &good).await;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&good).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let write_gz = |name: &str, body: &str| {
        let path = temp_file(&dir, name);
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(body.as_bytes()).unwrap();
        gz.finish().unwrap();
        path
    };
    let altered = write_gz(
        "altered.galley",
        &text.replacen("Some text.", "Other text", 1),
    );
    let lines: Vec<&str> = text.lines().collect();
    let no_manifest = write_gz(
        "no-manifest.galley",
        &(lines[..lines.len() - 1].join("\n") + "\n"),
    );
    let bytes = std::fs::read(&good).unwrap();
    let truncated = temp_file(&dir, "truncated.galley");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();

    for (path, part) in [
        (&altered, Some("pages")),
        (&no_manifest, Some("the manifest")),
        (&truncated, None),
    ] {
        let Some(db) = empty_db(backend_of(&app)) else {
            return;
        };
        let err = restore(&db, path, false).expect_err("refused");
        if let Some(part) = part {
            assert!(err.to_string().contains(part), "{}: {err}", path.display());
        }
        assert!(matches!(err, ArchiveError::Damaged { .. }), "{err}");
        let pool = galley::db::connect(db.url(), 2).unwrap();
        let (users, pages) = (
            galley::archive::columns::count(&mut pool.get().unwrap(), "users").unwrap(),
            galley::archive::columns::count(&mut pool.get().unwrap(), "pages").unwrap(),
        );
        assert_eq!(
            (users, pages),
            (0, 0),
            "nothing of {} was kept",
            path.display()
        );
    }
    // A site is never replaced by accident.
    let pool = galley::db::connect(app.db.url(), 2).unwrap();
    let err = archive::restore_from(&mut pool.get().unwrap(), &good, false, &mut |_, _| {})
        .expect_err("not into a database that holds a site");
    assert!(err.to_string().contains("not empty"), "{err}");
    archive::restore_from(&mut pool.get().unwrap(), &good, true, &mut |_, _| {})
        .expect("with --force");
}

async fn scheduled_backups_run_once_across_instances_and_keep_the_newest(app: TestApp) {
    use galley::archive::schedule;
    page("scheduled", "Scheduled").create(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let every = std::time::Duration::from_secs(3600);
    let t0 = galley::clock::now();
    // Two instances check at the same moment: one of them makes the backup.
    let made: Vec<Option<PathBuf>> = ["a", "b"]
        .map(|name| {
            let (url, dir) = (app.db.url().to_owned(), dir.path().to_owned());
            std::thread::spawn(move || {
                let pool = galley::db::connect(&url, 1).unwrap();
                let holder = format!("instance-{name}.lease");
                schedule::tick(&mut pool.get().unwrap(), &dir, every, 2, &holder, t0).unwrap()
            })
        })
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(made.iter().filter(|m| m.is_some()).count(), 1, "{made:?}");
    assert_eq!(schedule::archives(dir.path()).unwrap().len(), 1);
    let pool = galley::db::connect(app.db.url(), 1).unwrap();
    let mut conn = pool.get().unwrap();
    let minutes = |m: i64| t0 + chrono::Duration::minutes(m);
    assert_eq!(
        schedule::tick(
            &mut conn,
            dir.path(),
            every,
            2,
            "instance-a.lease",
            minutes(30)
        )
        .unwrap(),
        None,
        "not due yet"
    );
    // Another instance holds the lease (it is making one): nobody else starts.
    assert!(
        schedule::claim(
            &mut conn,
            "instance-b.lease",
            chrono::Duration::hours(1),
            minutes(60)
        )
        .unwrap()
    );
    assert_eq!(
        schedule::tick(
            &mut conn,
            dir.path(),
            every,
            2,
            "instance-a.lease",
            minutes(61)
        )
        .unwrap(),
        None
    );
    schedule::release(&mut conn, "instance-b.lease", None).unwrap();
    for m in [61, 122, 183] {
        let made = schedule::tick(
            &mut conn,
            dir.path(),
            every,
            2,
            "instance-a.lease",
            minutes(m),
        );
        assert!(made.unwrap().is_some(), "due at +{m} min");
    }
    let kept = schedule::archives(dir.path()).unwrap();
    assert_eq!(kept.len(), 2, "the newest two are kept: {kept:?}");
    drop(conn);
    let Some(db) = empty_db(backend_of(&app)) else {
        return;
    };
    restore(&db, kept.last().unwrap(), false).expect("the newest restores");
}
