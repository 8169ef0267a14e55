//! Files in pages: Markdown images rendered as pictures when a page is saved, usage tracking and
//! the refused delete, replacing a file re-rendering its pages, featured images in the head and
//! on cards, and the library in export and import.

use std::path::Path;

use galley::accounts::users::Role;
use galley::content::{export, pages, transfer};
use galley::media::library;

use crate::common::fixtures::page;
use crate::common::images;
use crate::common::{TestApp, TestDb};
use crate::db_tests;
use crate::media::{find, upload, uploaded_id, work};

db_tests!(
    markdown_images_become_pictures_when_the_page_is_saved,
    a_missing_file_is_an_error_next_to_the_text,
    pages_that_use_a_file_keep_it_from_being_deleted,
    replacing_a_file_re_renders_the_pages_that_show_it,
    a_featured_image_shows_above_the_text_on_cards_and_when_shared,
    export_then_import_into_an_empty_database_brings_the_images_back,
    a_hugo_folder_with_local_images_is_imported_into_the_library,
    a_file_many_pages_show_is_taken_in_once_on_two_connections,
    the_command_line_adds_and_lists_files,
);

async fn an_image(app: &TestApp, name: &str, width: u32, height: u32, alt: &str) -> i32 {
    let mut b = app
        .signed_in(&format!("{name}@example.com"), Role::Editor)
        .await;
    let id = uploaded_id(&upload(&mut b, &[(name, &images::jpeg(width, height))], alt).await);
    work(app).await;
    id
}

async fn markdown_images_become_pictures_when_the_page_is_saved(app: TestApp) {
    let id = an_image(&app, "bench.jpg", 1500, 1000, "A bench").await;
    let small = an_image(&app, "dot.jpg", 300, 200, "A dot").await;
    let body = format!(
        "Intro.\n\n![A wooden bench](/media/{id} \"In the garden\")\n\nText with ![](/media/{small}-1/w320/dot.webp) inline.\n"
    );
    page("garden", "Garden").body(&body).create(&app).await;
    let res = app.get("/garden").await;
    assert_eq!(res.status, 200);
    let html = &res.body;
    let figure = format!(
        "<figure><picture><source type=\"image/webp\" srcset=\"/media/{id}-1/w320/bench.webp 320w, /media/{id}-1/w640/bench.webp 640w"
    );
    assert!(
        html.contains(&figure),
        "a figure with a WebP source:\n{html}"
    );
    assert!(html.contains(&format!("src=\"/media/{id}-1/w960/bench.jpg\"")));
    assert!(html.contains("sizes=\"(max-width: 44rem) 100vw, 42rem\""));
    assert!(
        html.contains("alt=\"A wooden bench\" width=\"1500\" height=\"1000\" decoding=\"async\">")
    );
    assert!(html.contains("<figcaption>In the garden</figcaption></figure>"));
    // The second image: inline, lazy, its alt text from the library.
    assert!(html.contains(
        "alt=\"A dot\" width=\"300\" height=\"200\" loading=\"lazy\" decoding=\"async\""
    ));
    assert!(
        !html.contains("<p><figure>"),
        "a figure never sits in a paragraph"
    );
    // Every address the page prints is served.
    for url in [
        format!("/media/{id}-1/w320/bench.webp"),
        format!("/media/{id}-1/w960/bench.jpg"),
        format!("/media/{small}-1/original/dot.jpg"),
    ] {
        assert_eq!(app.get(&url).await.status, 200, "{url}");
    }
    let usage = app
        .with_conn(move |c| library::used_by(c, id).unwrap())
        .await;
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].path, "garden");
}

