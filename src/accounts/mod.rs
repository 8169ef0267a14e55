//! Accounts: users, their roles and passwords.

pub mod account_2fa;
pub mod admin;
pub mod auth;
pub mod extract;
pub mod invites;
pub mod login;
pub mod management;
pub mod password;
pub mod reset;
pub mod second_step;
pub mod session_store;
pub mod sessions;
pub mod throttle;
pub mod totp;
pub mod two_factor;
pub mod users;
pub mod views;
