//! The site as a whole: the settings screen, the dashboard, first-start setup and demo content,
//! robots.txt, sitemaps, the feed and health endpoints.

pub mod admin;
pub mod appearance;
pub mod bootstrap;
pub mod changes;
pub mod demo;
pub mod feed;
pub mod health;
pub mod menus;
pub mod navigation;
pub mod sitemap;
pub mod theme;
pub mod views;
