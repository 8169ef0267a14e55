-- Rebuilds `pages` with its columns in the order reads need them. SQLite stores a row's columns in
-- declaration order and reaches a column by walking the row's overflow pages up to it: a page view
-- read the Markdown source and the search text (added last) on its way to the HTML and the links.
-- Now the small columns come first, then what a page view reads, and the source and search text
-- last, where only the editor, the export and search snippets go.
-- SQLite's documented procedure for a table change ALTER TABLE cannot make (foreign keys off,
-- copy, drop, rename, check).
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE pages_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    parent_id INTEGER REFERENCES pages (id) ON DELETE RESTRICT,
    slug TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    seo_title TEXT,
    renderer_version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'scheduled')),
    publish_at TIMESTAMP,
    nav_order INTEGER NOT NULL DEFAULT 0,
    in_nav BOOLEAN NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    search_title TEXT NOT NULL DEFAULT '',
    related_pins TEXT NOT NULL DEFAULT '',
    related_json TEXT NOT NULL DEFAULT '[]',
    backlinks_json TEXT NOT NULL DEFAULT '[]',
    faq_json TEXT NOT NULL DEFAULT '[]',
    toc_html TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL,
    body_md TEXT NOT NULL,
    search_body TEXT NOT NULL DEFAULT ''
);

INSERT INTO pages_new (
    id, parent_id, slug, path, title, summary, seo_title, renderer_version, status, publish_at,
    nav_order, in_nav, version, author_id, created_at, updated_at, search_title, related_pins,
    related_json, backlinks_json, faq_json, toc_html, body_html, body_md, search_body
)
SELECT
    id, parent_id, slug, path, title, summary, seo_title, renderer_version, status, publish_at,
    nav_order, in_nav, version, author_id, created_at, updated_at, search_title, related_pins,
    related_json, backlinks_json, faq_json, toc_html, body_html, body_md, search_body
FROM pages;

-- Keep the id sequence where it was, so ids of deleted pages are never handed out again.
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'pages')
WHERE name = 'pages_new' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'pages');

DROP TABLE pages;
ALTER TABLE pages_new RENAME TO pages;

CREATE INDEX pages_parent_idx ON pages (parent_id, nav_order);
CREATE INDEX pages_status_idx ON pages (status, publish_at);
CREATE INDEX pages_renderer_idx ON pages (renderer_version);

-- The full-text index reads `pages` by name and keeps its rows; only the triggers went with the
-- old table.
CREATE TRIGGER pages_fts_insert AFTER INSERT ON pages BEGIN
    INSERT INTO pages_fts (rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
END;
CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, search_title, search_body) VALUES ('delete', old.id, old.search_title, old.search_body);
END;
CREATE TRIGGER pages_fts_update AFTER UPDATE OF search_title, search_body ON pages BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, search_title, search_body) VALUES ('delete', old.id, old.search_title, old.search_body);
    INSERT INTO pages_fts (rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
END;

COMMIT;
PRAGMA foreign_keys = ON;
