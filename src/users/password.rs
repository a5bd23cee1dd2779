//! Passwords: argon2id (m=19 MiB, t=2, p=1) as PHC strings — hashing, verifying, the dummy
//! hash that makes an unknown e-mail cost as much as a wrong password, and what the users page
//! may show of a hash. The threads they run on are `hashing`'s.

use std::sync::OnceLock;

use super::hashing::off_thread;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};

/// Shortest password accepted, in bytes.
pub const MIN_BYTES: usize = 8;
/// Longest password accepted, in bytes: longer ones are refused before any hashing.
pub const MAX_BYTES: usize = 1024;

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than 8 bytes.
    #[error("This password is too short. It must contain at least 8 characters.")]
    TooShort,
    /// More than 1024 bytes.
    #[error("Ensure this field has no more than 1024 characters.")]
    TooLong,
    /// A NUL character, which Django's forms refuse in every field.
    #[error("Null characters are not allowed.")]
    NullCharacter,
}

impl PasswordError {
    /// The catalog key that explains this error on a page.
    pub fn key(self) -> &'static str {
        match self {
            PasswordError::TooShort => "form.error.password_short",
            PasswordError::TooLong => "form.error.password_long",
            PasswordError::NullCharacter => "form.error.password_null",
        }
    }
}

/// Checks a new password: 8..=1024 bytes, and no NUL character.
pub fn check_new(password: &str) -> Result<(), PasswordError> {
    match password.len() {
        n if n < MIN_BYTES => Err(PasswordError::TooShort),
        n if n > MAX_BYTES => Err(PasswordError::TooLong),
        _ if password.contains('\0') => Err(PasswordError::NullCharacter),
        _ => Ok(()),
    }
}

/// argon2id parameters: m=19 MiB, t=2, p=1 (OWASP's first recommendation), 32-byte output.
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;
const SALT_LEN: usize = 16;

fn argon2(m: u32, t: u32, p: u32, len: usize) -> Option<Argon2<'static>> {
    let params = Params::new(m, t, p, Some(len)).ok()?;
    Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

thread_local! {
    /// This thread's argon2 working memory, kept between hashes. Allocating 19 MiB afresh for
    /// every hash made the allocator keep ever more of it (RSS grew ~10 MB per login).
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// argon2id of `password` and `salt` into `out`, in this thread's reusable memory.
fn compute(
    engine: &Argon2<'_>,
    blocks: usize,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> bool {
    BLOCKS.with(|cell| {
        let Ok(mut memory) = cell.try_borrow_mut() else {
            return false;
        };
        if memory.len() != blocks {
            memory.clear();
            memory.resize(blocks, argon2::Block::default());
        }
        engine
            .hash_password_into_with_memory(password, salt, out, &mut memory[..])
            .is_ok()
    })
}

/// Hashes a password into a PHC string (slow on purpose: call it through [`off_thread`]).
pub fn hash(password: &str) -> anyhow::Result<String> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    use rand::Rng;
    let engine = argon2(M_COST, T_COST, P_COST, OUTPUT_LEN)
        .ok_or_else(|| anyhow::anyhow!("invalid argon2 parameters"))?;
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; OUTPUT_LEN];
    let blocks = engine.params().block_count();
    if !compute(&engine, blocks, password.as_bytes(), &salt, &mut out) {
        anyhow::bail!("cannot hash a password");
    }
    Ok(format!(
        "$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Whether `password` matches the PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match parse(phc) {
        Some((engine, salt, expected)) => {
            let mut out = vec![0u8; expected.len()];
            let blocks = engine.params().block_count();
            compute(&engine, blocks, password.as_bytes(), &salt, &mut out)
                && out
                    .iter()
                    .zip(&expected)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        // Not our own format: let the library parse and check it (allocating, but rare).
        None => match PasswordHash::new(phc) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        },
    }
}

/// Reads `$argon2id$v=19$m=…,t=…,p=…$salt$hash`: the engine, the salt and the expected output.
fn parse(phc: &str) -> Option<(Argon2<'static>, Vec<u8>, Vec<u8>)> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let mut parts = phc.split('$');
    let ("", "argon2id", "v=19", params, salt, hash, None) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next(),
    ) else {
        return None;
    };
    let (mut m, mut t, mut p) = (None, None, None);
    for pair in params.split(',') {
        let (name, value) = pair.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match name {
            "m" => m = Some(value),
            "t" => t = Some(value),
            "p" => p = Some(value),
            _ => return None,
        }
    }
    let salt = STANDARD_NO_PAD.decode(salt).ok()?;
    let expected = STANDARD_NO_PAD.decode(hash).ok()?;
    if expected.len() < 4 || expected.len() > 64 {
        return None;
    }
    let engine = argon2(m?, t?, p?, expected.len())?;
    Some((engine, salt, expected))
}

/// Does the same work as a real verify, against a hash nobody's password matches, so that an
/// unknown e-mail takes as long to refuse as a wrong password.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, dummy());
}

/// The dummy hash, made once per process.
static DUMMY: OnceLock<String> = OnceLock::new();

/// The hash nobody's password matches, made once. `prepare` makes it at start, so that even the
/// first unknown e-mail takes no longer to refuse than the rest.
fn dummy() -> &'static str {
    DUMMY.get_or_init(|| hash("no user has this password").unwrap_or_default())
}

/// Makes the dummy hash now (called at start, on a hashing thread), unless an earlier start in
/// this process made it (the second-server lab starts another server in the same process).
pub async fn prepare() -> anyhow::Result<()> {
    if DUMMY.get().is_some() {
        return Ok(());
    }
    off_thread(|| {
        dummy();
    })
    .await?;
    Ok(())
}

/// The PHC string up to its parameters: `$argon2id$v=19$m=19456,t=2,p=1$…`.
pub fn phc_parameters(phc: &str) -> String {
    let head: Vec<&str> = phc.split('$').take(4).collect();
    if head.len() == 4 {
        format!("{}$…", head.join("$"))
    } else {
        "…".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_hashes_are_standard_phc_strings_the_library_verifies() {
        use argon2::PasswordVerifier;
        let phc = hash("alice-pass-123").unwrap_or_default();
        let parsed = PasswordHash::new(&phc).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"alice-pass-123", &parsed)
                .is_ok()
        );
        let theirs = {
            use argon2::PasswordHasher;
            Argon2::default()
                .hash_password(b"bob-pass-123")
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        assert!(
            verify("bob-pass-123", &theirs),
            "the library's hashes verify here too"
        );
        assert!(!verify("bob-pass-124", &theirs));
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("alice-pass-123").unwrap_or_default();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("alice-pass-123", &phc));
        assert!(!verify("alice-pass-124", &phc));
        assert!(!verify("alice-pass-123", "not a phc string"));
        assert_eq!(phc_parameters(&phc), "$argon2id$v=19$m=19456,t=2,p=1$…");
    }

    #[test]
    fn lengths_are_checked_in_bytes() {
        assert_eq!(check_new("1234567"), Err(PasswordError::TooShort));
        assert_eq!(check_new("12345678"), Ok(()));
        assert_eq!(check_new(&"x".repeat(1025)), Err(PasswordError::TooLong));
        assert_eq!(check_new("비밀번호"), Ok(()));
        assert_eq!(
            check_new("pass\0word-123"),
            Err(PasswordError::NullCharacter)
        );
    }
}
