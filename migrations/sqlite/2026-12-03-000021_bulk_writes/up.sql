-- An import's batch adds its new pages to the full-text index in one statement at its end
-- (`search::index_deferred`): FTS5 flushes its pending terms at every statement savepoint, and
-- each INSERT INTO pages opens one, so indexing a page at a time wrote the index 250 times a
-- batch. While a writing transaction holds the row of `search_deferred`, pages created after
-- `since` (the largest id when it began; ids only grow) are left to that statement, and their
-- later changes with them. The row never outlives the transaction that wrote it.
CREATE TABLE search_deferred (since INTEGER NOT NULL);

DROP TRIGGER pages_fts_insert;
DROP TRIGGER pages_fts_delete;
DROP TRIGGER pages_fts_update;
CREATE TRIGGER pages_fts_insert AFTER INSERT ON pages
WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
    INSERT INTO pages_fts (rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
END;
CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE old.id > since) BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, search_title, search_body) VALUES ('delete', old.id, old.search_title, old.search_body);
END;
CREATE TRIGGER pages_fts_update AFTER UPDATE OF search_title, search_body ON pages
WHEN NOT EXISTS (SELECT 1 FROM search_deferred WHERE old.id > since) BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, search_title, search_body) VALUES ('delete', old.id, old.search_title, old.search_body);
    INSERT INTO pages_fts (rowid, search_title, search_body) VALUES (new.id, new.search_title, new.search_body);
END;
