//! What a cached page or search result is valid for.

/// What a cached page or search result is valid for: a content version (bumped by every content or
/// settings write, on any instance) and a schedule epoch (how many scheduled pages have gone
/// live). Made by `snapshot::Snapshot::stamp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub content_version: i64,
    pub schedule_epoch: usize,
}
