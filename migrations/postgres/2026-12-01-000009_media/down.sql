ALTER TABLE pages DROP COLUMN image_json;
ALTER TABLE pages DROP COLUMN image_id;
DROP TABLE media_usages;
DROP TABLE rendition_jobs;
DROP TABLE renditions;
DROP TABLE media;
DROP TABLE blobs;
