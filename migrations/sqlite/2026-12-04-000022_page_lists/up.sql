-- A page's "Pages that link here" and computed related pages live beside the page, not in its
-- row: they change when other pages are saved, and SQLite rewrites a whole row (the page's
-- texts with it, ~40 KB) to change one column of it. No row: both lists are empty.
CREATE TABLE page_lists (
    page_id INTEGER PRIMARY KEY NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    backlinks_json TEXT NOT NULL DEFAULT '[]',
    related_json TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO page_lists (page_id, backlinks_json, related_json)
SELECT id, backlinks_json, related_json FROM pages
WHERE backlinks_json <> '[]' OR related_json <> '[]';
ALTER TABLE pages DROP COLUMN backlinks_json;
ALTER TABLE pages DROP COLUMN related_json;
