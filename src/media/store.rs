//! Where file contents live: behind [`BlobStore`], keyed by the SHA-256 of their bytes. The one
//! store today keeps them in the database (a BLOB on SQLite, BYTEA on PostgreSQL), so every
//! instance on one database serves every file and one backup holds the site whole. Another store
//! (a folder, an object store) implements the same three calls.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::db::schema::{blobs, media, renditions};

/// The SHA-256 of `bytes`, in hex: a blob's key.
pub fn hash_of(bytes: &[u8]) -> String {
    crate::tokens::hex(&Sha256::digest(bytes))
}

pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under their hash (once: the same bytes again are not stored twice) and
    /// returns the hash. Runs inside the caller's transaction where the store is the database.
    fn put(&self, conn: &mut DbConnection, bytes: &[u8], now: NaiveDateTime)
    -> QueryResult<String>;
    fn get(&self, conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Vec<u8>>>;
    /// Removes the blobs among `hashes` that no media and no rendition refers to any more.
    fn forget_unused(&self, conn: &mut DbConnection, hashes: &[String]) -> QueryResult<()>;
}

/// The store this instance keeps files in.
pub fn configured() -> &'static dyn BlobStore {
    &DbStore
}

/// The blobs table.
pub struct DbStore;

impl BlobStore for DbStore {
    fn put(
        &self,
        conn: &mut DbConnection,
        bytes: &[u8],
        now: NaiveDateTime,
    ) -> QueryResult<String> {
        let hash = hash_of(bytes);
        let present = blobs::table
            .find(&hash)
            .select(blobs::hash)
            .get_result::<String>(conn)
            .optional()?
            .is_some();
        if !present {
            // Another instance may store the same bytes at the same moment: they are the same.
            let row = (
                blobs::hash.eq(&hash),
                blobs::bytes.eq(bytes),
                blobs::byte_size.eq(bytes.len() as i64),
                blobs::created_at.eq(now),
            );
            crate::with_backend!(conn, |c| diesel::insert_into(blobs::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        Ok(hash)
    }

    fn get(&self, conn: &mut DbConnection, hash: &str) -> QueryResult<Option<Vec<u8>>> {
        blobs::table
            .find(hash)
            .select(blobs::bytes)
            .get_result(conn)
            .optional()
    }

    fn forget_unused(&self, conn: &mut DbConnection, hashes: &[String]) -> QueryResult<()> {
        for hash in hashes {
            let by_media: i64 = media::table
                .filter(media::blob_hash.eq(hash).or(media::original_hash.eq(hash)))
                .count()
                .get_result(conn)?;
            let by_rendition: i64 = renditions::table
                .filter(renditions::blob_hash.eq(hash))
                .count()
                .get_result(conn)?;
            if by_media == 0 && by_rendition == 0 {
                diesel::delete(blobs::table.find(hash)).execute(conn)?;
            }
        }
        Ok(())
    }
}
