//! Content: pages in a hierarchy of hubs, their public views, import and export.

pub mod admin;
pub mod admin_views;
pub mod announce;
pub mod autosave;
pub mod bulk;
mod checks;
pub mod derived;
pub mod editing;
pub mod export;
pub mod faq;
pub mod links;
pub mod pages;
pub mod permissions;
pub mod public;
pub mod redirects;
pub mod review;
pub mod review_views;
pub mod revisions;
pub mod saving;
pub mod source_files;
pub mod stage;
pub mod structured_data;
pub mod transfer;
pub mod trash;
pub mod views;
