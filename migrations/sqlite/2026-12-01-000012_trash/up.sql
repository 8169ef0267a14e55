-- The trash: a deleted page (a hub with its pages) stays, with its revisions, out of the site;
-- so does a file deleted from the media library. One row per deletion; its pages point at it,
-- live at `.trash/{id}/{path}` (paths stay unique, the old one is free for a new page) and
-- remember their own path for restoring and for 410. A file just points at it.
CREATE TABLE trash (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('page', 'media')),
    page_id INTEGER,
    media_id INTEGER,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    pages INTEGER NOT NULL,
    deleted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    deleted_by_name TEXT NOT NULL,
    deleted_at TIMESTAMP NOT NULL
);
ALTER TABLE pages ADD COLUMN trash_id INTEGER;
ALTER TABLE pages ADD COLUMN trashed_path TEXT;
CREATE INDEX pages_trashed_path ON pages (trashed_path);
ALTER TABLE media ADD COLUMN trash_id INTEGER;
