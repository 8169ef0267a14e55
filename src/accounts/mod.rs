//! Accounts: users, their roles and passwords.

pub mod password;
pub mod users;
