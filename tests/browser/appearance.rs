//! The appearance in a real browser: an admin changes the accent colour and the header menu, and
//! the public site shows both; the new admin screens pass the Nu HTML Checker and axe-core.

use fantoccini::Locator;

use crate::harness::{Env, Outcome};

pub async fn appearance_flow(env: &Env) -> Outcome {
    let c = &env.client;
    env.sign_in().await?;
    let mut documents = Vec::new();
    let mut problems = Vec::new();
    for screen in ["/admin/appearance", "/admin/navigation"] {
        c.goto(&env.galley.url(screen)).await?;
        problems.extend(env.axe_violations().await?);
        documents.push((screen.to_owned(), env.source_of(screen).await?));
    }

    c.goto(&env.galley.url("/admin/appearance")).await?;
    let accent = c.find(Locator::Id("accent_color")).await?;
    accent.clear().await?;
    accent.send_keys("#8a1c4a").await?;
    c.find(Locator::Css(
        "form[action='/admin/appearance'] button[type='submit']",
    ))
    .await?
    .click()
    .await?;
    env.expect_text(".flash-success", "Appearance saved")
        .await?;

    c.goto(&env.galley.url("/admin/navigation")).await?;
    c.find(Locator::Css("input[name='kind'][value='url']"))
        .await?
        .click()
        .await?;
    c.find(Locator::Id("url"))
        .await?
        .send_keys("https://status.example.com/")
        .await?;
    c.find(Locator::Id("label"))
        .await?
        .send_keys("Reach us")
        .await?;
    c.find(Locator::Css(
        "form[action='/admin/navigation/items'] button[type='submit']",
    ))
    .await?
    .click()
    .await?;
    env.expect_text(".flash-success", "Added to the header menu")
        .await?;

    c.goto(&env.galley.url("/")).await?;
    let link = c
        .find(Locator::Css(
            ".site-nav a[href='https://status.example.com/']",
        ))
        .await?;
    if link.text().await? != "Reach us" || !link.is_displayed().await? {
        return Err("the new menu item is not on the public site".into());
    }
    let colour = c
        .execute(
            "return getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() + ' ' + getComputedStyle(document.querySelector('main a')).color;",
            vec![],
        )
        .await?;
    if colour.as_str() != Some("#8a1c4a rgb(138, 28, 74)") {
        return Err(format!("the accent colour is not the one chosen: {colour}").into());
    }
    env.verdict(&documents, problems)
}
