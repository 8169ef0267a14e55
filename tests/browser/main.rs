//! Real-browser tests: Debian's Chromium, driven through chromedriver (fantoccini), against the
//! galley binary on a loopback port with a fresh database and the demo site. Every public page and
//! every kind of admin screen, found by crawling, is checked by the Nu HTML Checker and by axe-core
//! (WCAG 2.1 A and AA) inside Chromium.
//!
//! Without Chromium, chromedriver, Java or the checkers these tests print why and pass, except in
//! CI (`CI=true`), where anything missing is a failure. `GALLEY_BIN` picks the binary (CI passes the
//! release build); `GALLEY_VNU_JAR` and `GALLEY_AXE_JS` locate the checkers, by default under
//! `target/browser-tools/node_modules` where `.ci/run` installs them with npm.

mod appearance;
mod autosave;
mod harness;
mod media;
mod review;

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::time::Duration;

use fantoccini::Locator;

use harness::{Env, Outcome, Tools};

/// One browser test at a time: each drives its own Chromium and galley, and the machine is small.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

macro_rules! browser_test {
    ($name:ident, $needs:expr, $body:path) => {
        browser_test!($name, $needs, $body, &[]);
    };
    ($name:ident, $needs:expr, $body:path, $flags:expr) => {
        #[test]
        fn $name() {
            let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
            let Some(tools) = Tools::find($needs) else {
                return;
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let env = Env::start_with(&tools, stringify!($name), $flags).await;
                let outcome = $body(&env).await;
                env.finish(outcome).await;
            });
        }
    };
}

browser_test!(visitor_reads_searches_and_writes, false, visitor_flow);
browser_test!(editor_publishes_edits_and_restores, false, editor_flow);
browser_test!(phone_navigation_is_usable, false, phone_flow);
browser_test!(
    every_page_passes_the_html_and_accessibility_checkers,
    true,
    standards
);
browser_test!(
    an_admin_turns_on_two_factor_and_signs_in_with_a_code,
    true,
    two_factor_flow
);
browser_test!(
    an_editor_uploads_a_photo_and_publishes_it_in_a_page,
    true,
    media::media_flow
);
browser_test!(
    every_public_page_passes_the_checkers_in_dark_mode,
    true,
    dark_standards,
    &["--blink-settings=preferredColorScheme=0"]
);
browser_test!(
    an_admin_changes_the_accent_colour_and_the_menu,
    true,
    appearance::appearance_flow
);
browser_test!(
    an_autosaved_text_survives_closing_the_tab,
    true,
    autosave::autosave_flow
);
browser_test!(
    an_author_submits_an_editor_approves_then_trashes_and_restores,
    true,
    review::review_flow
);
browser_test!(
    the_checkers_catch_a_broken_page,
    true,
    broken_pages_are_caught
);

