-- When a page leaves the site by itself (NULL: never), as a scheduled page arrives: no job,
-- visibility is decided against the clock.
ALTER TABLE pages ADD COLUMN unpublish_at TIMESTAMP;
