//! Webhooks: endpoints that hear about changes (pages published, updated, unpublished, deleted;
//! files added; contact messages), their screen, and the worker that delivers the events
//! `events` queued, signed, with retries.

pub mod admin;
pub mod deliveries;
pub mod endpoints;
pub mod send;
pub mod worker;
