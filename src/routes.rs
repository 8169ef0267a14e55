//! The one URL map of the whole site.

use actix_web::{guard, web};

use crate::content;
use crate::site::{feed, health, sitemap};
use crate::web::assets;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let read = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.service(web::resource("/healthz").route(read().to(health::healthz)))
        .service(web::resource("/readyz").route(read().to(health::readyz)))
        .service(web::resource("/robots.txt").route(read().to(sitemap::robots)))
        .service(web::resource("/sitemap.xml").route(read().to(sitemap::sitemap_index)))
        .service(web::resource("/sitemaps/{number}").route(read().to(sitemap::sitemap)))
        .service(web::resource("/feed.xml").route(read().to(feed::feed)))
        .service(web::resource("/static/{name:.*}").route(read().to(assets::serve)))
        .service(web::resource("/").route(read().to(content::public::home)))
        // Last: every other path is a page path.
        .service(web::resource("/{path:.*}").route(read().to(content::public::show_page)));
}
