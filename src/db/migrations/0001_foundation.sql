-- Server-wide values: generated secrets and the like. Never committed, never shown.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- The custom user model of the notes: e-mail login, created_at set once, updated_at on every save.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    username   TEXT    NOT NULL,
    password   TEXT    NOT NULL,
    is_active  INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_staff   INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    last_login TEXT
);

-- auto_now_add: created_at is written once, on insert, and never again.
CREATE TRIGGER users_created_at_is_set_once
BEFORE UPDATE OF created_at ON users
WHEN NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'created_at is set once, on insert');
END;
