//! What editors reach under `/admin/pages`, `/admin/redirects` and `/admin/links`: list, write,
//! preview, publish, revisions, deletion, redirects and the broken-links report.

pub mod autosave;
pub mod delete;
pub mod editor;
pub mod links;
pub mod list;
pub mod redirects;
pub mod review;
pub mod revisions;
pub mod trash;
