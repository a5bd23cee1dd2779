//! simplejwt's `token_blacklist` tables plus a family: the refresh tokens the server remembers.
//!
//! Access tokens are never stored. Refresh tokens are (the notes: "보통 데이터베이스에 유저 정보와
//! 같이 기록"), so they can be rotated, blacklisted at logout, and — stricter than simplejwt — a
//! reused one revokes its whole family.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// What presenting a refresh token for rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// It was live: it is now used and blacklisted; issue the next one in `family`.
    Rotated {
        /// The family the next refresh token joins.
        family: String,
    },
    /// It had been rotated moments ago (inside the grace window) and its successor is still
    /// live: hand that same successor out again, so two tabs end up on one chain, not a fork.
    AlreadyRotated {
        /// The refresh token the first rotation issued.
        successor: String,
    },
    /// It had already been rotated: someone is replaying it. Its whole family is now blacklisted.
    Reused,
    /// It was blacklisted at logout.
    Blacklisted,
}

/// A remembered refresh token.
pub struct Outstanding<'a> {
    /// Its `jti`.
    pub jti: &'a str,
    /// Its owner.
    pub user_id: Option<i64>,
    /// Its family (one per login).
    pub family: &'a str,
    /// The token itself (as simplejwt keeps it).
    pub token: &'a str,
    /// Issued at.
    pub created_at: i64,
    /// Expires at.
    pub expires_at: i64,
}

/// A refresh token just issued, before it is remembered in a family.
#[derive(Debug, Clone, Copy)]
pub struct Issued<'a> {
    /// Its `jti`.
    pub jti: &'a str,
    /// Its owner.
    pub user_id: i64,
    /// The token itself.
    pub token: &'a str,
    /// Issued at.
    pub created_at: i64,
    /// Expires at.
    pub expires_at: i64,
}

impl<'a> Issued<'a> {
    /// The token as remembered in `family`.
    pub fn in_family(self, family: &'a str) -> Outstanding<'a> {
        Outstanding {
            jti: self.jti,
            user_id: Some(self.user_id),
            family,
            token: self.token,
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

/// Remembers an issued refresh token.
pub fn record(c: &Connection, t: &Outstanding<'_>) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO jwt_outstanding (jti, user_id, family, token, created_at, expires_at)
         VALUES (?1, (SELECT id FROM users WHERE id = ?2), ?3, ?4, ?5, ?6)
         ON CONFLICT (jti) DO UPDATE SET jti = excluded.jti
         RETURNING id",
    )?
    .query_row(
        params![
            t.jti,
            t.user_id,
            t.family,
            t.token,
            t.created_at,
            t.expires_at
        ],
        |r| r.get(0),
    )
}

/// Whether a token with this `jti` is blacklisted and may not be rotated: blacklisted, and not a
/// token rotated less than `grace` seconds ago in a family that is still live (see [`rotate`]).
pub fn refuses_refresh(c: &Connection, jti: &str, now: i64, grace: i64) -> rusqlite::Result<bool> {
    if !is_blacklisted(c, jti)? {
        return Ok(false);
    }
    let standing: Option<(String, Option<i64>)> = c
        .prepare_cached("SELECT family, used_at FROM jwt_outstanding WHERE jti = ?1")?
        .query_row(params![jti], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match standing {
        Some((family, Some(used_at))) => !in_grace(c, &family, used_at, now, grace)?,
        _ => true,
    })
}

/// Whether a token of `family` rotated at `used_at` is still inside the grace window at `now`: the
/// window has not run out, and nothing in the family was blacklisted without being rotated (a
/// logout, or a family revoked for reuse), so a second rotation would only fork a live login.
fn in_grace(
    c: &Connection,
    family: &str,
    used_at: i64,
    now: i64,
    grace: i64,
) -> rusqlite::Result<bool> {
    // The window runs forward from the rotation only: a lab clock put back is not "inside" it.
    if !(0..grace).contains(&(now - used_at)) {
        return Ok(false);
    }
    let ended: bool = c
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM jwt_outstanding o JOIN jwt_blacklisted b ON b.outstanding_id = o.id
                            WHERE o.family = ?1 AND o.used_at IS NULL)",
        )?
        .query_row(params![family], |r| r.get(0))?;
    Ok(!ended)
}

/// Whether a token with this `jti` is blacklisted.
pub fn is_blacklisted(c: &Connection, jti: &str) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM jwt_outstanding o JOIN jwt_blacklisted b ON b.outstanding_id = o.id
                        WHERE o.jti = ?1)",
    )?
    .query_row(params![jti], |r| r.get(0))
}

