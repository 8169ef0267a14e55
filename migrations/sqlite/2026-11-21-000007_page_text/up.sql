-- The body as plain text, made at save time: search result snippets are cut from it (parsing the
-- Markdown of every result on each search was most of a search's cost).
ALTER TABLE pages ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
