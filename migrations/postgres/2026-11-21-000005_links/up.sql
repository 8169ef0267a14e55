-- Internal links found in each page's Markdown at save time: backlinks and the broken-links report.
CREATE TABLE page_links (
    from_id INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    to_path TEXT NOT NULL,
    PRIMARY KEY (from_id, to_path)
);
CREATE INDEX page_links_to_idx ON page_links (to_path);

-- Derived at save time, so a page view reads them with the page: who links here, which pages are
-- related (computed), and the paths an editor pinned as related (one per line).
ALTER TABLE pages ADD COLUMN backlinks_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pages ADD COLUMN related_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pages ADD COLUMN related_pins TEXT NOT NULL DEFAULT '';
