//! `/feed.xml`: an Atom feed of the most recently published or updated pages.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::clock::iso;
use crate::content::pages;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::ctx::Ctx;

pub const FEED_LENGTH: usize = 20;

pub struct FeedEntry {
    pub url: String,
    pub title: String,
    pub summary: String,
    pub content: String,
    pub published: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "site/feed.xml")]
pub struct Feed {
    pub title: String,
    pub subtitle: String,
    pub site_url: String,
    pub feed_url: String,
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}

pub async fn feed(state: web::Data<AppState>, ctx: Ctx) -> Result<HttpResponse, AppError> {
    let mut nodes = ctx.site.tree.visible(ctx.now);
    nodes.sort_by(|a, b| {
        b.updated_at
            .max(b.publish_at.unwrap_or_default())
            .cmp(&a.updated_at.max(a.publish_at.unwrap_or_default()))
    });
    nodes.truncate(FEED_LENGTH);
    let ids: Vec<i32> = nodes.iter().map(|n| n.id).collect();
    let bodies: HashMap<i32, pages::PublicPage> =
        db::run(&state.pool, move |c| pages::find_public_many(c, &ids))
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    let entries: Vec<FeedEntry> = nodes
        .iter()
        .filter_map(|n| {
            let page = bodies.get(&n.id)?;
            let updated = n.updated_at.max(n.publish_at.unwrap_or_default());
            Some(FeedEntry {
                url: ctx.absolute(&n.url),
                title: n.title.as_str().to_owned(),
                summary: n.summary.as_str().to_owned(),
                content: page.body_html.clone(),
                published: iso(n.publish_at.unwrap_or(n.updated_at)),
                updated: iso(updated),
            })
        })
        .collect();
    let feed = Feed {
        title: ctx.site_name().to_owned(),
        subtitle: ctx.tagline().to_owned(),
        site_url: ctx.absolute("/"),
        feed_url: ctx.absolute("/feed.xml"),
        updated: entries
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_else(|| iso(ctx.now)),
        entries,
    };
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(feed.render()?))
}
