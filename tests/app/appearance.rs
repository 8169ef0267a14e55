//! Site appearance and navigation: menus of each kind, items following and hiding with their
//! pages, the header built from in-navigation pages until it is changed, the contrast check, the
//! generated stylesheet, logo and icons, the announcement's end.

use galley::accounts::users::Role;
use galley::content::pages::{PageInput, Status};
use galley::content::saving;

use crate::common::browser::Browser;
use crate::common::fixtures::page;
use crate::common::{TestApp, TestResponse, images};
use crate::db_tests;
use crate::media::{upload, uploaded_id, work};

db_tests!(
    menu_items_of_each_kind_are_shown,
    an_item_follows_its_page_and_hides_with_it,
    the_header_is_the_in_navigation_pages_until_it_is_changed,
    the_header_pages_can_be_turned_into_items_to_trim_them,
    a_low_contrast_accent_is_refused_with_the_nearest_passing_colour,
    the_stylesheet_is_generated_hashed_and_cached,
    logo_and_icons_come_from_the_media_library,
    the_announcement_ends_at_its_time,
);

async fn add_item(b: &mut Browser<'_>, fields: &[(&str, &str)]) -> TestResponse {
    b.get("/admin/navigation").await;
    b.post("/admin/navigation/items", fields).await
}

/// The header's menu as HTML (the wide-screen one).
fn header_nav(html: &str) -> &str {
    let start = html.find("<nav class=\"site-nav\"").expect("a header menu");
    let end = start + html[start..].find("</nav>").unwrap();
    &html[start..end]
}

