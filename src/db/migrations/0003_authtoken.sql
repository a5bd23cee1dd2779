-- DRF's authtoken_token: one key per user, no expiry. `created` is Unix seconds on the lab clock.
CREATE TABLE authtoken_token (
    key     TEXT    PRIMARY KEY CHECK (length(key) = 40),
    user_id INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created INTEGER NOT NULL
);
