ALTER TABLE pages DROP COLUMN unpublish_at;
