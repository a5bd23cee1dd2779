//! The hands-on challenges: what each one asks, the claims of the notes it makes happen, the
//! steps the server must see the learner's own requests achieve, and each lab's progress through
//! them ([`store`]). No HTTP: the rooms record the steps they see, the pages read the progress.

pub mod store;

/// One challenge. The order is the order the pages list them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// Become bob, then an admin, by editing the naive cookie.
    NaiveCookie,
    /// Use alice's `sessionid` in another browser.
    SessionHijack,
    /// Plant a session key before the victim logs in on a login that keeps it.
    SessionFixation,
    /// Injected script reads the localStorage token (not the HttpOnly cookie).
    XssToken,
    /// A page on another site posts a form to an unprotected route.
    Csrf,
    /// A token with `alg: none` passes a naive verifier.
    AlgNone,
    /// A token signed with a cracked wordlist secret passes.
    WeakSecret,
    /// An HS256 token signed with the RS256 public key passes.
    AlgConfusion,
    /// A rotated-out refresh token replayed revokes its family.
    RefreshReuse,
    /// A client without a cookie jar: cookies are lost, headers kept.
    NoCookieJar,
}

/// What a challenge is, for the pages and `/lab/progress`.
#[derive(Debug)]
pub struct Info {
    /// Its id, in URLs and JSON.
    pub id: &'static str,
    /// The numbers of the notes' claims (CLAIMS.md) it makes happen.
    pub claims: &'static [u8],
    /// How many hints it has (revealed one at a time, before the solution).
    pub hints: u8,
    /// The steps the server must see, in any order, for it to be solved.
    pub steps: &'static [&'static str],
    /// The page it starts from.
    pub start: &'static str,
}

impl Challenge {
    /// Every challenge, in order.
    pub const ALL: [Challenge; 10] = [
        Challenge::NaiveCookie,
        Challenge::SessionHijack,
        Challenge::SessionFixation,
        Challenge::XssToken,
        Challenge::Csrf,
        Challenge::AlgNone,
        Challenge::WeakSecret,
        Challenge::AlgConfusion,
        Challenge::RefreshReuse,
        Challenge::NoCookieJar,
    ];

    /// Its description.
    pub fn info(self) -> &'static Info {
        use Challenge::*;
        match self {
            NaiveCookie => &Info {
                id: "naive-cookie",
                claims: &[2],
                hints: 3,
                steps: &["bob_admin"],
                start: "/lab/vulnerable/naive-cookie",
            },
            SessionHijack => &Info {
                id: "session-hijack",
                claims: &[5, 6],
                hints: 3,
                steps: &["hijacked"],
                start: "/session",
            },
            SessionFixation => &Info {
                id: "session-fixation",
                claims: &[6],
                hints: 3,
                steps: &["fixated"],
                start: "/lab/vulnerable/fixation",
            },
            XssToken => &Info {
                id: "xss-token",
                claims: &[10],
                hints: 3,
                steps: &["stolen"],
                start: "/lab/vulnerable/xss",
            },
            Csrf => &Info {
                id: "csrf",
                claims: &[2, 8],
                hints: 3,
                steps: &["forged"],
                start: "/lab/vulnerable/csrf",
            },
            AlgNone => &Info {
                id: "alg-none",
                claims: &[13, 14],
                hints: 3,
                steps: &["forged"],
                start: "/jwt/workbench",
            },
            WeakSecret => &Info {
                id: "weak-secret",
                claims: &[14],
                hints: 3,
                steps: &["forged"],
                start: "/jwt/workbench",
            },
            AlgConfusion => &Info {
                id: "alg-confusion",
                claims: &[14],
                hints: 3,
                steps: &["forged"],
                start: "/jwt/workbench",
            },
            RefreshReuse => &Info {
                id: "refresh-reuse",
                claims: &[12, 17],
                hints: 3,
                steps: &["reused"],
                start: "/jwt",
            },
            NoCookieJar => &Info {
                id: "no-cookie-jar",
                claims: &[4, 8, 10],
                hints: 3,
                steps: &["cookie_lost", "header_kept"],
                start: "/challenges/no-cookie-jar",
            },
        }
    }

    /// Its id.
    pub fn id(self) -> &'static str {
        self.info().id
    }

    /// The challenge named `id`.
    pub fn from_id(id: &str) -> Option<Challenge> {
        Challenge::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// Where a learner stands on one challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Nothing seen yet.
    NotStarted,
    /// A hint shown or a step seen, not solved.
    Started,
    /// Every step seen.
    Solved,
}

/// Real time, Unix seconds: when progress happened (the lab clock is the learner's to move).
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Records, in the lab `db` is, that the learner's own request `how` achieved `step` of
/// `challenge`; returns whether that solved it. A failure to record is logged, never the
/// request's failure: the attack happened either way.
pub async fn record(
    db: &crate::db::Db,
    challenge: Challenge,
    step: &'static str,
    how: String,
) -> bool {
    let recorded = db
        .run(move |c| store::record(c, challenge, step, &how, now()))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    recorded.unwrap_or_else(|e| {
        tracing::warn!(challenge = challenge.id(), "progress not recorded: {e}");
        false
    })
}

#[cfg(test)]
mod tests {
    use super::Challenge;

    #[test]
    fn every_challenge_has_a_unique_id_steps_and_hints() {
        let mut ids: Vec<&str> = Challenge::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Challenge::ALL.len());
        for c in Challenge::ALL {
            assert_eq!(Challenge::from_id(c.id()), Some(c));
            assert!(!c.info().steps.is_empty() && c.info().hints > 0, "{c:?}");
        }
    }
}