/// Home -> a hub -> a page -> the next page of the guided path -> search -> the contact form.
async fn visitor_flow(env: &Env) -> Outcome {
    let c = &env.client;
    c.goto(&env.galley.url("/")).await?;
    env.expect_text("h1", "galley").await?;
    c.find(Locator::Css(".site-nav a[href='/guide']"))
        .await?
        .click()
        .await?;
    env.expect_text("h1", "Guide").await?;
    c.find(Locator::Css(".card a[href='/guide/install']"))
        .await?
        .click()
        .await?;
    env.expect_text("h1", "Install and first start").await?;
    let toc = c.find(Locator::Css("nav.toc")).await?;
    if !toc.is_displayed().await? {
        return Err("the table of contents is not shown".into());
    }
    c.find(Locator::Css("a[rel='next']")).await?.click().await?;
    env.expect_text("h1", "Write your first pages").await?;
    env.expect_path("/guide/write-pages").await?;
    c.find(Locator::Css(".breadcrumbs a[href='/guide']"))
        .await?;

    // Site search arrives with the search issue: use it when the header has the box.
    if let Ok(search) = c.find(Locator::Css("header input[type='search']")).await {
        search.send_keys("markdown\n").await?;
        c.wait()
            .at_most(Duration::from_secs(5))
            .for_element(Locator::Css("main"))
            .await?;
        env.expect_path("/search").await?;
        let text = c.find(Locator::Css("main")).await?.text().await?;
        if !text.to_lowercase().contains("markdown") {
            return Err("search results do not mention the query".into());
        }
    }

    c.find(Locator::Css(".site-nav a[href='/contact']"))
        .await?
        .click()
        .await?;
    env.expect_text("h1", "Contact").await?;
    c.find(Locator::Id("name"))
        .await?
        .send_keys("Vera Visitor")
        .await?;
    c.find(Locator::Id("email"))
        .await?
        .send_keys("vera@example.com")
        .await?;
    c.find(Locator::Id("subject"))
        .await?
        .send_keys("Browser test")
        .await?;
    c.find(Locator::Id("message"))
        .await?
        .send_keys("Sent from a real browser.")
        .await?;
    // A person takes a few seconds to write; faster is taken for a bot.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    c.find(Locator::Css(
        "form[action='/contact'] button[type='submit']",
    ))
    .await?
    .click()
    .await?;
    env.expect_path("/contact/thanks").await?;
    env.expect_text("h1", "Thank you").await?;

    // The message is in the editors' inbox.
    env.sign_in().await?;
    c.goto(&env.galley.url("/admin/submissions")).await?;
    let inbox = c.find(Locator::Css("main")).await?.text().await?;
    if !inbox.contains("Vera Visitor") || !inbox.contains("Browser test") {
        return Err(format!("the submission is not in the inbox: {inbox}").into());
    }
    Ok(())
}

