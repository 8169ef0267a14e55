-- Related pages are worked out in memory from the titles (`search::related`): the titles' own
-- index is no longer read, and every page write kept it up to date.
DROP TRIGGER pages_title_fts_update;
DROP TRIGGER pages_title_fts_delete;
DROP TRIGGER pages_title_fts_insert;
DROP TABLE pages_title_fts;
