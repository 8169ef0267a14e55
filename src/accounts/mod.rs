//! Accounts: users, their roles and passwords.

pub mod admin;
pub mod auth;
pub mod extract;
pub mod invites;
pub mod login;
pub mod management;
pub mod password;
pub mod session_store;
pub mod sessions;
pub mod throttle;
pub mod users;
pub mod views;
