-- Two-factor sign-in: the TOTP secret, sealed with a key derived from the site's secret (NULL:
-- off), the last time step a code was accepted for (no code is accepted twice), and single-use
-- recovery codes, stored as their SHA-256.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- The addresses and browsers each account signs in from, for the notice about a new one (the
-- sessions table forgets a device when its session ends).
CREATE TABLE known_devices (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, ip, user_agent)
);