/// Rotates a verified refresh token, in one transaction: exactly one of two racing requests wins.
/// A token the server never saw (signed with its key, but issued elsewhere) is remembered first.
/// The winner's `successor` joins the family in the same transaction, so a replay of the old token
/// that revokes the family cannot slip in before it is there.
///
/// A token already rotated less than `grace` seconds ago, in a family still live, whose successor
/// nobody has used yet, answers with that same successor instead of counting as reuse: two tabs
/// refreshing at once both stay logged in, on one chain. Past the window, or with `grace` 0, a
/// second rotation revokes the family.
pub fn rotate(
    c: &Connection,
    presented: &Outstanding<'_>,
    successor: Option<Issued<'_>>,
    now: i64,
    grace: i64,
) -> rusqlite::Result<Rotation> {
    crate::db::in_transaction(c, |c| {
        rotate_in_transaction(c, presented, successor, now, grace)
    })
}

fn rotate_in_transaction(
    c: &Connection,
    presented: &Outstanding<'_>,
    successor: Option<Issued<'_>>,
    now: i64,
    grace: i64,
) -> rusqlite::Result<Rotation> {
    let id = record(c, presented)?;
    let (family, used_at, blacklisted): (String, Option<i64>, bool) = c.query_row(
        "SELECT o.family, o.used_at, b.id IS NOT NULL
         FROM jwt_outstanding o LEFT JOIN jwt_blacklisted b ON b.outstanding_id = o.id WHERE o.id = ?1",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if let Some(used_at) = used_at {
        if in_grace(c, &family, used_at, now, grace)?
            && let Some(successor) = live_successor(c, &family, id)?
        {
            return Ok(Rotation::AlreadyRotated { successor });
        }
        revoke_family(c, &family, now)?;
        return Ok(Rotation::Reused);
    }
    if blacklisted {
        return Ok(Rotation::Blacklisted);
    }
    // Inside BEGIN IMMEDIATE no other writer can have claimed it since the read above.
    c.execute(
        "UPDATE jwt_outstanding SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        params![id, now],
    )?;
    blacklist_id(c, id, now)?;
    if let Some(next) = successor {
        record(c, &next.in_family(&family))?;
    }
    Ok(Rotation::Rotated { family })
}

/// The token the rotation of row `id` issued (the next row of its family: a rotation records its
/// successor in its own transaction), while it is neither rotated nor blacklisted.
fn live_successor(c: &Connection, family: &str, id: i64) -> rusqlite::Result<Option<String>> {
    c.prepare_cached(
        "SELECT o.token FROM jwt_outstanding o
         WHERE o.id = (SELECT MIN(id) FROM jwt_outstanding WHERE family = ?1 AND id > ?2)
           AND o.used_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM jwt_blacklisted b WHERE b.outstanding_id = o.id)",
    )?
    .query_row(params![family, id], |r| r.get(0))
    .optional()
}

fn blacklist_id(c: &Connection, outstanding_id: i64, now: i64) -> rusqlite::Result<usize> {
    c.execute(
        "INSERT INTO jwt_blacklisted (outstanding_id, blacklisted_at) VALUES (?1, ?2)
         ON CONFLICT (outstanding_id) DO NOTHING",
        params![outstanding_id, now],
    )
}

