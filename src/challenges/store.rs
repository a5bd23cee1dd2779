//! Each lab's progress through the challenges, in its own `lab_progress` table: it survives a
//! restart with the lab's file, and only an explicit, confirmed clear removes it.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Challenge, State};

/// One challenge's progress, as `/lab/progress` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The challenge's id.
    pub id: &'static str,
    /// Whether every step was seen.
    pub solved: bool,
    /// Not started, started or solved.
    pub state: State,
    /// The steps seen so far (of [`super::Info::steps`]).
    pub steps: Vec<String>,
    /// Hints shown so far.
    pub hints_shown: u8,
    /// Whether the solution was shown.
    pub solution_shown: bool,
    /// When it was solved (real time, Unix seconds).
    pub solved_at: Option<i64>,
    /// The request that solved it, e.g. `GET /lab/vulnerable/jwt/alg-none/me`.
    pub solved_by: Option<String>,
}

impl Progress {
    fn none(challenge: Challenge) -> Progress {
        Progress {
            id: challenge.id(),
            solved: false,
            state: State::NotStarted,
            steps: Vec::new(),
            hints_shown: 0,
            solution_shown: false,
            solved_at: None,
            solved_by: None,
        }
    }
}

/// Records that the learner's own request achieved `step` of `challenge` (`how`: that request, in
/// one line); the challenge is solved when all its steps are in. Returns whether this call solved it.
pub fn record(
    c: &Connection,
    challenge: Challenge,
    step: &str,
    how: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    // Read and write in one transaction: two steps seen at once both land.
    crate::db::in_transaction(c, |c| record_in(c, challenge, step, how, now))
}

fn record_in(
    c: &Connection,
    challenge: Challenge,
    step: &str,
    how: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    let before = find(c, challenge)?;
    if before.solved {
        return Ok(false);
    }
    let mut steps = before.steps;
    if !steps.iter().any(|s| s == step) {
        steps.push(step.to_owned());
    }
    let solved = challenge
        .info()
        .steps
        .iter()
        .all(|needed| steps.iter().any(|s| s == needed));
    let steps_json = serde_json::to_string(&steps).unwrap_or_else(|_| "[]".to_owned());
    c.execute(
        "INSERT INTO lab_progress (challenge, started_at, steps, solved_at, solved_by)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (challenge) DO UPDATE SET steps = excluded.steps,
             solved_at = excluded.solved_at, solved_by = excluded.solved_by",
        params![
            challenge.id(),
            now,
            steps_json,
            solved.then_some(now),
            solved.then_some(how)
        ],
    )?;
    Ok(solved)
}

/// Records that hint `n` (1-based) was shown; hints are shown in order, so the count only grows.
pub fn show_hint(c: &Connection, challenge: Challenge, n: u8, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO lab_progress (challenge, started_at, hints_shown) VALUES (?1, ?2, ?3)
         ON CONFLICT (challenge) DO UPDATE SET hints_shown = MAX(hints_shown, excluded.hints_shown)",
        params![challenge.id(), now, n],
    )?;
    Ok(())
}

/// Records that the solution was shown.
pub fn show_solution(c: &Connection, challenge: Challenge, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO lab_progress (challenge, started_at, solution_shown) VALUES (?1, ?2, 1)
         ON CONFLICT (challenge) DO UPDATE SET solution_shown = 1",
        params![challenge.id(), now],
    )?;
    Ok(())
}

/// One challenge's progress in this lab.
pub fn find(c: &Connection, challenge: Challenge) -> rusqlite::Result<Progress> {
    let row = c
        .prepare_cached(
            "SELECT steps, hints_shown, solution_shown, solved_at, solved_by
             FROM lab_progress WHERE challenge = ?1",
        )?
        .query_row(params![challenge.id()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()?;
    let Some((steps, hints, solution, solved_at, solved_by)) = row else {
        return Ok(Progress::none(challenge));
    };
    let solved = solved_at.is_some();
    Ok(Progress {
        id: challenge.id(),
        solved,
        state: if solved {
            State::Solved
        } else {
            State::Started
        },
        steps: serde_json::from_str(&steps).unwrap_or_default(),
        hints_shown: u8::try_from(hints.clamp(0, i64::from(challenge.info().hints))).unwrap_or(0),
        solution_shown: solution != 0,
        solved_at,
        solved_by,
    })
}

/// Every challenge's progress in this lab, in order.
pub fn all(c: &Connection) -> rusqlite::Result<Vec<Progress>> {
    Challenge::ALL.into_iter().map(|ch| find(c, ch)).collect()
}

/// Forgets this lab's progress (the learner confirmed it); returns the rows removed.
pub fn clear(c: &Connection) -> rusqlite::Result<usize> {
    c.execute("DELETE FROM lab_progress", [])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().expect("memory");
        c.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY);
             "
            .to_owned()
            .as_str(),
        )
        .expect("users");
        c.execute_batch(include_str!("../db/migrations/0006_lab_progress.sql"))
            .expect("migration");
        c
    }

    #[test]
    fn a_challenge_is_solved_only_when_every_step_is_in_and_stays_solved() {
        let c = db();
        assert_eq!(
            find(&c, Challenge::NoCookieJar).expect("find").state,
            State::NotStarted
        );
        assert!(!record(&c, Challenge::NoCookieJar, "cookie_lost", "a", 10).expect("record"));
        let p = find(&c, Challenge::NoCookieJar).expect("find");
        assert_eq!((p.state, p.solved), (State::Started, false));
        assert!(
            record(
                &c,
                Challenge::NoCookieJar,
                "header_kept",
                "GET /token/api/me",
                11
            )
            .expect("record")
        );
        let p = find(&c, Challenge::NoCookieJar).expect("find");
        assert_eq!(
            (p.solved, p.solved_at, p.solved_by.as_deref()),
            (true, Some(11), Some("GET /token/api/me"))
        );
        assert!(!record(&c, Challenge::NoCookieJar, "header_kept", "again", 12).expect("record"));
        assert_eq!(
            find(&c, Challenge::NoCookieJar).expect("find").solved_at,
            Some(11)
        );
        show_hint(&c, Challenge::AlgNone, 2, 5).expect("hint");
        show_hint(&c, Challenge::AlgNone, 1, 6).expect("hint");
        let p = find(&c, Challenge::AlgNone).expect("find");
        assert_eq!((p.state, p.hints_shown), (State::Started, 2));
        assert_eq!(clear(&c).expect("clear"), 2);
        assert!(
            all(&c)
                .expect("all")
                .iter()
                .all(|p| p.state == State::NotStarted)
        );
    }
}
