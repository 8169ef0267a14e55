-- Authors: a third role.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'editor', 'author'));

-- Who created a page (`author_id` is whoever saved it last): authors edit their own drafts.
ALTER TABLE pages ADD COLUMN owner_id INTEGER;
UPDATE pages SET owner_id = (
    SELECT r.author_id FROM page_revisions r WHERE r.page_id = pages.id ORDER BY r.version LIMIT 1
);

-- Where a page's review stands (no row: not in review), for the draft or for its draft of
-- changes. A table of its own: the queue is its rows, and `pages` is at Diesel's column limit.
CREATE TABLE page_review_states (
    page_id INTEGER PRIMARY KEY NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_review', 'changes_requested'))
);

-- Submissions, approvals and requests for changes, with their messages: kept with the page's
-- revisions (`version` is the page's version at the time).
CREATE TABLE page_reviews (
    id SERIAL PRIMARY KEY,
    page_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('submitted', 'approved', 'changes_requested')),
    message TEXT NOT NULL,
    user_id INTEGER,
    user_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX page_reviews_page ON page_reviews (page_id, id);

-- A draft of changes to a live page: the editor's form, prepared while the live version stays
-- online; `base_version` is the version it started from (the conflict rule holds on publishing).
CREATE TABLE page_stages (
    page_id INTEGER PRIMARY KEY NOT NULL,
    form TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    user_id INTEGER,
    saved_at TIMESTAMP NOT NULL
);
