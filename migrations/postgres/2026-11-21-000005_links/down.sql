ALTER TABLE pages DROP COLUMN related_pins;
ALTER TABLE pages DROP COLUMN related_json;
ALTER TABLE pages DROP COLUMN backlinks_json;
DROP TABLE page_links;
