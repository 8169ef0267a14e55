-- The name shown with what a user writes (the API's page author): never the e-mail address.
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