/// Blacklists every token of a family (reuse detected).
pub fn revoke_family(c: &Connection, family: &str, now: i64) -> rusqlite::Result<usize> {
    c.execute(
        "INSERT INTO jwt_blacklisted (outstanding_id, blacklisted_at)
         SELECT id, ?2 FROM jwt_outstanding WHERE family = ?1
         ON CONFLICT (outstanding_id) DO NOTHING",
        params![family, now],
    )
}

/// Ends up to `batch` remembered refresh tokens that had expired by `now` (the lab clock; the
/// periodic sweep); returns how many. One that has expired in real time too is deleted with its
/// blacklist row: its `exp` refuses it before the table is asked, so forgetting it changes no
/// answer. One that has expired only because the lab clock is ahead is blacklisted instead and
/// kept until it really expires, so putting the clock back brings none of them back to life —
/// neither the expired ones nor the ones logged out or revoked.
pub fn sweep_expired(c: &Connection, now: i64, batch: i64) -> rusqlite::Result<usize> {
    let real_now = chrono::Utc::now().timestamp().min(now);
    let deleted = c
        .prepare_cached(
            "DELETE FROM jwt_outstanding WHERE id IN
               (SELECT id FROM jwt_outstanding WHERE expires_at <= ?1 LIMIT ?2)",
        )?
        .execute(params![real_now, batch])?;
    let ended = c
        .prepare_cached(
            "INSERT INTO jwt_blacklisted (outstanding_id, blacklisted_at)
             SELECT o.id, ?1 FROM jwt_outstanding o
             WHERE o.expires_at <= ?1
               AND NOT EXISTS (SELECT 1 FROM jwt_blacklisted b WHERE b.outstanding_id = o.id)
             LIMIT ?2",
        )?
        .execute(params![now, batch])?;
    Ok(deleted + ended)
}

/// Blacklists every refresh token of `user_id` (a password change); returns how many were live.
pub fn blacklist_all(c: &Connection, user_id: i64, now: i64) -> rusqlite::Result<usize> {
    c.execute(
        "INSERT INTO jwt_blacklisted (outstanding_id, blacklisted_at)
         SELECT id, ?2 FROM jwt_outstanding WHERE user_id = ?1
         ON CONFLICT (outstanding_id) DO NOTHING",
        params![user_id, now],
    )
}

/// Blacklists one refresh token (logout); `false` when it already was.
pub fn blacklist(c: &Connection, presented: &Outstanding<'_>, now: i64) -> rusqlite::Result<bool> {
    let id = record(c, presented)?;
    Ok(blacklist_id(c, id, now)? == 1)
}

/// A refresh token as the server panel shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshRow {
    /// Its `jti`.
    pub jti: String,
    /// Its family (one per login).
    pub family: String,
    /// Issued at (Unix seconds, lab clock).
    pub created_at: i64,
    /// Expires at.
    pub expires_at: i64,
    /// When it was rotated, if it was.
    pub used_at: Option<i64>,
    /// When it was blacklisted, if it was.
    pub blacklisted_at: Option<i64>,
}

fn refresh_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RefreshRow> {
    Ok(RefreshRow {
        jti: r.get(0)?,
        family: r.get(1)?,
        created_at: r.get(2)?,
        expires_at: r.get(3)?,
        used_at: r.get(4)?,
        blacklisted_at: r.get(5)?,
    })
}

/// The refresh tokens of the family of the token remembered under `jti`, newest first, when the
/// server remembers exactly `token` under it (the JWT page's panel after logout); none otherwise.
pub fn family_of_token(
    c: &Connection,
    jti: &str,
    token: &str,
    limit: i64,
) -> rusqlite::Result<Vec<RefreshRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT o.jti, o.family, o.created_at, o.expires_at, o.used_at, b.blacklisted_at
         FROM jwt_outstanding o LEFT JOIN jwt_blacklisted b ON b.outstanding_id = o.id
         WHERE o.family = (SELECT family FROM jwt_outstanding WHERE jti = ?1 AND token = ?2)
         ORDER BY o.id DESC LIMIT ?3",
    )?;
    stmt.query_map(params![jti, token, limit], refresh_row)?
        .collect()
}

