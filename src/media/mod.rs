//! The media library: images and files editors upload. `sniff` decides what a file is,
//! `imaging` decodes, cleans and resizes images, `intake` makes an upload ready to store, `store`
//! keeps bytes by their hash, `library` holds the records, `editing` changes them, `renditions` are
//! the resized copies, `jobs` the background work that makes them, `markup` how pages show files, `transfer` the
//! library in an export; `public` serves files to visitors, `admin` is the editors' screens.

pub mod admin;
pub mod editing;
pub mod imaging;
pub mod intake;
pub mod jobs;
pub mod library;
pub mod markup;
pub mod public;
pub mod renditions;
pub mod sniff;
pub mod store;
pub mod transfer;
pub mod views;
