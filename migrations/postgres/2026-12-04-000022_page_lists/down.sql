ALTER TABLE pages ALTER COLUMN search_vector SET COMPRESSION DEFAULT;
ALTER TABLE pages ADD COLUMN backlinks_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pages ADD COLUMN related_json TEXT NOT NULL DEFAULT '[]';
UPDATE pages SET backlinks_json = l.backlinks_json, related_json = l.related_json
FROM page_lists l WHERE l.page_id = pages.id;
DROP TABLE page_lists;
