-- Work that one instance of several does at a time (scheduled backups): who holds it, until
-- when, and when it was last done.
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT,
    locked_until TIMESTAMP,
    last_done_at TIMESTAMP
);