async fn a_missing_file_is_an_error_next_to_the_text(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    b.get("/admin/pages/new").await;
    let res = b
        .post(
            "/admin/pages",
            &[
                ("title", "Broken"),
                ("slug", "broken"),
                ("body", "![Nothing](/media/424242)"),
                ("status", "published"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"body-error\""));
    assert!(res.body.contains("/media/424242"));
    assert!(
        res.body.contains("![Nothing](/media/424242)"),
        "the text is kept"
    );
    let res = b
        .post(
            "/admin/pages",
            &[
                ("title", "Broken"),
                ("slug", "broken"),
                ("image_id", "424242"),
                ("status", "published"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"image_id-error\""));
    assert!(app.get("/broken").await.status == 404);
}

async fn pages_that_use_a_file_keep_it_from_being_deleted(app: TestApp) {
    let id = an_image(&app, "photo.jpg", 400, 300, "A photo").await;
    let p = page("uses-it", "Uses it")
        .body(&format!("![A photo](/media/{id})"))
        .create(&app)
        .await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let media_page = b.get(&format!("/admin/media/{id}")).await;
    assert!(
        media_page.body.contains("Uses it"),
        "the page lists its users"
    );
    let res = b.post(&format!("/admin/media/{id}/delete"), &[]).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("cannot be deleted while pages use it"));
    assert!(res.body.contains("/uses-it"), "with the list of pages");
    assert!(
        app.with_conn(move |c| library::find(c, id).unwrap())
            .await
            .is_some()
    );
    // Out of the page: deleted.
    let input = pages::PageInput {
        body_md: "No picture now.".into(),
        ..p.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        galley::content::saving::update(c, p.id, &input, None, None, "", galley::clock::now())
            .unwrap()
    })
    .await;
    b.get(&format!("/admin/media/{id}")).await;
    let res = b.post(&format!("/admin/media/{id}/delete"), &[]).await;
    assert_eq!(res.status, 303);
    assert!(
        app.with_conn(move |c| library::find(c, id).unwrap())
            .await
            .is_none()
    );
}

