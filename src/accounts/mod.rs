//! Accounts: users, their roles and passwords.

pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
