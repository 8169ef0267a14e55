DROP TABLE site_state;
DROP TABLE settings;
DROP TABLE pages;
DROP TABLE users;
