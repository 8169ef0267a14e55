//! The media library as editors and visitors meet it: uploads of each allowed type, every
//! refusal (with nothing stored), metadata stripped and rotation applied, renditions with their
//! caching headers, versions, and two instances sharing one database.

use std::io::Write;
use std::net::TcpStream;

use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::config::Config;
use galley::db::schema::{audit_log, blobs, media};
use galley::media::library::{self, Media};
use galley::media::{jobs, store};

use crate::common::browser::Browser;
use crate::common::images::{self, GPS_MARKER, SERIAL_MARKER};
use crate::common::{TestApp, TestDb, TestResponse};
use crate::db_tests;

db_tests!(
    each_allowed_type_is_uploaded_and_served,
    refused_files_are_explained_and_nothing_is_stored,
    an_oversized_upload_is_refused_while_it_streams_in,
    metadata_is_stripped_from_everything_served_and_rotation_applied,
    renditions_are_made_cached_and_validated,
    only_listed_renditions_exist_and_old_versions_redirect,
    only_editors_change_the_library_and_every_change_is_audited,
    the_library_lists_searches_and_filters,
    a_file_uploaded_through_one_instance_is_served_by_another,
    a_rendition_asked_for_by_many_at_once_is_made_once,
);

/// Uploads `files` (name, bytes) with `alt`; the response of the POST.
pub async fn upload(b: &mut Browser<'_>, files: &[(&str, &[u8])], alt: &str) -> TestResponse {
    b.get("/admin/media").await;
    let files: Vec<(&str, &str, &[u8])> = files.iter().map(|(n, f)| ("file", *n, *f)).collect();
    b.upload("/admin/media", &[("alt", alt)], &files).await
}

/// The id in a `/admin/media/{id}` redirect.
pub fn uploaded_id(res: &TestResponse) -> i32 {
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location")
        .strip_prefix("/admin/media/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a media page: {}", res.header("location")))
}

pub async fn find(app: &TestApp, id: i32) -> Media {
    app.with_conn(move |c| library::find(c, id).unwrap().expect("the file"))
        .await
}

/// Makes every queued rendition, as the background worker does.
pub async fn work(app: &TestApp) -> usize {
    app.with_conn(|c| jobs::work(c, store::configured(), 80, &|| false).unwrap())
        .await
}

async fn stored(app: &TestApp) -> (i64, i64) {
    app.with_conn(|c| {
        (
            media::table.count().get_result(c).unwrap(),
            blobs::table.count().get_result(c).unwrap(),
        )
    })
    .await
}

async fn each_allowed_type_is_uploaded_and_served(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let png = images::png(64, 48);
    let jpeg = images::jpeg(64, 48);
    let gif = images::encoded(&images::picture(64, 48), image::ImageFormat::Gif);
    let webp = images::encoded(&images::picture(64, 48), image::ImageFormat::WebP);
    let cases: [(&str, &[u8], &str); 8] = [
        ("a.png", &png, "image/png"),
        ("b.JPG", &jpeg, "image/jpeg"),
        ("c.gif", &gif, "image/gif"),
        ("d.webp", &webp, "image/webp"),
        ("report.pdf", images::PDF, "application/pdf"),
        ("notes.txt", b"Plain notes.\n", "text/plain; charset=utf-8"),
        ("table.csv", b"a,b\n1,2\n", "text/csv; charset=utf-8"),
        ("bundle.zip", images::ZIP, "application/zip"),
    ];
    for (name, bytes, mime) in cases {
        let id = uploaded_id(&upload(&mut b, &[(name, bytes)], "A test picture").await);
        let file = find(&app, id).await;
        assert_eq!(file.file_name, name);
        let page = b.get(&format!("/admin/media/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(&file.original_url()),
            "{name}: the page shows its URL"
        );
        let served = app.get(&file.original_url()).await;
        assert_eq!(served.status, 200, "{name}");
        assert_eq!(served.header("content-type"), mime, "{name}");
        assert_eq!(served.header("x-content-type-options"), "nosniff");
        assert!(served.header("content-security-policy").contains("sandbox"));
        if file.is_image() {
            assert_eq!(file.size(), Some((64, 48)), "{name}");
            assert_eq!(images::size_of(&served.bytes), (64, 48), "{name}");
            assert_eq!(served.header("content-disposition"), "");
        } else {
            assert_eq!(
                served.bytes, bytes,
                "{name}: documents are served as uploaded"
            );
            assert!(
                served
                    .header("content-disposition")
                    .starts_with("attachment;"),
                "{name}: documents are downloads"
            );
        }
    }
    // The same bytes again: a second record, one stored copy.
    let before = stored(&app).await;
    uploaded_id(&upload(&mut b, &[("again.pdf", images::PDF)], "").await);
    let after = stored(&app).await;
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 0));
    // Several files in one upload.
    let res = upload(
        &mut b,
        &[
            ("one.png", &images::png(10, 10)),
            ("two.png", &images::png(12, 10)),
        ],
        "Two squares",
    )
    .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), "/admin/media");
}