/// The user's refresh tokens, newest first.
pub fn for_user(c: &Connection, user_id: i64, limit: i64) -> rusqlite::Result<Vec<RefreshRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT o.jti, o.family, o.created_at, o.expires_at, o.used_at, b.blacklisted_at
         FROM jwt_outstanding o LEFT JOIN jwt_blacklisted b ON b.outstanding_id = o.id
         WHERE o.user_id = ?1 ORDER BY o.id DESC LIMIT ?2",
    )?;
    stmt.query_map(params![user_id, limit], refresh_row)?
        .collect()
}

/// Rows the server keeps: outstanding and blacklisted refresh tokens.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Totals {
    /// Refresh tokens remembered.
    pub outstanding: i64,
    /// Of which blacklisted.
    pub blacklisted: i64,
}

/// How many remembered tokens carry `jti` (0 or 1: the column is unique).
pub fn rows_with_jti(c: &Connection, jti: &str) -> rusqlite::Result<i64> {
    c.prepare_cached("SELECT COUNT(*) FROM jwt_outstanding WHERE jti = ?1")?
        .query_row([jti], |r| r.get(0))
}

/// Counts both tables.
pub fn totals(c: &Connection) -> rusqlite::Result<Totals> {
    c.query_row(
        "SELECT (SELECT COUNT(*) FROM jwt_outstanding), (SELECT COUNT(*) FROM jwt_blacklisted)",
        [],
        |r| {
            Ok(Totals {
                outstanding: r.get(0)?,
                blacklisted: r.get(1)?,
            })
        },
    )
}

