-- The media library. File contents live in `blobs`, keyed by the SHA-256 of their bytes, so the
-- same file uploaded twice is stored once and every instance on one database serves them.
CREATE TABLE blobs (
    hash TEXT PRIMARY KEY NOT NULL,
    bytes BLOB NOT NULL,
    byte_size BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One uploaded file. `blob_hash` is what visitors get (images re-encoded without their EXIF or
-- XMP metadata, orientation applied), `original_hash` the upload as it came, for admins only.
-- `version` goes up when the file is replaced: public URLs carry it. The focal point is in
-- percent of the width and height.
CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'document')),
    mime TEXT NOT NULL,
    ext TEXT NOT NULL,
    title TEXT NOT NULL,
    alt TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    credit TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL,
    name TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    width INTEGER,
    height INTEGER,
    focal_x INTEGER NOT NULL DEFAULT 50,
    focal_y INTEGER NOT NULL DEFAULT 50,
    version INTEGER NOT NULL DEFAULT 1,
    blob_hash TEXT NOT NULL REFERENCES blobs(hash),
    original_hash TEXT NOT NULL REFERENCES blobs(hash),
    uploader_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX media_created ON media (created_at);

-- Resized copies, made once per version, spec (`w640`, `fill-1200x630`) and format.
CREATE TABLE renditions (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    spec TEXT NOT NULL,
    format TEXT NOT NULL,
    blob_hash TEXT NOT NULL REFERENCES blobs(hash),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (media_id, version, spec, format)
);
CREATE INDEX renditions_blob ON renditions (blob_hash);

-- Renditions to make in the background, claimed with a lease like the e-mail outbox, so a
-- restart or another instance finishes what one started.
CREATE TABLE rendition_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    spec TEXT NOT NULL,
    format TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    lock_token TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rendition_jobs_due ON rendition_jobs (done_at, locked_until);

-- Which page uses which file (in its text or as its featured image), derived when a page is saved.
CREATE TABLE media_usages (
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    media_id INTEGER NOT NULL REFERENCES media(id),
    PRIMARY KEY (page_id, media_id)
);
CREATE INDEX media_usages_media ON media_usages (media_id);

-- A page's featured image, and what pages print of it (its URLs and size), derived at save.
ALTER TABLE pages ADD COLUMN image_id INTEGER;
ALTER TABLE pages ADD COLUMN image_json TEXT NOT NULL DEFAULT '';
