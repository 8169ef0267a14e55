-- A page's "Pages that link here" and computed related pages live beside the page, not in its
-- row: they change when other pages are saved, and SQLite rewrites a whole row (the page's
-- texts with it, ~40 KB) to change one column of it. No row: both lists are empty.
CREATE TABLE page_lists (
    page_id INTEGER PRIMARY KEY REFERENCES pages (id) ON DELETE CASCADE,
    backlinks_json TEXT NOT NULL DEFAULT '[]',
    related_json TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO page_lists (page_id, backlinks_json, related_json)
SELECT id, backlinks_json, related_json FROM pages
WHERE backlinks_json <> '[]' OR related_json <> '[]';
ALTER TABLE pages DROP COLUMN backlinks_json;
ALTER TABLE pages DROP COLUMN related_json;

-- The stored full-text vector (~6 KB a page) compressed with lz4 too, as migration 000021 did
-- for the page's texts: an import spent ~1% of the server's time in pglz on it.
DO $$
BEGIN
    ALTER TABLE pages ALTER COLUMN search_vector SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available: the search vector stays compressed with pglz';
END
$$;
