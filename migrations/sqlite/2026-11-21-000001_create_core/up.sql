CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor')),
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    parent_id INTEGER REFERENCES pages (id) ON DELETE RESTRICT,
    slug TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    seo_title TEXT,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    toc_html TEXT NOT NULL DEFAULT '',
    faq_json TEXT NOT NULL DEFAULT '[]',
    renderer_version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'scheduled')),
    publish_at TIMESTAMP,
    nav_order INTEGER NOT NULL DEFAULT 0,
    in_nav BOOLEAN NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX pages_parent_idx ON pages (parent_id, nav_order);
CREATE INDEX pages_status_idx ON pages (status, publish_at);
CREATE INDEX pages_renderer_idx ON pages (renderer_version);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- One row; bumped by every content or settings write so that every instance notices.
CREATE TABLE site_state (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    content_version BIGINT NOT NULL
);
INSERT INTO site_state (id, content_version) VALUES (1, 1);
