DROP INDEX pages_search_idx;
ALTER TABLE pages DROP COLUMN search_vector;
ALTER TABLE pages DROP COLUMN search_body;
ALTER TABLE pages DROP COLUMN search_title;
