-- What full-text search reads: the title and the body's plain text, folded to ASCII at save time
-- (so "cafe" finds "café" and other scripts are searchable by transliteration).
ALTER TABLE pages ADD COLUMN search_title TEXT NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN search_body TEXT NOT NULL DEFAULT '';

-- A weighted tsvector (title A, body B) that PostgreSQL keeps in step with every write.
ALTER TABLE pages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', search_title), 'A') ||
    setweight(to_tsvector('english', search_body), 'B')
) STORED;
CREATE INDEX pages_search_idx ON pages USING GIN (search_vector);
