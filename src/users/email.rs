//! E-mail addresses as authlab stores them: trimmed, lowercased, plausibly shaped.

use std::fmt;

/// A normalized e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why an address was refused. The catalog key of each is given by [`EmailError::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty after trimming.
    #[error("This field may not be blank.")]
    Blank,
    /// Not shaped like `name@domain.tld`, or too long.
    #[error("Enter a valid email address.")]
    Invalid,
}

impl EmailError {
    /// The catalog key that explains this error on a page.
    pub fn key(self) -> &'static str {
        match self {
            EmailError::Blank => "form.error.blank",
            EmailError::Invalid => "form.error.email_invalid",
        }
    }
}

impl Email {
    /// An address as the `users` table keys it: trimmed and lowercased, its shape not judged
    /// (a login looks up what was typed; only a new address must pass [`Email::parse`]).
    pub fn normalize(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    /// A new address: [`Email::normalize`]d, then checked to look like `name@domain.tld` (at
    /// most 254 bytes).
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let email = Email::normalize(raw);
        if email.is_empty() {
            return Err(EmailError::Blank);
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(EmailError::Invalid);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        // The local part as Django's EmailValidator takes it unquoted (a "dot-atom"): ASCII
        // letters, digits and !#$%&'*+/=?^_`{|}~- between single dots. Stricter than Django,
        // quoted local parts ("a b"@…) are refused too: no quotes, semicolons, backslashes,
        // spaces, or look-alike and invisible characters in an address the pages will show.
        let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .split('.')
                .all(|atom| !atom.is_empty() && atom.chars().all(atom_char));
        if email.len() > 254 || !domain_ok || !local_ok {
            return Err(EmailError::Invalid);
        }
        Ok(Email(email))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").map(|e| e.0),
            Ok("alice@example.com".to_owned())
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a b@example.com",
            "alice@exa..mple.com",
            "alice@.example.com",
            "\"a\"@example.com",
            "a;b@example.com",
            "a,b@example.com",
            "a\\b@example.com",
            "a\u{202e}b@example.com",
            "a\u{200b}b@example.com",
            "a\0b@example.com",
            "é@example.com",
            ".alice@example.com",
            "alice.@example.com",
            "al..ice@example.com",
            "alice@exa\u{200b}mple.com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad}");
        }
        assert_eq!(Email::parse("   "), Err(EmailError::Blank));
        for good in [
            "a.b+tag@example.com",
            "o'brien@example.com",
            "x_y-z@b\u{fc}cher.de",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
    }
}