async fn menu_items_of_each_kind_are_shown(app: TestApp) {
    let hub = page("guides", "Guides").create(&app).await;
    page("install", "Install")
        .under(&hub)
        .order(1)
        .create(&app)
        .await;
    page("upgrade", "Upgrade")
        .under(&hub)
        .order(2)
        .create(&app)
        .await;
    let about = page("about", "About us").create(&app).await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let id = about.id.to_string();
    let hub_id = hub.id.to_string();
    for fields in [
        vec![
            ("menu", "header"),
            ("kind", "page"),
            ("page_id", id.as_str()),
            ("label", ""),
        ],
        vec![
            ("menu", "header"),
            ("kind", "hub"),
            ("page_id", hub_id.as_str()),
            ("label", ""),
        ],
        vec![
            ("menu", "header"),
            ("kind", "url"),
            ("url", "https://status.example.com/"),
            ("label", "Status"),
        ],
        vec![
            ("menu", "footer"),
            ("kind", "url"),
            ("url", "/contact"),
            ("label", "Write to us"),
        ],
    ] {
        let res = add_item(&mut b, &fields).await;
        assert_eq!(res.status, 303, "{fields:?}: {}", res.body);
    }
    let html = app.get("/about").await.body;
    let nav = header_nav(&html);
    assert!(
        nav.contains("<a href=\"/about\" aria-current=\"page\">About us</a>"),
        "{nav}"
    );
    assert!(nav.contains("<li class=\"has-sub\"><a href=\"/guides\">Guides</a>"));
    assert!(nav.contains("<ul class=\"sub-menu\">"));
    assert!(nav.find("/guides/install").unwrap() < nav.find("/guides/upgrade").unwrap());
    assert!(nav.contains("<a href=\"https://status.example.com/\" rel=\"noopener\">Status</a>"));
    assert!(
        html.contains("<details class=\"site-nav-phone\">"),
        "the phone menu"
    );
    let footer = &html[html.find("<footer").unwrap()..];
    assert!(footer.contains("<a href=\"/contact\">Write to us</a>"));
    // Refused: an address without a label, a page that does not exist, a script URL.
    for (fields, field) in [
        (
            vec![
                ("menu", "header"),
                ("kind", "url"),
                ("url", "https://x.test/"),
                ("label", ""),
            ],
            "label",
        ),
        (
            vec![("menu", "header"), ("kind", "page"), ("page_id", "99999")],
            "page_id",
        ),
        (
            vec![
                ("menu", "footer"),
                ("kind", "url"),
                ("url", "javascript:alert(1)"),
                ("label", "X"),
            ],
            "url",
        ),
        (
            vec![
                ("menu", "footer"),
                ("kind", "url"),
                ("url", "/\\evil.example"),
                ("label", "X"),
            ],
            "url",
        ),
    ] {
        let res = add_item(&mut b, &fields).await;
        assert_eq!(res.status, 422, "{fields:?}");
        assert!(
            res.body.contains(&format!("id=\"{field}-error\"")),
            "{field}"
        );
    }
    // Move the status link up to the front, then remove it.
    let screen = b.get("/admin/navigation").await.body;
    let status_form = screen
        .split("action=\"/admin/navigation/items/")
        .filter(|s| s.contains("/move\""))
        .nth(2)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        let res = b
            .post(
                &format!("/admin/navigation/items/{status_form}/move"),
                &[("direction", "up")],
            )
            .await;
        assert_eq!(res.status, 303);
    }
    let nav = app.get("/about").await.body;
    let nav = header_nav(&nav);
    assert!(
        nav.find("Status").unwrap() < nav.find("About us").unwrap(),
        "{nav}"
    );
    // Dragging sends a place: past the end is the end.
    let res = b
        .post(
            &format!("/admin/navigation/items/{status_form}/move"),
            &[("direction", "to"), ("position", "99")],
        )
        .await;
    assert_eq!(res.status, 303);
    let nav = app.get("/about").await.body;
    let nav = header_nav(&nav);
    assert!(
        nav.find("Status").unwrap() > nav.find("Guides").unwrap(),
        "{nav}"
    );
    b.get("/admin/navigation").await;
    let res = b
        .post(
            &format!("/admin/navigation/items/{status_form}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(!header_nav(&app.get("/about").await.body).contains("Status"));
}

async fn an_item_follows_its_page_and_hides_with_it(app: TestApp) {
    let p = page("pricing", "Pricing").create(&app).await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let id = p.id.to_string();
    add_item(
        &mut b,
        &[
            ("menu", "header"),
            ("kind", "page"),
            ("page_id", &id),
            ("label", "Prices"),
        ],
    )
    .await;
    assert!(header_nav(&app.get("/").await.body).contains("<a href=\"/pricing\">Prices</a>"));
    // Moved: the item follows.
    let moved = PageInput {
        slug: "plans".into(),
        ..p.to_input()
    };
    let pid = p.id;
    app.with_conn_then_refresh(move |c| {
        saving::update(c, pid, &moved, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    assert!(header_nav(&app.get("/").await.body).contains("<a href=\"/plans\">Prices</a>"));
    // A draft: hidden; published again: back.
    let p = app
        .with_conn(move |c| galley::content::pages::find(c, pid).unwrap())
        .await;
    let draft = PageInput {
        status: Status::Draft,
        ..p.to_input()
    };
    app.with_conn_then_refresh(move |c| {
        saving::update(c, pid, &draft, None, None, "", galley::clock::now()).unwrap()
    })
    .await;
    let html = app.get("/").await.body;
    assert!(!html.contains("Prices"), "hidden with its page");
}

async fn the_header_is_the_in_navigation_pages_until_it_is_changed(app: TestApp) {
    page("docs", "Docs").in_nav().order(1).create(&app).await;
    page("blog", "Blog").in_nav().order(2).create(&app).await;
    page("legal", "Legal").create(&app).await;
    let nav = app.get("/").await.body;
    let nav = header_nav(&nav).to_owned();
    assert!(nav.contains("/docs") && nav.contains("/blog") && !nav.contains("/legal"));
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    let screen = b.get("/admin/navigation").await;
    assert!(screen.body.contains("Show in the main navigation"));
    assert!(screen.body.contains("Docs (/docs)") && screen.body.contains("Blog (/blog)"));
    // The first change keeps them, as items, and adds the new one after them.
    let res = add_item(
        &mut b,
        &[
            ("menu", "header"),
            ("kind", "url"),
            ("url", "/search"),
            ("label", "Search"),
        ],
    )
    .await;
    assert_eq!(res.status, 303);
    let html = app.get("/").await.body;
    let nav = header_nav(&html);
    let (docs, blog, search) = (
        nav.find("/docs").unwrap(),
        nav.find("/blog").unwrap(),
        nav.find("/search").unwrap(),
    );
    assert!(docs < blog && blog < search, "{nav}");
    // From now on the flag alone adds nothing: the menu is the editors'.
    page("news", "News").in_nav().create(&app).await;
    assert!(!header_nav(&app.get("/").await.body).contains("/news"));
}

/// The header can be taken over without adding anything, to reorder or trim it.
async fn the_header_pages_can_be_turned_into_items_to_trim_them(app: TestApp) {
    page("docs", "Docs").in_nav().order(1).create(&app).await;
    page("blog", "Blog").in_nav().order(2).create(&app).await;
    let mut b = app.signed_in("ed@example.com", Role::Editor).await;
    b.get("/admin/navigation").await;
    assert_eq!(b.post("/admin/navigation/take-over", &[]).await.status, 303);
    let screen = b.get("/admin/navigation").await.body;
    let blog = screen
        .split("data-item=\"")
        .nth(2)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(screen.contains("Blog (/blog)"));
    let res = b
        .post(&format!("/admin/navigation/items/{blog}/delete"), &[])
        .await;
    assert_eq!(res.status, 303);
    let html = app.get("/").await.body;
    let nav = header_nav(&html);
    assert!(nav.contains("/docs") && !nav.contains("/blog"), "{nav}");
}

async fn a_low_contrast_accent_is_refused_with_the_nearest_passing_colour(app: TestApp) {
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    admin.get("/admin/appearance").await;
    let fields = |accent: &str| {
        vec![
            ("accent_color", accent.to_owned()),
            ("font", "serif".to_owned()),
            ("content_width", "wide".to_owned()),
            ("footer", "Made by **us**.".to_owned()),
        ]
    };
    let res = post(&mut admin, fields("#7fb3e0")).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"accent_color-error\""));
    assert!(
        res.body.contains("has a contrast of 2."),
        "the ratio is said"
    );
    let suggested = res
        .body
        .split("the nearest colour that passes is ")
        .nth(1)
        .map(|s| s[..7].to_owned())
        .expect("a suggestion");
    assert!(res.body.contains("value=\"#7fb3e0\""), "the value is kept");
    let res = post(&mut admin, fields(&suggested)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let css = stylesheet(&app).await;
    assert!(css.contains(&format!("--accent: {suggested};")));
    assert!(css.contains("--measure: 52rem;"));
    assert!(css.contains("Charter"), "the serif stack");
    let html = app.get("/").await.body;
    assert!(html.contains("<div class=\"footer-text\"><p>Made by <strong>us</strong>.</p>"));
}

async fn post(b: &mut Browser<'_>, fields: Vec<(&'static str, String)>) -> TestResponse {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post("/admin/appearance", &borrowed).await
}

/// Saves the appearance form: the default colour, font and width, with `fields` besides.
async fn save_appearance(b: &mut Browser<'_>, fields: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![
        ("accent_color", "#1f4e79"),
        ("font", "sans"),
        ("content_width", "normal"),
    ];
    all.extend_from_slice(fields);
    b.post("/admin/appearance", &all).await
}

/// The generated stylesheet's URL in a page.
fn theme_url(html: &str) -> String {
    let start = html.find("href=\"/theme/").expect("the theme stylesheet") + 6;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The stylesheet the public pages link to.
async fn stylesheet(app: &TestApp) -> String {
    let url = theme_url(&app.get("/").await.body);
    let res = app.get(&url).await;
    assert_eq!(res.status, 200);
    res.body
}

async fn the_stylesheet_is_generated_hashed_and_cached(app: TestApp) {
    page("home", "Home").create(&app).await;
    for path in ["/home", "/", "/search?q=home", "/contact", "/no-such-page"] {
        let html = app.get(path).await.body;
        assert!(
            !html.contains(" style=") && !html.contains("<style"),
            "no inline style on {path}"
        );
    }
    let html = app.get("/home").await.body;
    let first = theme_url(&html);
    let res = app.get(&first).await;
    assert_eq!(res.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(
        res.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.body.contains("@media (prefers-color-scheme: dark)"),
        "a dark palette"
    );
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    admin.get("/admin/appearance").await;
    let res = save_appearance(
        &mut admin,
        &[("custom_css", ".page-header h1 { letter-spacing: -0.02em; }")],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let html = app.get("/home").await.body;
    let second = theme_url(&html);
    assert_ne!(first, second, "the URL follows the settings");
    assert!(
        app.get(&second)
            .await
            .body
            .ends_with(".page-header h1 { letter-spacing: -0.02em; }\n")
    );
    // The old URL still answers (a page cached before), but not for keeps.
    assert_eq!(app.get(&first).await.header("cache-control"), "no-cache");
    // Custom CSS and the rest are for admins only.
    let mut ed = app.signed_in("ed@example.com", Role::Editor).await;
    assert_ne!(ed.get("/admin/appearance").await.status, 200);
    ed.get("/admin").await;
    let res = ed
        .post("/admin/appearance", &[("accent_color", "#000000")])
        .await;
    assert_ne!(res.status, 303);
}

async fn logo_and_icons_come_from_the_media_library(app: TestApp) {
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    let logo =
        uploaded_id(&upload(&mut admin, &[("logo.png", &images::png(300, 80))], "Logo").await);
    let icon =
        uploaded_id(&upload(&mut admin, &[("icon.png", &images::png(600, 600))], "Icon").await);
    work(&app).await;
    admin.get("/admin/appearance").await;
    let res = save_appearance(
        &mut admin,
        &[
            ("logo_id", &logo.to_string()),
            ("logo_alone", "on"),
            ("icon_id", &icon.to_string()),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let html = app.get("/").await.body;
    assert!(html.contains(&format!(
        "<a class=\"brand\" href=\"/\"><img class=\"logo\" src=\"/media/{logo}-1/original/logo.png\" width=\"300\" height=\"80\" alt=\"galley\"></a>"
    )));
    let favicon = format!("/media/{icon}-1/fill-32x32/icon.png");
    assert!(html.contains(&format!(
        "<link rel=\"icon\" href=\"{favicon}\" sizes=\"32x32\" type=\"image/png\">"
    )));
    assert!(html.contains("<link rel=\"apple-touch-icon\" href=\""));
    assert!(html.contains("<link rel=\"manifest\" href=\"/manifest.webmanifest\">"));
    let served = app.get(&favicon).await;
    assert_eq!(served.header("content-type"), "image/png");
    assert_eq!(images::size_of(&served.bytes), (32, 32));
    let manifest: serde_json::Value =
        serde_json::from_str(&app.get("/manifest.webmanifest").await.body).unwrap();
    assert_eq!(manifest["icons"][1]["sizes"], "512x512");
    assert_eq!(
        app.get(manifest["icons"][1]["src"].as_str().unwrap())
            .await
            .status,
        200
    );
    // In use as the logo: not deleted. Replaced: the header follows.
    admin.get(&format!("/admin/media/{logo}")).await;
    let res = admin
        .post(&format!("/admin/media/{logo}/delete"), &[])
        .await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("logo or icon"));
    admin.get(&format!("/admin/media/{logo}")).await;
    let res = admin
        .upload(
            &format!("/admin/media/{logo}/replace"),
            &[],
            &[("file", "logo.png", &images::png(200, 60))],
        )
        .await;
    assert_eq!(res.status, 303);
    let html = app.get("/").await.body;
    assert!(html.contains(&format!(
        "src=\"/media/{logo}-2/original/logo.png\" width=\"200\" height=\"60\""
    )));
    // A document is no logo.
    let doc = uploaded_id(&upload(&mut admin, &[("a.pdf", images::PDF)], "").await);
    admin.get("/admin/appearance").await;
    let res = save_appearance(&mut admin, &[("logo_id", &doc.to_string())]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"logo_id-error\""));
}

async fn the_announcement_ends_at_its_time(app: TestApp) {
    page("home", "Home").create(&app).await;
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    let set = |until: chrono::NaiveDateTime| until.format("%Y-%m-%dT%H:%M:%S").to_string();
    let soon = set(galley::clock::now() + chrono::Duration::seconds(2));
    admin.get("/admin/appearance").await;
    let res = save_appearance(
        &mut admin,
        &[
            ("announcement", "Closed on Monday."),
            ("announcement_until", &soon),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(app.get("/home").await.body.contains("Closed on Monday."));
    assert!(
        app.get("/home").await.body.contains("Closed on Monday."),
        "also when cached"
    );
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(
        !app.get("/home").await.body.contains("Closed on Monday."),
        "gone at its time"
    );
}
