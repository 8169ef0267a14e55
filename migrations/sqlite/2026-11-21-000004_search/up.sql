-- What full-text search reads: the title and the body's plain text, folded to ASCII at save time
-- (so "cafe" finds "café" and other scripts are searchable by transliteration).
ALTER TABLE pages ADD COLUMN search_title TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN search_body TEXT NOT NULL DEFAULT '';

-- An FTS5 index over those columns, kept in step with `pages` by triggers, in the same
-- transaction as every write. Queries join back to `pages` for visibility.
CREATE VIRTUAL TABLE pages_fts USING fts5(
    search_title, search_body,
    content = 'pages', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
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
