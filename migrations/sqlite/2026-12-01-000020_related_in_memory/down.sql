-- The titles' index, as 000016 made it.
CREATE VIRTUAL TABLE pages_title_fts USING fts5(
    search_title,
    content = 'pages', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO pages_title_fts (pages_title_fts) VALUES ('rebuild');
CREATE TRIGGER pages_title_fts_insert AFTER INSERT ON pages BEGIN
    INSERT INTO pages_title_fts (rowid, search_title) VALUES (new.id, new.search_title);
END;
CREATE TRIGGER pages_title_fts_delete AFTER DELETE ON pages BEGIN
    INSERT INTO pages_title_fts (pages_title_fts, rowid, search_title) VALUES ('delete', old.id, old.search_title);
END;
CREATE TRIGGER pages_title_fts_update AFTER UPDATE OF search_title ON pages BEGIN
    INSERT INTO pages_title_fts (pages_title_fts, rowid, search_title) VALUES ('delete', old.id, old.search_title);
    INSERT INTO pages_title_fts (rowid, search_title) VALUES (new.id, new.search_title);
END;
