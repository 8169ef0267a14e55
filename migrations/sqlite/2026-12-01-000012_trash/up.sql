-- The trash: a deleted page (a hub with its pages) stays, with its revisions, out of the site.
-- One row per deletion; its pages point at it, live at `.trash/{id}/{path}` (paths stay unique,
-- the old one is free for a new page) and remember their own path for restoring and for 410.
CREATE TABLE trash (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    page_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    pages INTEGER NOT NULL,
    deleted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    deleted_by_name TEXT NOT NULL,
    deleted_at TIMESTAMP NOT NULL
);
ALTER TABLE pages ADD COLUMN trash_id INTEGER REFERENCES trash(id);
ALTER TABLE pages ADD COLUMN trashed_path TEXT;
CREATE INDEX pages_trashed_path ON pages (trashed_path);