async fn replacing_a_file_re_renders_the_pages_that_show_it(app: TestApp) {
    let id = an_image(&app, "old.jpg", 800, 600, "A view").await;
    page("view", "View")
        .body(&format!("![A view](/media/{id})"))
        .image(id)
        .create(&app)
        .await;
    assert!(
        app.get("/view")
            .await
            .body
            .contains(&format!("/media/{id}-1/"))
    );
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    b.get(&format!("/admin/media/{id}")).await;
    let res = b
        .upload(
            &format!("/admin/media/{id}/replace"),
            &[],
            &[("file", "new.jpg", &images::jpeg(1000, 500))],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let html = app.get("/view").await.body;
    assert!(
        html.contains(&format!("/media/{id}-2/")),
        "the page shows version 2"
    );
    assert!(
        !html.contains(&format!("/media/{id}-1/")),
        "and no longer version 1"
    );
    assert!(
        html.contains("width=\"1000\" height=\"500\""),
        "with the new size"
    );
    // A new alt text reaches the page too.
    b.get(&format!("/admin/media/{id}")).await;
    let res = b
        .post(
            &format!("/admin/media/{id}"),
            &[
                ("title", "View"),
                ("alt", "The valley at dawn"),
                ("focal_x", "50"),
                ("focal_y", "50"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let html = app.get("/view").await.body;
    assert!(html.contains("The valley at dawn"));
}

async fn a_featured_image_shows_above_the_text_on_cards_and_when_shared(app: TestApp) {
    let id = an_image(&app, "cover.jpg", 1600, 900, "The cover").await;
    let hub = page("guides", "Guides").create(&app).await;
    page("first", "First guide")
        .under(&hub)
        .image(id)
        .body(
            "![Inline](/media/{id})"
                .replace("{id}", &id.to_string())
                .as_str(),
        )
        .create(&app)
        .await;
    let res = app.get("/guides/first").await;
    let html = &res.body;
    let featured = html
        .find("class=\"featured-image\"")
        .expect("the featured image");
    assert!(
        featured < html.find("class=\"prose\"").unwrap(),
        "above the text"
    );
    assert!(
        html.contains("fetchpriority=\"high\""),
        "the featured image is not lazy"
    );
    assert!(
        html.contains("alt=\"Inline\" width=\"1600\" height=\"900\" loading=\"lazy\""),
        "the text's first image is lazy when a featured image comes first"
    );
    let social = format!("http://galley.test/media/{id}-1/fill-1200x630/cover.jpg");
    assert!(html.contains(&format!(
        "<meta property=\"og:image\" content=\"{social}\">"
    )));
    assert!(html.contains("<meta property=\"og:image:width\" content=\"1200\">"));
    assert!(html.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    assert_eq!(res.json_ld()["@graph"][0]["image"], social.as_str());
    assert_eq!(
        app.get(&format!("/media/{id}-1/fill-1200x630/cover.jpg"))
            .await
            .status,
        200
    );
    // On the hub's card.
    let hub_html = app.get("/guides").await.body;
    assert!(hub_html.contains(&format!(
        "<img class=\"card-image\" src=\"/media/{id}-1/fill-640x360/cover.webp\" alt=\"\" width=\"640\" height=\"360\""
    )));
    // A page without one: the site's default social image, once set.
    page("plain", "Plain").create(&app).await;
    assert!(app.get("/plain").await.body.contains("content=\"summary\""));
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    admin.get("/admin/settings").await;
    let res = admin
        .post(
            "/admin/settings",
            &[
                ("site_name", "galley"),
                ("spam_retention_days", "30"),
                ("social_image_id", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let plain = app.get("/plain").await.body;
    assert!(plain.contains(&format!(
        "<meta property=\"og:image\" content=\"{social}\">"
    )));
    // Now also the site's default: deleting it is refused.
    let mut ed = app.signed_in("ed@example.com", Role::Editor).await;
    ed.get(&format!("/admin/media/{id}")).await;
    assert_eq!(
        ed.post(&format!("/admin/media/{id}/delete"), &[])
            .await
            .status,
        409
    );
}

async fn export_then_import_into_an_empty_database_brings_the_images_back(app: TestApp) {
    let id = an_image(&app, "lake.jpg", 900, 600, "A lake at noon").await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    b.get(&format!("/admin/media/{id}")).await;
    b.post(
        &format!("/admin/media/{id}"),
        &[
            ("title", "Lake"),
            ("alt", "A lake at noon"),
            ("caption", "The lake"),
            ("credit", "Ann"),
            ("focal_x", "20"),
            ("focal_y", "80"),
        ],
    )
    .await;
    let report_id = uploaded_id(&upload(&mut b, &[("report.pdf", images::PDF)], "").await);
    page("lake", "Lake")
        .image(id)
        .body(&format!(
            "![A lake](/media/{id})\n\n[The report](/media/{report_id})\n"
        ))
        .create(&app)
        .await;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_path_buf();
    let exported = app
        .with_conn(move |c| export::export(c, &dir, &|_, _| {}).unwrap())
        .await;
    assert_eq!(exported.files, 2);
    assert!(out.path().join("media/manifest.toml").is_file());
    let manifest = std::fs::read_to_string(out.path().join("media/manifest.toml")).unwrap();
    assert!(manifest.contains("alt = \"A lake at noon\"") && manifest.contains("focal_x = 20"));

    let fresh = TestApp::start(
        match &app.db {
            TestDb::Postgres { .. } => TestDb::postgres().unwrap(),
            _ => TestDb::sqlite(),
        },
        false,
    )
    .await;
    // An id taken in the new database first, so the import has to renumber.
    an_image(&fresh, "other.jpg", 50, 50, "Other").await;
    let dir = out.path().to_path_buf();
    let report = import(&fresh, &dir).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.created, report.media_added), (1, 2));
    work(&fresh).await;
    let lake = fresh
        .with_conn(|c| pages::find_by_path(c, "lake").unwrap().unwrap())
        .await;
    let new_id = lake.image_id.expect("the featured image came along");
    assert_ne!(new_id, id, "renumbered");
    let file = find(&fresh, new_id).await;
    assert_eq!(
        (
            file.alt.as_str(),
            file.caption.as_str(),
            file.credit.as_str()
        ),
        ("A lake at noon", "The lake", "Ann")
    );
    assert_eq!(
        (file.focal_x, file.focal_y, file.size()),
        (20, 80, Some((900, 600)))
    );
    let html = fresh.get("/lake").await.body;
    let prose = &html[html.find("class=\"prose\"").unwrap()..];
    assert!(
        prose.contains(&format!("/media/{new_id}-1/w640/lake.webp")),
        "{prose}"
    );
    let served = fresh.get(&file.original_url()).await;
    assert_eq!(served.status, 200);
    // Importing the same folder again adds nothing.
    let dir = out.path().to_path_buf();
    let again = import(&fresh, &dir).await;
    assert_eq!((again.created, again.media_added), (0, 0));
}

async fn import(app: &TestApp, dir: &Path) -> transfer::ImportReport {
    let dir = dir.to_path_buf();
    app.with_conn_then_refresh(move |c| {
        let folder = galley::media::transfer::Folder {
            root: &dir,
            widths: &[320, 640, 960, 1280, 1920],
            max_bytes: 20 * 1024 * 1024,
        };
        let steps = std::cell::RefCell::new(Vec::<(String, u64, u64)>::new());
        let report = transfer::import_folder(
            c,
            None,
            &folder,
            &galley::audit::Actor::cli(),
            galley::clock::now(),
            &|step, done, total| steps.borrow_mut().push((step.to_owned(), done, total)),
        )
        .unwrap();
        let steps = steps.into_inner();
        let imported = steps.iter().rfind(|s| s.0 == "Importing pages").unwrap();
        assert_eq!(imported.1, imported.2, "the bar ends full: {steps:?}");
        report
    })
    .await
}

async fn a_hugo_folder_with_local_images_is_imported_into_the_library(app: TestApp) {
    let src = tempfile::tempdir().unwrap();
    let write = |rel: &str, bytes: &[u8]| {
        let path = src.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write("posts/_index.md", b"+++\ntitle = \"Posts\"\n+++\n");
    // A page bundle: the page and its photo side by side.
    write(
        "posts/trip/index.md",
        b"+++\ntitle = \"Trip\"\n+++\n\n![The hills](hills.png \"Day one\")\n",
    );
    write("posts/trip/hills.png", &images::png(640, 480));
    // A page pointing into a shared images folder, and a document.
    write(
        "posts/notes.md",
        b"+++\ntitle = \"Notes\"\n+++\n\n![Same hills](trip/hills.png) and ![A map](../images/map.png)\n\n[Slides](../files/talk.pdf)\n",
    );
    write("images/map.png", &images::png(300, 300));
    write("files/talk.pdf", images::PDF);
    // A link out of the folder, through a symbolic link, is not followed: the secret stays out.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.txt"),
        "GALLEY_SECRET_KEY=hunter2\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), src.path().join("files/leak")).unwrap();
    write(
        "posts/leaky.md",
        b"+++\ntitle = \"Leaky\"\n+++\n\n[Notes](../files/leak/secret.txt) and [more](../../secret.txt)\n",
    );
    let report = import(&app, src.path()).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.created, 4);
    assert_eq!(report.media_added, 3, "hills once, the map, the slides");
    let leaky = app
        .with_conn(|c| pages::find_by_path(c, "posts/leaky").unwrap().unwrap())
        .await;
    assert!(
        leaky.body_md.contains("(../files/leak/secret.txt)"),
        "left as it was"
    );
    work(&app).await;
    let trip = app
        .with_conn(|c| pages::find_by_path(c, "posts/trip").unwrap().unwrap())
        .await;
    assert!(
        trip.body_md.starts_with("![The hills](/media/"),
        "{}",
        trip.body_md
    );
    assert!(trip.body_md.contains("\"Day one\")"));
    let html = app.get("/posts/trip").await.body;
    assert!(html.contains("<figcaption>Day one</figcaption>"), "{html}");
    let notes = app.get("/posts/notes").await.body;
    assert!(notes.contains("alt=\"A map\""));
    let slides = notes
        .split("<a href=\"/media/")
        .nth(1)
        .and_then(|rest| rest.split_once("\">Slides</a>"))
        .map(|(id, _)| id.to_owned())
        .expect("a link to the slides in the library");
    let file = app.get(&format!("/media/{slides}")).await;
    assert_eq!(file.status, 302);
    assert!(file.header("location").ends_with("/original/talk.pdf"));
}

async fn the_command_line_adds_and_lists_files(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("Sea View.jpg");
    std::fs::write(&photo, images::jpeg(700, 400)).unwrap();
    let svg = dir.path().join("logo.svg");
    std::fs::write(&svg, images::SVG).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_galley"))
            .args(args)
            .env("DATABASE_URL", app.db.url())
            .env("GALLEY_SECRET_KEY", "the tests' sealing key")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run galley")
    };
    let photo_arg = photo.to_str().unwrap();
    let refused = run(&["media", "add", photo_arg]);
    assert!(!refused.status.success(), "an image needs --alt");
    let refused = run(&["media", "add", "--alt", "Logo", svg.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("SVG"));
    let added = run(&["media", "add", "--alt", "The sea", photo_arg]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let out = String::from_utf8_lossy(&added.stdout).into_owned();
    assert!(out.contains("/original/sea-view.jpg Sea View"), "{out}");
    let listed = String::from_utf8_lossy(&run(&["media", "list"]).stdout).into_owned();
    assert!(
        listed.contains("700x400") && listed.contains("Sea View"),
        "{listed}"
    );
    // Its renditions were made, and the audit log says who added it.
    let pending = app
        .with_conn(|c| galley::media::jobs::pending(c).unwrap())
        .await;
    assert_eq!(pending, 0);
}

/// `galley import` writes on two connections on PostgreSQL, two batches at once; a file shown
/// by pages of both would be added by each transaction (neither sees the other's), so batches
/// that take files in are written one after the other: the file is in the library once.
async fn a_file_many_pages_show_is_taken_in_once_on_two_connections(app: TestApp) {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("docs")).unwrap();
    std::fs::write(src.path().join("logo.png"), images::png(64, 64)).unwrap();
    std::fs::write(
        src.path().join("docs/_index.md"),
        "+++\ntitle = \"Docs\"\n+++\n",
    )
    .unwrap();
    // Three batches of pages under the hub; the logo first shown by pages of the second and
    // the third, which could be written at once.
    for i in 0..520 {
        let logo = if i >= 300 { "![Logo](../logo.png)" } else { "" };
        std::fs::write(
            src.path().join(format!("docs/p{i:03}.md")),
            format!("+++\ntitle = \"Page {i}\"\n+++\n\n{logo}\n"),
        )
        .unwrap();
    }
    let dir = src.path().to_path_buf();
    let pool = app.pool().clone();
    let report = app
        .with_conn_then_refresh(move |c| {
            let mut second = pool.get().unwrap();
            let folder = galley::media::transfer::Folder {
                root: &dir,
                widths: &[320, 640],
                max_bytes: 20 * 1024 * 1024,
            };
            transfer::import_folder(
                c,
                Some(&mut second),
                &folder,
                &galley::audit::Actor::cli(),
                galley::clock::now(),
                &|_, _, _| {},
            )
            .unwrap()
        })
        .await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.created, report.media_added), (521, 1));
    let files: i64 = app
        .with_conn(|c| {
            use diesel::prelude::*;
            galley::db::schema::media::table
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(files, 1, "the logo once in the library");
}