async fn refused_files_are_explained_and_nothing_is_stored(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let bomb = images::png_claiming(50_000, 50_000);
    let wide = images::png_claiming(8_000, 6_000);
    let polyglot = images::png_polyglot();
    let png = images::png(20, 20);
    let cases: [(&str, &[u8], &str, &str); 9] = [
        ("cat.jpg", images::PDF, "A cat", "it is a PDF document"),
        (
            "logo.svg",
            images::SVG,
            "A logo",
            "SVG files are not accepted",
        ),
        (
            "logo.txt",
            images::SVG,
            "A logo",
            "SVG files are not accepted",
        ),
        ("photo.heic", images::HEIC, "A photo", "HEIC"),
        ("photo.jpg", images::HEIC, "A photo", "HEIC"),
        ("pixel.png", &polyglot, "A pixel", "not a valid PNG image"),
        (
            "bomb.png",
            &bomb,
            "A bomb",
            "no side may be longer than 12000",
        ),
        ("wide.png", &wide, "Wide", "over 40 megapixels"),
        ("setup.exe", b"MZ\x90\0\x03\0\0\0", "", "not accepted"),
    ];
    for (name, bytes, alt, message) in cases {
        let res = upload(&mut b, &[(name, bytes)], alt).await;
        assert_eq!(res.status, 422, "{name}: {}", res.body);
        assert!(
            res.body.contains(message),
            "{name}: {message:?} in the page"
        );
        assert!(
            res.body.contains("id=\"file-error\""),
            "{name}: the error sits next to the file field"
        );
        assert!(
            res.body.contains(&format!("value=\"{alt}\"")),
            "{name}: alt kept"
        );
    }
    // An image needs its alt text; one bad file in an upload refuses all of them.
    let res = upload(&mut b, &[("square.png", &png)], "").await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"alt-error\""));
    let res = upload(
        &mut b,
        &[("square.png", &png), ("logo.svg", images::SVG)],
        "A square",
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("logo.svg: SVG files"));
    let res = upload(&mut b, &[], "A square").await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Choose a file"));
    assert_eq!(stored(&app).await, (0, 0), "nothing was stored");
}

