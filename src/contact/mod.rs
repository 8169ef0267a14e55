//! The contact form and what follows it: spam defence, the submissions inbox, and notification
//! e-mails through an outbox that survives restarts and is shared safely by several instances.

pub mod admin;
pub mod export;
pub mod mailer;
pub mod public;
pub mod submissions;
pub mod token;
pub mod views;
