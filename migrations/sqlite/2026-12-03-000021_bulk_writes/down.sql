DROP TRIGGER pages_fts_insert;
DROP TRIGGER pages_fts_delete;
DROP TRIGGER pages_fts_update;
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
DROP TABLE search_deferred;
