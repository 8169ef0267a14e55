CREATE INDEX pages_title_search_idx ON pages USING GIN (to_tsvector('english', search_title));
