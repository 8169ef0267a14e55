DROP TABLE page_stages;
DROP TABLE page_reviews;
DROP TABLE page_review_states;
ALTER TABLE pages DROP COLUMN owner_id;
ALTER TABLE users RENAME COLUMN role TO role_before;
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'editor' CHECK (role IN ('admin', 'editor'));
-- Authors cannot become editors: their accounts are disabled instead.
UPDATE users SET role = CASE role_before WHEN 'admin' THEN 'admin' ELSE 'editor' END,
    disabled = CASE role_before WHEN 'author' THEN 1 ELSE disabled END;
ALTER TABLE users DROP COLUMN role_before;
