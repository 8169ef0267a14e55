//! galley: a content-management website server. `main.rs` parses the command line; everything
//! else lives here so the tests build the very same application.

pub mod accounts;
pub mod api;
pub mod app;
pub mod archive;
pub mod audit;
pub mod caches;
pub mod clock;
pub mod config;
pub mod contact;
pub mod content;
pub mod db;
pub mod error;
pub mod events;
pub mod html;
pub mod logging;
pub mod mailer;
pub mod markdown;
pub mod media;
pub mod outbox;
pub mod pagination;
pub mod progress;
pub mod routes;
pub mod sealed;
pub mod search;
pub mod site;
pub mod slug;
pub mod snapshot;
pub mod stamp;
pub mod state;
pub mod telemetry;
pub mod tokens;
pub mod validation;
pub mod web;
pub mod webhooks;
