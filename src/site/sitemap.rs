//! `robots.txt` and sitemaps: an index at `/sitemap.xml` pointing to numbered sitemaps of at
//! most 50,000 URLs each, all built from the in-memory tree.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::clock::iso;
use crate::error::AppError;
use crate::web::ctx::Ctx;

/// The protocol's limit of URLs per sitemap file.
pub const URLS_PER_SITEMAP: usize = 50_000;

pub struct UrlEntry {
    pub loc: String,
    pub lastmod: String,
}

#[derive(Template)]
#[template(path = "site/sitemap_index.xml")]
pub struct SitemapIndex {
    pub sitemaps: Vec<UrlEntry>,
}

#[derive(Template)]
#[template(path = "site/sitemap.xml")]
pub struct Sitemap {
    pub urls: Vec<UrlEntry>,
}

/// Every visible page as a sitemap entry; the home page is listed at `/`.
fn entries(ctx: &Ctx) -> Vec<UrlEntry> {
    let home_id = ctx.site.settings.home_page_id;
    ctx.site
        .tree
        .visible(ctx.now)
        .into_iter()
        .map(|n| {
            let path = if n.path().is_empty() || Some(n.id) == home_id {
                "/"
            } else {
                n.url.as_str()
            };
            UrlEntry {
                loc: ctx.absolute(path),
                lastmod: iso(n.updated_at),
            }
        })
        .collect()
}

/// How many sitemap files `count` URLs need (at least one, so the index is never empty).
pub fn sitemap_count(count: usize, per_file: usize) -> usize {
    count.div_ceil(per_file).max(1)
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .body(body)
}

pub async fn sitemap_index(ctx: Ctx) -> Result<HttpResponse, AppError> {
    let entries = entries(&ctx);
    let n = sitemap_count(entries.len(), URLS_PER_SITEMAP);
    let sitemaps = (0..n)
        .map(|i| {
            let chunk = entries
                .iter()
                .skip(i * URLS_PER_SITEMAP)
                .take(URLS_PER_SITEMAP);
            UrlEntry {
                loc: ctx.absolute(&format!("/sitemaps/{}.xml", i + 1)),
                lastmod: chunk
                    .map(|e| e.lastmod.clone())
                    .max()
                    .unwrap_or_else(|| iso(ctx.now)),
            }
        })
        .collect();
    Ok(xml(SitemapIndex { sitemaps }.render()?))
}

pub async fn sitemap(ctx: Ctx, number: web::Path<String>) -> Result<HttpResponse, AppError> {
    let n: usize = number
        .strip_suffix(".xml")
        .unwrap_or(&number)
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let entries = entries(&ctx);
    if n == 0 || n > sitemap_count(entries.len(), URLS_PER_SITEMAP) {
        return Err(AppError::NotFound);
    }
    let urls = entries
        .into_iter()
        .skip((n - 1) * URLS_PER_SITEMAP)
        .take(URLS_PER_SITEMAP)
        .collect();
    Ok(xml(Sitemap { urls }.render()?))
}

pub async fn robots(ctx: Ctx) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /login\n\nSitemap: {}\n",
            ctx.absolute("/sitemap.xml")
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemaps_split_at_the_limit() {
        assert_eq!(sitemap_count(0, 50_000), 1);
        assert_eq!(sitemap_count(50_000, 50_000), 1);
        assert_eq!(sitemap_count(50_001, 50_000), 2);
        assert_eq!(sitemap_count(120_000, 50_000), 3);
    }
}
