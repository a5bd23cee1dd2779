-- simplejwt's token_blacklist tables, plus a family: every refresh token descended from one login.
-- Times are Unix seconds on the lab clock. used_at is set when a refresh token is rotated.
CREATE TABLE jwt_outstanding (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    jti        TEXT    NOT NULL UNIQUE,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    family     TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX jwt_outstanding_by_user ON jwt_outstanding (user_id);
CREATE INDEX jwt_outstanding_by_family ON jwt_outstanding (family);

CREATE TABLE jwt_blacklisted (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    outstanding_id INTEGER NOT NULL UNIQUE REFERENCES jwt_outstanding (id) ON DELETE CASCADE,
    blacklisted_at INTEGER NOT NULL
);