/// Over a real socket, with a 1 MB limit: the 413 comes while the body is still being sent (a
/// declared length over the limit, at once; a chunked body, once a file passes the limit).
async fn an_oversized_upload_is_refused_while_it_streams_in(app: TestApp) {
    let app = TestApp::with_config(
        TestDb::Borrowed(app.db.url().to_owned()),
        Config {
            max_upload_mb: 1,
            ..Config::for_database("")
        },
    )
    .await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    b.get("/admin/media").await;
    let (cookie, csrf) = (b.cookie().unwrap().to_owned(), b.csrf().unwrap().to_owned());
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || galley::app::build(state.clone()))
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let (declared, chunked) = actix_web::web::block(move || {
        let boundary = "XyZ";
        let head = |framing: &str| {
            format!(
                "POST /admin/media HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\n\
                 Content-Type: multipart/form-data; boundary={boundary}\r\n{framing}\r\n"
            )
        };
        let preamble = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nBig\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n"
        );
        // Declared: 500 MB are announced, a few bytes sent; the answer comes at once.
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let _ = s.write_all(head("Content-Length: 524288000\r\n").as_bytes());
        let _ = s.write_all(preamble.as_bytes());
        let declared = status_line(&mut s);
        // Chunked: 64 KiB chunks, a little apart, until the server answers: it must well before
        // the 40 MB the client would send (the sockets' buffers hold a few MB of the rest).
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let _ = s.write_all(head("Transfer-Encoding: chunked\r\n").as_bytes());
        let chunk = |data: &[u8]| {
            let mut c = format!("{:x}\r\n", data.len()).into_bytes();
            c.extend_from_slice(data);
            c.extend_from_slice(b"\r\n");
            c
        };
        let _ = s.write_all(&chunk(preamble.as_bytes()));
        let block = vec![0x42u8; 64 * 1024];
        let mut sent = 0;
        while sent < 40 * 1024 * 1024 {
            if s.write_all(&chunk(&block)).is_err() {
                break;
            }
            sent += block.len();
            std::thread::sleep(std::time::Duration::from_millis(5));
            let mut peek = [0u8; 1];
            s.set_nonblocking(true).unwrap();
            let answered = s.peek(&mut peek).is_ok_and(|n| n > 0);
            s.set_nonblocking(false).unwrap();
            if answered {
                break;
            }
        }
        let chunked = status_line(&mut s).map(|status| (status, sent));
        (declared, chunked)
    })
    .await
    .unwrap();
    handle.stop(false).await;
    assert_eq!(declared, Some(413), "a declared length over the limit");
    let (status, sent) = chunked.expect("an answer to the chunked upload");
    assert_eq!(status, 413, "a chunked body over the limit");
    assert!(
        sent < 40 * 1024 * 1024,
        "answered while streaming, after {sent} bytes"
    );
    assert_eq!(stored(&app).await, (0, 0));
}

/// The status of the response on `s`, read as far as it arrives: the server closes a connection
/// whose body it refused, so the end may come as a reset rather than a clean close.
fn status_line(s: &mut TcpStream) -> Option<u16> {
    use std::io::Read;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    text.split(' ').nth(1)?.parse().ok()
}

async fn metadata_is_stripped_from_everything_served_and_rotation_applied(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    // Stored 800 × 400, shown turned a quarter clockwise: 400 × 800.
    let photo = images::jpeg_with_exif(800, 400);
    assert!(images::contains(&photo, GPS_MARKER) && images::contains(&photo, SERIAL_MARKER));
    let id = uploaded_id(&upload(&mut b, &[("holiday.jpg", &photo)], "A beach").await);
    let file = find(&app, id).await;
    assert_eq!(file.size(), Some((400, 800)), "EXIF orientation applied");
    assert!(work(&app).await > 0);
    // Every rendition made, and the file itself in both formats.
    let made: Vec<(String, String)> = app
        .with_conn(move |c| {
            galley::db::schema::renditions::table
                .filter(galley::db::schema::renditions::media_id.eq(id))
                .select((
                    galley::db::schema::renditions::spec,
                    galley::db::schema::renditions::format,
                ))
                .load(c)
                .unwrap()
        })
        .await;
    assert!(made.len() >= 8, "{made:?}");
    let mut urls: Vec<String> = made.iter().map(|(spec, ext)| file.url(spec, ext)).collect();
    urls.push(file.original_url());
    for url in &urls {
        let res = app.get(url).await;
        assert_eq!(res.status, 200, "{url}");
        assert!(
            !images::contains(&res.bytes, GPS_MARKER),
            "{url} carries the GPS position"
        );
        assert!(
            !images::contains(&res.bytes, SERIAL_MARKER),
            "{url} carries the description"
        );
        assert!(
            !images::contains(&res.bytes, b"Exif\0\0"),
            "{url} carries EXIF"
        );
    }
    let (w, h) = images::size_of(&app.get(&file.original_url()).await.bytes);
    assert_eq!((w, h), (400, 800), "served upright");
    let (w, h) = images::size_of(&app.get(&file.url("w320", "jpg")).await.bytes);
    assert_eq!((w, h), (320, 640), "renditions upright too");
    // The untouched original, for admins only.
    let mut editor_view = b.get(&format!("/admin/media/{id}/original")).await;
    assert_ne!(
        editor_view.status, 200,
        "an editor does not get the original"
    );
    let mut admin = app.signed_in("admin2@example.com", Role::Admin).await;
    editor_view = admin.get(&format!("/admin/media/{id}/original")).await;
    assert_eq!(editor_view.status, 200);
    assert_eq!(editor_view.bytes, photo, "the original is kept as it came");
    assert!(
        editor_view
            .header("content-disposition")
            .starts_with("attachment;")
    );
}

