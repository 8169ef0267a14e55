//! The integration tests: one binary, one module per area. Every test that touches the database
//! runs on SQLite and, when `TEST_POSTGRES_URL` is set, on PostgreSQL (see `db_tests!`).

mod common;

mod accounts;
mod api;
mod api_media;
mod api_write;
mod appearance;
mod archive;
mod auth;
mod caching;
mod cli;
mod contact;
mod crash;
mod editing;
mod import_export;
mod links;
mod media;
mod media_pages;
mod metrics;
mod outage;
mod pages;
mod password_reset;
mod process;
mod reliability;
mod review;
mod search;
mod seo;
mod startup;
mod two_factor;
mod webhooks;
