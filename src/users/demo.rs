//! The demo users alice, bob and carol (inactive), and the seeding that creates them on start
//! and after a reset. The tests read their credentials from here (the pages' hints are text in
//! the catalogs).

use crate::clock::Clock;
use crate::db::{self, Pool};
use crate::users::{self, NewUser, password};

/// The demo users seeded on first start: (email, username, password, active).
pub const DEMO_USERS: [(&str, &str, &str, bool); 3] = [
    ("alice@example.com", "alice", "alice-pass-123", true),
    ("bob@example.com", "bob", "bob-pass-123", true),
    ("carol@example.com", "carol", "carol-pass-123", false),
];

/// Creates the demo users that are missing (a restart never duplicates them). Hashing runs on the
/// password threads, like every other hash.
pub async fn seed(pool: &Pool, clock: &Clock) -> anyhow::Result<()> {
    for (email, username, secret, active) in DEMO_USERS {
        let email = users::Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
        let exists = db::with_conn(pool, |c| users::find_by_email(c, email.as_str()))??.is_some();
        if exists {
            continue;
        }
        let new = NewUser {
            email,
            username: username.to_owned(),
            password_hash: crate::users::hashing::off_thread(move || password::hash(secret))
                .await??,
            is_active: active,
        };
        match db::with_conn(pool, |c| users::insert(c, &new, clock.now()))? {
            Ok(_) | Err(users::InsertError::DuplicateEmail) => {}
            Err(users::InsertError::Db(e)) => return Err(e.into()),
        }
    }
    Ok(())
}
