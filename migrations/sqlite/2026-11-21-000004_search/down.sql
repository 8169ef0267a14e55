DROP TRIGGER pages_fts_update;
DROP TRIGGER pages_fts_delete;
DROP TRIGGER pages_fts_insert;
DROP TABLE pages_fts;
ALTER TABLE pages DROP COLUMN search_body;
ALTER TABLE pages DROP COLUMN search_title;
