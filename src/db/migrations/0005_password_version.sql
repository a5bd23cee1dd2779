-- Counts the password changes of each user. A credential is written only while the version its
-- login verified is still the user's, in the same transaction as the write, so a login that raced
-- a password change never leaves a session or token made with the old password behind.
ALTER TABLE users ADD COLUMN password_version INTEGER NOT NULL DEFAULT 0;

-- The periodic sweep deletes expired refresh tokens by their expiry.
CREATE INDEX jwt_outstanding_by_expiry ON jwt_outstanding (expires_at);
