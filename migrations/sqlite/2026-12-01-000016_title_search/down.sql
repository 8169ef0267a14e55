DROP TRIGGER pages_title_fts_update;
DROP TRIGGER pages_title_fts_delete;
DROP TRIGGER pages_title_fts_insert;
DROP TABLE pages_title_fts;
