//! Autosave in a real browser: text typed into the editor and never saved survives the tab being
//! closed; reopening the editor offers it, and restoring puts it back in the form.

use std::time::Duration;

use fantoccini::Locator;

use crate::harness::{Env, Outcome};

pub async fn autosave_flow(env: &Env) -> Outcome {
    let c = &env.client;
    env.sign_in().await?;
    c.goto(&env.galley.url("/admin/pages")).await?;
    c.find(Locator::LinkText("Install and first start"))
        .await?
        .click()
        .await?;
    let edit_url = c.current_url().await?.to_string();
    c.find(Locator::Id("body"))
        .await?
        .send_keys("\nA sentence the browser kept for me.")
        .await?;
    // The autosave goes a few seconds after typing stops.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    // Close the tab: a new window, the old one closed without saving.
    c.new_window(true).await?;
    let windows = c.windows().await?;
    let old = c.window().await?;
    let fresh = windows
        .into_iter()
        .find(|w| *w != old)
        .ok_or("no new window")?;
    c.execute("window.onbeforeunload = null;", vec![]).await?;
    c.close_window().await?;
    c.switch_to_window(fresh).await?;
    c.goto(&edit_url).await?;
    env.expect_text(".autosave-offer", "Unsaved changes from")
        .await?;
    env.expect_text(".autosave-offer", "A sentence the browser kept for me.")
        .await?;
    let problems = env.axe_violations().await?;
    let path = env.current_path().await?;
    let documents = vec![(path.clone(), env.source_of(&path).await?)];
    c.find(Locator::LinkText("Restore the unsaved changes"))
        .await?
        .click()
        .await?;
    let body = c
        .find(Locator::Id("body"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    if !body.contains("A sentence the browser kept for me.") {
        return Err(format!("the restored form lacks the text: {body:?}").into());
    }
    env.verdict(&documents, problems)
}