/// Every refresh token and blacklist entry the server keeps: rows of both tables, and the bytes
/// the remembered tokens store (jti, family, the token).
pub fn kept_total(c: &Connection) -> rusqlite::Result<(i64, i64)> {
    c.prepare_cached(
        "SELECT (SELECT COUNT(*) FROM jwt_outstanding) + (SELECT COUNT(*) FROM jwt_blacklisted),
                COALESCE((SELECT SUM(LENGTH(jti) + LENGTH(family) + LENGTH(token)) FROM jwt_outstanding), 0)",
    )?
    .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// The rows the server keeps for one user's refresh tokens (access tokens: none), and the bytes
/// of what they store (jti, family, the token).
pub fn kept_for_user(c: &Connection, user_id: i64) -> rusqlite::Result<(i64, i64)> {
    c.prepare_cached(
        "SELECT COUNT(*),
                COALESCE(SUM(LENGTH(o.jti) + LENGTH(o.family) + LENGTH(o.token)), 0)
         FROM jwt_outstanding o LEFT JOIN jwt_blacklisted b ON b.outstanding_id = o.id
         WHERE o.user_id = ?1",
    )?
    .query_row(params![user_id], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Forgets every refresh token and blacklist entry and starts their ids again (the lab's
/// "reset everything").
pub fn reset(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(
        "DELETE FROM jwt_blacklisted; DELETE FROM jwt_outstanding;
         DELETE FROM sqlite_sequence WHERE name IN ('jwt_outstanding', 'jwt_blacklisted');",
    )
}

/// How many login families (one per login) the user's refresh tokens come from.
pub fn families_of_user(c: &Connection, user_id: i64) -> rusqlite::Result<i64> {
    c.prepare_cached("SELECT COUNT(DISTINCT family) FROM jwt_outstanding WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token<'a>(jti: &'a str, family: &'a str) -> Outstanding<'a> {
        Outstanding {
            jti,
            user_id: Some(1),
            family,
            token: jti,
            created_at: 0,
            expires_at: 100,
        }
    }

    fn issued(jti: &str) -> Issued<'_> {
        Issued {
            jti,
            user_id: 1,
            token: jti,
            created_at: 1,
            expires_at: 101,
        }
    }

    #[test]
    fn the_successor_joins_the_family_in_the_rotation_and_falls_with_it() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pool = crate::db::open(&dir.path().join("t.sqlite3")).expect("opens");
        let c = pool.get().expect("a connection");
        record(&c, &token("r1", "f")).expect("r1");

        let first = rotate(&c, &token("r1", "unused"), Some(issued("r2")), 10, 0).expect("rotates");
        assert!(matches!(first, Rotation::Rotated { ref family } if family == "f"));
        let family: String = c
            .query_row(
                "SELECT family FROM jwt_outstanding WHERE jti = 'r2'",
                [],
                |r| r.get(0),
            )
            .expect("r2 is remembered by the rotation itself");
        assert_eq!(family, "f");
        assert!(!is_blacklisted(&c, "r2").expect("reads"));

        // Replaying r1 revokes the family, successor included; the replay records no successor.
        let replay = rotate(&c, &token("r1", "unused"), Some(issued("r3")), 11, 0).expect("runs");
        assert!(matches!(replay, Rotation::Reused));
        assert!(
            is_blacklisted(&c, "r2").expect("reads"),
            "the winner's token falls too"
        );
        let r3: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM jwt_outstanding WHERE jti = 'r3'",
                [],
                |r| r.get(0),
            )
            .expect("counts");
        assert_eq!(r3, 0, "a refused rotation remembers nothing new");
    }

    #[test]
    fn a_second_rotation_inside_the_grace_window_hands_out_the_same_successor() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pool = crate::db::open(&dir.path().join("t.sqlite3")).expect("opens");
        let c = pool.get().expect("a connection");
        record(&c, &token("r1", "f")).expect("r1");
        let grace = 5;

        let first = rotate(&c, &token("r1", "x"), Some(issued("r2")), 10, grace).expect("rotates");
        assert!(matches!(first, Rotation::Rotated { .. }));
        assert!(!refuses_refresh(&c, "r1", 14, grace).expect("reads"));
        let second = rotate(&c, &token("r1", "x"), Some(issued("r3")), 14, grace).expect("runs");
        assert_eq!(
            second,
            Rotation::AlreadyRotated {
                successor: "r2".into()
            },
            "the other tab's refresh, 4 s later, gets the same successor: one chain, no fork"
        );
        let r3: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM jwt_outstanding WHERE jti = 'r3'",
                [],
                |r| r.get(0),
            )
            .expect("counts");
        assert_eq!(r3, 0, "nothing new was issued");
        assert!(
            refuses_refresh(&c, "r1", 9, grace).expect("reads"),
            "a clock put back before the rotation is not inside the window"
        );

        // At the window's end the same replay is theft: the family falls.
        assert!(refuses_refresh(&c, "r1", 15, grace).expect("reads"));
        let late = rotate(&c, &token("r1", "x"), Some(issued("r4")), 15, grace).expect("runs");
        assert!(matches!(late, Rotation::Reused));
        assert!(is_blacklisted(&c, "r2").expect("reads"));

        // A family that was logged out is not revived by a replay inside the window either.
        record(&c, &token("s1", "g")).expect("s1");
        rotate(&c, &token("s1", "x"), Some(issued("s2")), 20, grace).expect("rotates");
        blacklist(&c, &issued("s2").in_family("g"), 21).expect("logs out");
        assert!(refuses_refresh(&c, "s1", 22, grace).expect("reads"));
        let revived = rotate(&c, &token("s1", "x"), Some(issued("s3")), 22, grace).expect("runs");
        assert!(matches!(revived, Rotation::Reused));
    }
}
