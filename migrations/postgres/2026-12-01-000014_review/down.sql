DROP TABLE page_stages;
DROP TABLE page_reviews;
DROP TABLE page_review_states;
ALTER TABLE pages DROP COLUMN owner_id;
-- Authors cannot become editors: their accounts are disabled instead.
UPDATE users SET role = 'editor', disabled = TRUE WHERE role = 'author';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'editor'));
