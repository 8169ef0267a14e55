-- What the editor had typed and not saved: one slot per user and page (0: a page not saved yet),
-- written every few seconds where JavaScript runs; never a revision, never shown to visitors.
CREATE TABLE autosaves (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    page_key INTEGER NOT NULL,
    form TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, page_key)
);
