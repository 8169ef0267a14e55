ALTER TABLE pages DROP COLUMN body_text;
