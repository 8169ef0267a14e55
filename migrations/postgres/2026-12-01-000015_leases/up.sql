-- Work that one instance of several does at a time (scheduled backups): who holds it, until
-- when, and when it was last done.
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT,
    locked_until TIMESTAMP,
    last_done_at TIMESTAMP
);

-- Related pages search titles alone (`search::related_by_title`): without an index of its own
-- each search computed every title's vector, a full scan per page saved or imported.
CREATE INDEX pages_title_search_idx ON pages USING GIN (to_tsvector('english', search_title));
