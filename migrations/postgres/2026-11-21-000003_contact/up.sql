CREATE TABLE contact_submissions (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('new', 'read', 'replied', 'archived', 'spam')),
    -- Why it was taken for spam (honeypot, too fast), empty otherwise.
    spam_reason TEXT NOT NULL DEFAULT '',
    -- The hash of the form token it came with: a reload or double-click cannot store it twice.
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contact_submissions_status_idx ON contact_submissions (status, created_at);
CREATE INDEX contact_submissions_ip_idx ON contact_submissions (ip, created_at);

-- E-mails to send, written in the same transaction as what they announce.
CREATE TABLE outbox (
    id SERIAL PRIMARY KEY,
    submission_id INTEGER REFERENCES contact_submissions (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    reply_to TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A claim by one instance's worker: nobody else sends it until the lease runs out.
    locked_until TIMESTAMP,
    lock_token TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at TIMESTAMP,
    gave_up_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due_idx ON outbox (sent_at, gave_up_at, next_attempt_at);
CREATE INDEX outbox_submission_idx ON outbox (submission_id);
