DROP TABLE password_tokens;
DROP TABLE audit_log;
DROP TABLE redirects;
DROP TABLE page_revisions;
DROP TABLE login_throttle;
DROP TABLE sessions;
