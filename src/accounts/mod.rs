//! Accounts: users, their roles and passwords.

pub mod admin;
pub mod auth;
pub mod invites;
pub mod login;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod views;
