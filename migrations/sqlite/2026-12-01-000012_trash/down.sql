ALTER TABLE media DROP COLUMN trash_id;
DROP INDEX pages_trashed_path;
ALTER TABLE pages DROP COLUMN trashed_path;
ALTER TABLE pages DROP COLUMN trash_id;
DROP TABLE trash;
