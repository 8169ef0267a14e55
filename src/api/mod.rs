//! The JSON API under `/api/v1/` for integrations: the read API (published content; drafts with
//! a `pages:read` token), personal API tokens and their screens, errors as problem+json.

pub mod admin;
pub mod answers;
pub mod caller;
pub mod cli;
pub mod documents;
pub mod idempotency;
pub mod inbox;
pub mod openapi;
pub mod problem;
pub mod read;
pub mod respond;
pub mod shapes;
pub mod tokens;
pub mod uploads;
pub mod write;
