-- The learner's progress through the challenges, one row per challenge started in this lab: the
-- steps the server saw the learner's own requests achieve, the hints shown, and when it was solved.
CREATE TABLE lab_progress (
    challenge     TEXT PRIMARY KEY,
    started_at    INTEGER NOT NULL,
    steps         TEXT NOT NULL DEFAULT '[]',
    hints_shown   INTEGER NOT NULL DEFAULT 0,
    solution_shown INTEGER NOT NULL DEFAULT 0,
    solved_at     INTEGER,
    solved_by     TEXT
);

-- The session-fixation challenge's deliberately vulnerable login keeps these keys across a login.
CREATE TABLE lab_fixation_sessions (
    key            TEXT PRIMARY KEY,
    issued_browser TEXT NOT NULL,
    user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    login_browser  TEXT,
    created_at     INTEGER NOT NULL
);