async fn renditions_are_made_cached_and_validated(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let id = uploaded_id(
        &upload(
            &mut b,
            &[("garden.png", &images::png(1500, 1000))],
            "A garden",
        )
        .await,
    );
    let file = find(&app, id).await;
    // Asked for before the background work: made on demand.
    let early = app.get(&file.url("w640", "webp")).await;
    assert_eq!(early.status, 200);
    assert_eq!(early.header("content-type"), "image/webp");
    assert!(early.bytes.starts_with(b"RIFF"));
    assert_eq!(images::size_of(&early.bytes), (640, 427));
    // The rest by the worker: every width narrower than the image, both formats, the crops,
    // and the whole image in WebP; then nothing is left to do.
    let pending = app.with_conn(|c| jobs::pending(c).unwrap()).await;
    assert_eq!(pending, 4 * 2 + 3 * 2 + 1 - 1, "jobs queued at upload");
    work(&app).await;
    assert_eq!(app.with_conn(|c| jobs::pending(c).unwrap()).await, 0);
    for (spec, ext, size) in [
        ("w320", "png", (320, 213)),
        ("w1280", "webp", (1280, 853)),
        ("fill-1200x630", "png", (1200, 630)),
        ("fill-240x240", "webp", (240, 240)),
        ("original", "webp", (1500, 1000)),
    ] {
        let res = app.get(&file.url(spec, ext)).await;
        assert_eq!(res.status, 200, "{spec}.{ext}");
        assert_eq!(images::size_of(&res.bytes), size, "{spec}.{ext}");
        assert_eq!(
            res.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        let etag = res.header("etag").to_owned();
        assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
        let again = app
            .request(
                actix_web::test::TestRequest::get()
                    .uri(&file.url(spec, ext))
                    .insert_header(("if-none-match", etag.clone())),
            )
            .await;
        assert_eq!(again.status, 304, "{spec}.{ext}");
        assert!(again.bytes.is_empty());
        assert_eq!(again.header("etag"), etag);
    }
    // Served from memory the second time: the same bytes without the database.
    let first = app.get(&file.url("w320", "webp")).await;
    app.with_conn(move |c| {
        diesel::delete(galley::db::schema::renditions::table)
            .execute(c)
            .unwrap()
    })
    .await;
    let hot = app.get(&file.url("w320", "webp")).await;
    assert_eq!(
        hot.bytes, first.bytes,
        "a hot rendition comes from the cache"
    );
    // One address per file: another name is sent to it.
    let renamed = app
        .get(&format!("/media/{id}-1/original/any-name.png"))
        .await;
    assert_eq!(renamed.status, 301);
    assert_eq!(renamed.header("location"), file.original_url());
    // A version to come is no version.
    assert_eq!(
        app.get(&format!("/media/{id}-2/original/garden.png"))
            .await
            .status,
        404
    );
    // `/media/{id}` points at the current file.
    let current = app.get(&format!("/media/{id}")).await;
    assert_eq!(current.status, 302);
    assert_eq!(current.header("location"), file.original_url());
}

async fn only_listed_renditions_exist_and_old_versions_redirect(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let id = uploaded_id(&upload(&mut b, &[("small.jpg", &images::jpeg(800, 600))], "Small").await);
    let file = find(&app, id).await;
    for url in [
        file.url("w1280", "jpg"),       // wider than the image
        file.url("w333", "jpg"),        // not a configured width
        file.url("w640", "png"),        // neither its format nor WebP
        file.url("fill-10x10", "webp"), // not a listed crop
        file.url("huge", "jpg"),
        format!("/media/{id}-1/w640/small"),
        format!("/media/{}-1/original/x.jpg", id + 100),
        "/media/abc-1/original/x.jpg".into(),
        "/media/999999999999-1/original/x.jpg".into(),
    ] {
        assert_eq!(app.get(&url).await.status, 404, "{url}");
    }
    assert_eq!(app.get("/media/nope").await.status, 404);
    // A new version: the old URLs move, permanently, to the new ones.
    b.get(&format!("/admin/media/{id}")).await;
    let res = b
        .upload(
            &format!("/admin/media/{id}/replace"),
            &[],
            &[("file", "new.jpg", &images::jpeg(900, 600))],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let new = find(&app, id).await;
    assert_eq!(new.version, 2);
    let old = app.get(&file.url("w640", "webp")).await;
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), new.url("w640", "webp"));
    assert_eq!(app.get(&new.url("w640", "webp")).await.status, 200);
    // The widths it was made at stay served after the configured widths change.
    let narrower = TestApp::with_config(
        TestDb::Borrowed(app.db.url().to_owned()),
        Config {
            media_widths: vec![500],
            ..Config::for_database("")
        },
    )
    .await;
    assert_eq!(narrower.get(&new.url("w640", "webp")).await.status, 200);
    assert_eq!(narrower.get(&new.url("w500", "webp")).await.status, 200);
    assert_eq!(narrower.get(&new.url("w700", "webp")).await.status, 404);
    // A document cannot replace an image.
    b.get(&format!("/admin/media/{id}")).await;
    let res = b
        .upload(
            &format!("/admin/media/{id}/replace"),
            &[],
            &[("file", "r.pdf", images::PDF)],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Replace an image with another image"));
    assert_eq!(find(&app, id).await.version, 2);
}

async fn only_editors_change_the_library_and_every_change_is_audited(app: TestApp) {
    // Anonymous: sent to sign in, nothing stored.
    let mut anon = app.browser();
    let res = anon
        .upload(
            "/admin/media",
            &[("alt", "x")],
            &[("file", "a.png", &images::png(5, 5))],
        )
        .await;
    assert!(
        matches!(res.status.as_u16(), 303 | 401 | 403),
        "{}",
        res.status
    );
    assert_eq!(stored(&app).await, (0, 0));
    // A signed-in editor without the form's token: refused.
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let res = b
        .upload(
            "/admin/media",
            &[("alt", "x"), ("csrf_token", "forged")],
            &[("file", "a.png", &images::png(5, 5))],
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(stored(&app).await, (0, 0));
    // Upload, details, replace, delete: each in the audit log.
    let id = uploaded_id(&upload(&mut b, &[("a.png", &images::png(5, 5))], "A dot").await);
    b.get(&format!("/admin/media/{id}")).await;
    let res = b
        .post(
            &format!("/admin/media/{id}"),
            &[
                ("title", "A red dot"),
                ("alt", "A small red dot"),
                ("caption", ""),
                ("credit", "Ed"),
                ("focal_x", "30"),
                ("focal_y", "70"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let file = find(&app, id).await;
    assert_eq!(
        (file.title.as_str(), file.focal_x, file.focal_y),
        ("A red dot", 30, 70)
    );
    assert_eq!(
        file.version, 2,
        "a new focal point is a new version (new crops)"
    );
    // Bad details: 422, values kept, the error next to the field.
    let res = b
        .post(
            &format!("/admin/media/{id}"),
            &[
                ("title", "T"),
                ("alt", ""),
                ("focal_x", "150"),
                ("focal_y", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"alt-error\"") && res.body.contains("id=\"focal_x-error\""));
    assert!(res.body.contains("value=\"T\""));
    b.get(&format!("/admin/media/{id}")).await;
    let res = b
        .upload(
            &format!("/admin/media/{id}/replace"),
            &[],
            &[("file", "b.png", &images::png(6, 6))],
        )
        .await;
    assert_eq!(res.status, 303);
    b.get(&format!("/admin/media/{id}")).await;
    let res = b.post(&format!("/admin/media/{id}/delete"), &[]).await;
    assert_eq!(res.status, 303);
    // In the trash: off the site and the library, kept; restored; then deleted for good.
    let file = app
        .with_conn(move |c| {
            use galley::db::schema::media::dsl as m;
            m::media
                .filter(m::id.eq(id))
                .select(Media::as_select())
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(app.get(&file.original_url()).await.status, 404);
    assert!(!b.get("/admin/media").await.body.contains("A red dot"));
    let trash = b.get("/admin/trash").await.body;
    assert!(trash.contains("File <strong>A red dot</strong>"));
    let item = crate::common::trash_entry(&trash);
    let res = b.post(&format!("/admin/trash/{item}/restore"), &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(
        app.get(&file.original_url()).await.status,
        200,
        "back in the library"
    );
    b.get(&format!("/admin/media/{id}")).await;
    b.post(&format!("/admin/media/{id}/delete"), &[]).await;
    let mut boss = app.signed_in("boss@example.com", Role::Admin).await;
    let trash = boss.get("/admin/trash").await.body;
    let item = crate::common::trash_entry(&trash);
    assert_eq!(
        boss.post(&format!("/admin/trash/{item}/delete"), &[])
            .await
            .status,
        303
    );
    assert_eq!(
        stored(&app).await,
        (0, 0),
        "the file and its blobs are gone"
    );
    let actions: Vec<String> = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.like("media.%"))
                .order(audit_log::id.asc())
                .select(audit_log::action)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        actions,
        [
            "media.upload",
            "media.update",
            "media.replace",
            "media.trash",
            "media.restore",
            "media.trash",
            "media.delete"
        ]
    );
}

async fn the_library_lists_searches_and_filters(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    uploaded_id(
        &upload(
            &mut b,
            &[("garden-bench.png", &images::png(30, 20))],
            "A wooden bench",
        )
        .await,
    );
    uploaded_id(&upload(&mut b, &[("annual-report.pdf", images::PDF)], "").await);
    work(&app).await;
    let all = b.get("/admin/media").await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains("garden bench") && all.body.contains("annual report"));
    assert!(all.body.contains("30 × 20"), "dimensions");
    assert!(all.body.contains("2 not used by any page"), "unused count");
    assert!(
        all.body.contains("/fill-240x240/garden-bench.webp"),
        "a thumbnail"
    );
    let images_only = b.get("/admin/media?kind=images").await;
    assert!(
        images_only.body.contains("garden bench") && !images_only.body.contains("annual report")
    );
    let docs = b.get("/admin/media?kind=documents").await;
    assert!(!docs.body.contains("garden bench") && docs.body.contains("annual report"));
    let by_alt = b.get("/admin/media?q=wooden").await;
    assert!(by_alt.body.contains("garden bench") && !by_alt.body.contains("annual report"));
    let by_name = b.get("/admin/media?q=REPORT.pdf").await;
    assert!(by_name.body.contains("annual report") && !by_name.body.contains("garden bench"));
    let beyond = b.get("/admin/media?page=99").await;
    assert_eq!(beyond.status, 200, "a page past the end shows the last");
}

/// Two instances on one database: a file uploaded through one is served by the other, which
/// also makes its renditions.
async fn a_file_uploaded_through_one_instance_is_served_by_another(app: TestApp) {
    let other = TestApp::attach(&app).await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let photo = images::jpeg(700, 500);
    let id = uploaded_id(&upload(&mut b, &[("shared.jpg", &photo)], "Shared").await);
    let file = find(&app, id).await;
    let here = app.get(&file.original_url()).await;
    let there = other.get(&file.original_url()).await;
    assert_eq!(there.status, 200);
    assert_eq!(there.bytes, here.bytes);
    let made_there = other.get(&file.url("w320", "webp")).await;
    assert_eq!(made_there.status, 200);
    assert_eq!(
        app.get(&file.url("w320", "webp")).await.bytes,
        made_there.bytes
    );
}

/// Eight visitors ask for a rendition that does not exist yet, at once: it is made once, they
/// all get the same bytes, and page views go on meanwhile (the makers hold no connection while
/// they resize).
async fn a_rendition_asked_for_by_many_at_once_is_made_once(app: TestApp) {
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let id = uploaded_id(&upload(&mut b, &[("big.jpg", &images::jpeg(2400, 1600))], "Big").await);
    crate::common::fixtures::page("home-page", "Home page")
        .create(&app)
        .await;
    let file = find(&app, id).await;
    let url = file.url("w1280", "webp");
    let asks = (0..8).map(|_| app.get(&url));
    let page_view = app.get("/home-page");
    let (answers, page) =
        futures_util::future::join(futures_util::future::join_all(asks), page_view).await;
    assert_eq!(page.status, 200);
    for a in &answers {
        assert_eq!(a.status, 200);
        assert_eq!(a.bytes, answers[0].bytes);
    }
    let rows: i64 = app
        .with_conn(move |c| {
            use galley::db::schema::renditions::dsl as r;
            r::renditions
                .filter(r::media_id.eq(id))
                .filter(r::spec.eq("w1280"))
                .filter(r::format.eq("webp"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows, 1);
}
