ALTER TABLE pages ADD COLUMN backlinks_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pages ADD COLUMN related_json TEXT NOT NULL DEFAULT '[]';
UPDATE pages SET
    backlinks_json = coalesce((SELECT backlinks_json FROM page_lists WHERE page_id = pages.id), '[]'),
    related_json = coalesce((SELECT related_json FROM page_lists WHERE page_id = pages.id), '[]');
DROP TABLE page_lists;
