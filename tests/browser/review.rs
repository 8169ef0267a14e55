//! The editorial workflow in a real browser: an admin adds an author; the author writes a page
//! and submits it for review; an editor approves it from the queue and it is live; the editor
//! moves it to the trash (410) and restores it. Every screen on the way passes vnu and axe.

use fantoccini::Locator;

use crate::harness::{Env, Outcome};

const AUTHOR: &str = "author@example.com";
const AUTHOR_PASSWORD: &str = "a long enough secret for the author";

pub async fn review_flow(env: &Env) -> Outcome {
    let c = &env.client;
    let mut documents = Vec::new();
    let mut problems = Vec::new();
    let mut check = async |documents: &mut Vec<(String, String)>| -> Outcome {
        let path = env.current_path().await?;
        problems.extend(env.axe_violations().await?);
        documents.push((path.clone(), env.source_of(&path).await?));
        Ok(())
    };

    // An admin adds the author from the users screen.
    env.sign_in().await?;
    c.goto(&env.galley.url("/admin/users/new")).await?;
    c.find(Locator::Id("email"))
        .await?
        .send_keys(AUTHOR)
        .await?;
    c.find(Locator::Css("input[name='role'][value='author']"))
        .await?
        .click()
        .await?;
    c.find(Locator::Id("password"))
        .await?
        .send_keys(AUTHOR_PASSWORD)
        .await?;
    c.find(Locator::Css(
        "form[action='/admin/users'] button[type='submit']",
    ))
    .await?
    .click()
    .await?;
    env.expect_text(".flash", AUTHOR).await?;
    env.sign_out().await?;

    // The author writes a page and submits it.
    env.sign_in_as(AUTHOR, AUTHOR_PASSWORD).await?;
    check(&mut documents).await?;
    c.find(Locator::LinkText("New page")).await?.click().await?;
    c.find(Locator::Id("title"))
        .await?
        .send_keys("Field notes on herons")
        .await?;
    // The editor suggests a slug from the title; this page wants a shorter one.
    let slug = c.find(Locator::Id("slug")).await?;
    slug.clear().await?;
    slug.send_keys("herons").await?;
    c.find(Locator::Id("body"))
        .await?
        .send_keys("## Where they stand\n\nHerons wait at the water's edge.")
        .await?;
    c.find(Locator::Css("button[value='save']"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash", "Created").await?;
    let saved = c.find(Locator::Id("slug")).await?.prop("value").await?;
    if saved.as_deref() != Some("herons") {
        return Err(format!("the page was saved with the slug {saved:?}").into());
    }
    c.find(Locator::Id("message"))
        .await?
        .send_keys("My first page: is the tone right?")
        .await?;
    c.find(Locator::Css(".submit-review button"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash", "Submitted").await?;
    env.expect_text(".review-state", "waiting for review")
        .await?;
    check(&mut documents).await?;
    env.sign_out().await?;

    // The editor sees it waiting, reviews and approves it.
    env.sign_in().await?;
    env.expect_text(".admin-nav a[href='/admin/reviews']", "1")
        .await?;
    c.find(Locator::Css(".admin-nav a[href='/admin/reviews']"))
        .await?
        .click()
        .await?;
    check(&mut documents).await?;
    c.find(Locator::LinkText("Field notes on herons"))
        .await?
        .click()
        .await?;
    env.expect_text("main", "is the tone right?").await?;
    env.expect_text(".prose", "Herons wait at the water")
        .await?;
    check(&mut documents).await?;
    env.screenshot("review-screen").await;
    c.find(Locator::Css("form[action$='/approve'] button"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash", "Approved").await?;
    env.expect_text("main", "Nothing is waiting for review")
        .await?;

    // Live for visitors.
    c.goto(&env.galley.url("/herons")).await?;
    env.expect_text("h1", "Field notes on herons").await?;

    // To the trash (410 for visitors) and back.
    c.goto(&env.galley.url("/admin/pages")).await?;
    c.find(Locator::LinkText("Field notes on herons"))
        .await?
        .click()
        .await?;
    c.find(Locator::LinkText("Delete")).await?.click().await?;
    c.find(Locator::Css("form[action$='/delete'] button"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash", "to the trash").await?;
    let status = env.status_of("/herons").await?;
    if status != 410 {
        return Err(format!("a page in the trash answers {status}, not 410").into());
    }
    c.goto(&env.galley.url("/admin/trash")).await?;
    check(&mut documents).await?;
    c.find(Locator::Css("form[action$='/restore'] button"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash", "Restored").await?;
    c.goto(&env.galley.url("/herons")).await?;
    env.expect_text("h1", "Field notes on herons").await?;
    env.verdict(&documents, problems)
}