/// Sign in, write a page with the live preview, publish, view, edit, restore, sign out.
async fn editor_flow(env: &Env) -> Outcome {
    let c = &env.client;
    env.sign_in().await?;
    c.goto(&env.galley.url("/admin/pages/new")).await?;
    c.find(Locator::Id("title"))
        .await?
        .send_keys("Browser Made Page")
        .await?;
    let slug = c
        .find(Locator::Id("slug"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    if slug != "browser-made-page" {
        return Err(format!("the slug was not suggested from the title: {slug:?}").into());
    }
    c.find(Locator::Id("summary"))
        .await?
        .send_keys("Written by the browser test.")
        .await?;
    c.find(Locator::Id("body"))
        .await?
        .send_keys("## First section\n\nThe **original** text.")
        .await?;
    env.wait_for_text("#preview", "original").await?;
    let preview = c
        .find(Locator::Css("#preview strong"))
        .await?
        .text()
        .await?;
    if preview != "original" {
        return Err("the live preview does not render Markdown".into());
    }
    c.find(Locator::Css("input[name='status'][value='published']"))
        .await?
        .click()
        .await?;
    c.find(Locator::Css("button[name='action'][value='save']"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash-success", "Created").await?;

    c.goto(&env.galley.url("/browser-made-page")).await?;
    env.expect_text("h1", "Browser Made Page").await?;
    env.expect_text(".prose strong", "original").await?;

    // Edit: the text changes on the public page.
    c.goto(&env.galley.url("/admin/pages")).await?;
    c.find(Locator::LinkText("Browser Made Page"))
        .await?
        .click()
        .await?;
    let body = c.find(Locator::Id("body")).await?;
    body.clear().await?;
    body.send_keys("## First section\n\nThe **revised** text.")
        .await?;
    c.find(Locator::Css("button[name='action'][value='save']"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash-success", "Saved").await?;
    c.goto(&env.galley.url("/browser-made-page")).await?;
    env.expect_text(".prose strong", "revised").await?;

    // Restore the first version from the revisions.
    c.goto(&env.galley.url("/admin/pages")).await?;
    c.find(Locator::LinkText("Browser Made Page"))
        .await?
        .click()
        .await?;
    c.find(Locator::LinkText("Revisions"))
        .await?
        .click()
        .await?;
    c.find(Locator::LinkText("Version 1"))
        .await?
        .click()
        .await?;
    env.expect_text(".diff", "original").await?;
    c.find(Locator::Css("form[action$='/restore'] button"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash-success", "Restored").await?;
    c.goto(&env.galley.url("/browser-made-page")).await?;
    env.expect_text(".prose strong", "original").await?;

    // Sign out: the back office is closed again.
    c.goto(&env.galley.url("/admin")).await?;
    c.find(Locator::Css("form[action='/logout'] button"))
        .await?
        .click()
        .await?;
    env.expect_path("/login").await?;
    c.goto(&env.galley.url("/admin/pages")).await?;
    env.expect_path("/login").await?;
    Ok(())
}

/// A phone-sized window: the navigation is on screen, readable and works.
async fn phone_flow(env: &Env) -> Outcome {
    let c = &env.client;
    c.set_window_size(390, 844).await?;
    c.goto(&env.galley.url("/guide/install")).await?;
    // The menu is a disclosure on a phone: opened from the keyboard, it shows its links.
    c.execute(
        "document.querySelector('.site-nav-phone summary').focus();",
        vec![],
    )
    .await?;
    c.active_element().await?.send_keys("\u{E007}").await?;
    let open = c
        .execute(
            "return document.querySelector('.site-nav-phone').open;",
            vec![],
        )
        .await?;
    if open.as_bool() != Some(true) {
        return Err("the phone menu does not open with the keyboard".into());
    }
    let links = c.find_all(Locator::Css(".site-nav-phone a")).await?;
    if links.len() < 3 {
        return Err("the navigation lost its links".into());
    }
    for link in &links {
        if !link.is_displayed().await? {
            return Err("a navigation link is hidden on a phone".into());
        }
    }
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await?;
    if overflow.as_bool() == Some(true) {
        return Err("the page scrolls sideways on a phone".into());
    }
    c.find(Locator::Css(".site-nav-phone a[href='/glossary']"))
        .await?
        .click()
        .await?;
    env.expect_path("/glossary").await?;
    env.expect_text("h1", "Glossary").await?;
    env.screenshot("phone-glossary").await;
    Ok(())
}

fn shape(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
                "N"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Pages to check, crawled from `start`: every public page; one of each kind of admin screen.
async fn crawl(
    env: &Env,
    start: &str,
    limit: usize,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut queue = VecDeque::from([start.to_owned()]);
    let (mut seen, mut shapes, mut found) = (HashSet::new(), HashSet::new(), Vec::new());
    while let Some(path) = queue.pop_front() {
        if found.len() >= limit || !seen.insert(path.clone()) {
            continue;
        }
        if path.starts_with("/admin")
            && !shapes.insert(shape(path.split('?').next().unwrap_or(&path)))
        {
            continue;
        }
        env.client.goto(&env.galley.url(&path)).await?;
        found.push(path.clone());
        let hrefs = env
            .client
            .execute("return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));", vec![])
            .await?;
        for href in hrefs
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h.as_str())
        {
            let href = href.split('#').next().unwrap_or("");
            let local = href.starts_with('/') && !href.starts_with("//");
            let skip = [
                "/static/",
                "/logout",
                "/login",
                "/account/set-password",
                ".xml",
                ".csv",
                ".txt",
            ]
            .iter()
            .any(|s| href.contains(s));
            let in_area = href.starts_with("/admin") == start.starts_with("/admin");
            if local && !skip && in_area {
                queue.push_back(href.to_owned());
            }
        }
    }
    Ok(found)
}

/// Nu HTML Checker and axe-core on every page found by crawling from `/` and from `/admin`.
async fn standards(env: &Env) -> Outcome {
    let public = crawl(env, "/", 200).await?;
    if public.len() < 15 {
        return Err(format!("the crawl found only {} public pages", public.len()).into());
    }
    env.sign_in().await?;
    // An endpoint, added through its form, so that its page is among those checked.
    let c = &env.client;
    c.goto(&env.galley.url("/admin/webhooks")).await?;
    c.find(Locator::Id("url"))
        .await?
        .send_keys("https://hooks.example.com/galley")
        .await?;
    c.find(Locator::Css("input[name='events'][value='page.published']"))
        .await?
        .click()
        .await?;
    c.find(Locator::Css(
        "form[action='/admin/webhooks'] button[type='submit']",
    ))
    .await?
    .click()
    .await?;
    let secret = c.find(Locator::Id("webhook-secret")).await?.text().await?;
    if !secret.starts_with("whsec_") {
        return Err(format!("no signing secret shown: {secret:?}").into());
    }
    let admin = crawl(env, "/admin", 80).await?;
    let mut pages: Vec<String> = public.into_iter().chain(admin).collect();
    for extra in [
        "/no-such-page",
        "/glossary/markdwon-syntax",
        "/contact/thanks",
        "/search?q=markdown",
        "/search?q=",
        "/search?q=zzzqqq",
        // Reached from My account; named here so the crawl's limit never leaves them out.
        "/admin/account/tokens",
        "/admin/tokens",
        "/admin/webhooks",
        "/admin/webhooks/1",
        "/login",
    ] {
        pages.push(extra.into());
    }
    let mut problems = BTreeSet::new();
    let mut documents = Vec::new();
    for path in &pages {
        if path == "/login" {
            // Signed in, /login redirects: check it signed out, in a fresh state, at the end.
            continue;
        }
        env.client.goto(&env.galley.url(path)).await?;
        documents.push((path.clone(), env.source_of(path).await?));
        for v in env.axe_violations().await? {
            problems.insert(format!("axe {path}: {v}"));
        }
    }
    env.client.goto(&env.galley.url("/admin")).await?;
    env.client
        .find(Locator::Css("form[action='/logout'] button"))
        .await?
        .click()
        .await?;
    for signed_out in ["/login", "/password-reset"] {
        env.client.goto(&env.galley.url(signed_out)).await?;
        documents.push((signed_out.into(), env.source_of(signed_out).await?));
        for v in env.axe_violations().await? {
            problems.insert(format!("axe {signed_out}: {v}"));
        }
    }
    println!("checked {} pages with vnu and axe-core", documents.len());
    env.verdict(&documents, problems)
}

/// The public pages again, in dark mode (Chromium told to prefer it): axe checks the contrast of
/// the dark palette; the Nu checker the same documents.
async fn dark_standards(env: &Env) -> Outcome {
    env.client.goto(&env.galley.url("/")).await?;
    let dark = env
        .client
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
            vec![],
        )
        .await?;
    if dark.as_bool() != Some(true) {
        return Err("Chromium does not prefer the dark colour scheme".into());
    }
    env.screenshot("dark-home").await;
    let mut pages = crawl(env, "/", 200).await?;
    pages.extend(["/no-such-page", "/search?q=markdown", "/contact"].map(String::from));
    let mut problems = BTreeSet::new();
    let mut documents = Vec::new();
    for path in &pages {
        env.client.goto(&env.galley.url(path)).await?;
        documents.push((path.clone(), env.source_of(path).await?));
        for v in env.axe_violations().await? {
            problems.insert(format!("axe (dark) {path}: {v}"));
        }
    }
    println!("checked {} pages in dark mode", documents.len());
    env.verdict(&documents, problems)
}

/// Each checker must fail a page that is wrong in its way: an invalid element for the Nu checker,
/// a field without a label for axe.
async fn broken_pages_are_caught(env: &Env) -> Outcome {
    let mut broken = env.source_of_url(&env.galley.url("/about")).await?;
    broken = broken.replacen("<main", "<ul><div>not a list item</div></ul><main", 1);
    let errors = env.tools.vnu(&[("/about (broken)".into(), broken)])?;
    if errors.is_empty() {
        return Err("the Nu checker missed an invalid element".into());
    }
    env.client.goto(&env.galley.url("/about")).await?;
    env.client
        .execute("const i = document.createElement('input'); i.type = 'text'; document.querySelector('main').appendChild(i);", vec![])
        .await?;
    let violations = env.axe_violations().await?;
    if !violations.iter().any(|v| v.starts_with("label")) {
        return Err(format!("axe missed a field without a label: {violations:?}").into());
    }
    // And the unbroken page passes both, so the failures above are the injected faults.
    env.client.goto(&env.galley.url("/about")).await?;
    if !env.axe_violations().await?.is_empty() {
        return Err("the unbroken page fails axe".into());
    }
    let clean = env.source_of_url(&env.galley.url("/about")).await?;
    let errors = env.tools.vnu(&[("/about".into(), clean)])?;
    if !errors.is_empty() {
        return Err(format!("the unbroken page fails the Nu checker: {errors:?}").into());
    }
    Ok(())
}

/// RFC 4648 base32, as the setup page shows the key (in groups, with spaces).
fn unbase32(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut count, mut out) = (0u64, 0, Vec::new());
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        bits = (bits << 5) | ALPHABET.find(c).unwrap_or(0) as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The admin sets up two-factor sign-in from My account (reading the key off the page and
/// computing the codes here, as an app would), signs out, and signs in with the password and a
/// code. The setup screen, the recovery codes and the code step pass both checkers.
async fn two_factor_flow(env: &Env) -> Outcome {
    use galley::accounts::totp;
    let c = &env.client;
    env.sign_in().await?;
    c.goto(&env.galley.url("/admin/account")).await?;
    c.find(Locator::Css("a[href='/admin/account/2fa']"))
        .await?
        .click()
        .await?;
    env.expect_path("/admin/account/2fa").await?;
    let mut documents = vec![(
        "/admin/account/2fa".to_owned(),
        env.source_of("/admin/account/2fa").await?,
    )];
    let mut problems: Vec<String> = env.axe_violations().await?;
    // The page fetched above made a key of its own; the one on screen is the one to use.
    let key = c.find(Locator::Id("totp-secret")).await?.text().await?;
    let secret = unbase32(&key);
    let now = galley::clock::now;
    c.find(Locator::Id("password"))
        .await?
        .send_keys(&env.galley.admin_password)
        .await?;
    c.find(Locator::Id("code"))
        .await?
        .send_keys(&totp::code(&secret, totp::step_at(now())))
        .await?;
    c.find(Locator::Css(
        "form[action='/admin/account/2fa'] button[type='submit']",
    ))
    .await?
    .click()
    .await?;
    env.wait_for_text("h1", "Your recovery codes").await?;
    // The answer to a POST cannot be fetched again: the checker gets the document as rendered
    // (whose serialisation leaves out the doctype).
    let rendered = format!("<!doctype html>\n{}", c.source().await?);
    documents.push(("recovery codes".to_owned(), rendered));
    problems.extend(env.axe_violations().await?);
    let codes = c.find(Locator::Id("recovery-codes")).await?.text().await?;
    if codes.split_whitespace().count() != 10 {
        return Err(format!("ten recovery codes expected, got {codes:?}").into());
    }

    c.goto(&env.galley.url("/admin")).await?;
    c.find(Locator::Css("form[action='/logout'] button"))
        .await?
        .click()
        .await?;
    c.goto(&env.galley.url("/login")).await?;
    c.find(Locator::Id("email"))
        .await?
        .send_keys(&env.galley.admin_email)
        .await?;
    c.find(Locator::Id("password"))
        .await?
        .send_keys(&env.galley.admin_password)
        .await?;
    c.find(Locator::Css("form[action='/login'] button[type='submit']"))
        .await?
        .click()
        .await?;
    env.expect_path("/login/2fa").await?;
    documents.push(("/login/2fa".to_owned(), env.source_of("/login/2fa").await?));
    problems.extend(env.axe_violations().await?);
    // The step the set-up used is spent; the next one is accepted too (one step either side).
    c.find(Locator::Id("code"))
        .await?
        .send_keys(&totp::code(&secret, totp::step_at(now()) + 1))
        .await?;
    c.find(Locator::Css(
        "form[action='/login/2fa'] button[type='submit']",
    ))
    .await?
    .click()
    .await?;
    env.expect_path("/admin").await?;
    env.expect_text("h1", "Dashboard").await?;
    env.verdict(&documents, problems)
}
