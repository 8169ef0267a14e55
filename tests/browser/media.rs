//! The media library in a real browser: an editor uploads a photo through the plain file field,
//! puts it into a new page from the editor's "Insert an image", publishes, and the public page
//! shows it loaded. The media screens, the editor with its pickers and the page with its picture
//! pass the Nu HTML Checker and axe-core.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::harness::{Env, Outcome};

/// A 1600 × 1000 JPEG on disk, for the file field.
fn photo() -> Result<tempfile::NamedTempFile, Box<dyn std::error::Error>> {
    let image = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(1600, 1000, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    }));
    let file = tempfile::Builder::new()
        .prefix("garden-")
        .suffix(".jpg")
        .tempfile()?;
    image.save_with_format(file.path(), image::ImageFormat::Jpeg)?;
    Ok(file)
}

pub async fn media_flow(env: &Env) -> Outcome {
    let c = &env.client;
    env.sign_in().await?;
    let photo = photo()?;
    c.goto(&env.galley.url("/admin/media")).await?;
    c.find(Locator::Id("file"))
        .await?
        .send_keys(&photo.path().to_string_lossy())
        .await?;
    c.find(Locator::Id("alt"))
        .await?
        .send_keys("Rows of colour in the test garden")
        .await?;
    c.find(Locator::Css(".upload-form button[type='submit']"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash-success", "Uploaded").await?;
    let path = env.current_path().await?;
    let id: i32 = path
        .strip_prefix("/admin/media/")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| format!("the upload did not lead to the file's page: {path}"))?;
    env.screenshot("media-file-page").await;
    let mut documents = Vec::new();
    let mut problems = env.axe_violations().await?;
    documents.push((path.clone(), env.source_of(&path).await?));
    c.goto(&env.galley.url("/admin/media")).await?;
    problems.extend(env.axe_violations().await?);
    documents.push((
        "/admin/media".to_owned(),
        env.source_of("/admin/media").await?,
    ));

    // A new page, the photo inserted at the cursor from the editor.
    c.goto(&env.galley.url("/admin/pages/new")).await?;
    c.find(Locator::Id("title"))
        .await?
        .send_keys("Garden Photo")
        .await?;
    c.find(Locator::Id("summary"))
        .await?
        .send_keys("A page with a photo.")
        .await?;
    c.find(Locator::Id("body"))
        .await?
        .send_keys("The garden in June.\n\n")
        .await?;
    c.find(Locator::Css(&format!("#insert-media option[value='{id}']")))
        .await?
        .click()
        .await?;
    c.find(Locator::Id("insert-media-button"))
        .await?
        .click()
        .await?;
    let body = c
        .find(Locator::Id("body"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    let markdown = format!("![Rows of colour in the test garden](/media/{id})");
    if !body.contains(&markdown) {
        return Err(format!("the editor did not insert the image: {body:?}").into());
    }
    env.wait_for_text("#preview", "The garden in June").await?;
    problems.extend(env.axe_violations().await?);
    documents.push((
        "/admin/pages/new".to_owned(),
        env.source_of("/admin/pages/new").await?,
    ));
    c.find(Locator::Css("input[name='status'][value='published']"))
        .await?
        .click()
        .await?;
    c.find(Locator::Css("button[name='action'][value='save']"))
        .await?
        .click()
        .await?;
    env.expect_text(".flash-success", "Created").await?;

    // The public page shows it, loaded (the browser picked a source and decoded it).
    c.goto(&env.galley.url("/garden-photo")).await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    let width = loop {
        let w = c
            .execute(
                "const img = document.querySelector('.prose figure picture img');
                 return img && img.complete ? img.naturalWidth : 0;",
                vec![],
            )
            .await?
            .as_u64()
            .unwrap_or(0);
        if w > 0 || Instant::now() > deadline {
            break w;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    if width == 0 {
        return Err("the photo on the public page never loaded (naturalWidth 0)".into());
    }
    let chosen = c
        .execute(
            "return document.querySelector('.prose figure picture img').currentSrc;",
            vec![json!(null)],
        )
        .await?;
    let chosen = chosen.as_str().unwrap_or_default();
    if !chosen.contains(&format!("/media/{id}-1/")) || !chosen.ends_with(".webp") {
        return Err(format!("the browser did not take the WebP source: {chosen}").into());
    }
    env.screenshot("media-public-page").await;
    problems.extend(env.axe_violations().await?);
    documents.push((
        "/garden-photo".to_owned(),
        env.source_of("/garden-photo").await?,
    ));
    env.verdict(&documents, problems)
}
