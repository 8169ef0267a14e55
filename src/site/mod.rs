//! The site as a whole: settings, the in-memory snapshot, first-start setup and demo content,
//! robots.txt, sitemaps, the feed and health endpoints.

pub mod admin;
pub mod bootstrap;
pub mod demo;
pub mod feed;
pub mod health;
pub mod settings;
pub mod sitemap;
pub mod state;
pub mod views;
