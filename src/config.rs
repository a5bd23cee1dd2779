//! Settings: command-line flags, each with an `AUTHLAB_*` environment twin.
//!
//! Secrets are redacting newtypes: they never print, not even in `Debug`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Duration;
use clap::Parser;

/// Everything authlab can be told at start.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "authlab",
    version,
    about = "Cookie, session, DRF token and JWT authentication side by side, with live panels that show what is stored where."
)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(long, env = "AUTHLAB_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// SQLite database file (created and migrated on start).
    #[arg(long, env = "AUTHLAB_DB", default_value = "authlab.sqlite3")]
    pub db: PathBuf,

    /// Do not create the demo users alice, bob and carol on first start.
    #[arg(long, env = "AUTHLAB_NO_DEMO_USERS")]
    pub no_demo_users: bool,

    /// Turn the lab controls on (clock, reset, ...) with --shared-lab on any address. With
    /// private labs (the default) they are on everywhere; --shared-lab alone keeps them to a
    /// loopback address without --public-url (behind a proxy, loopback is everyone).
    #[arg(long, conflicts_with = "no_lab")]
    pub lab: bool,

    /// Turn the lab controls off, even on a loopback address.
    #[arg(long)]
    pub no_lab: bool,

    /// Put every browser in the one shared lab instead of a private lab each (one person per
    /// server, as before private labs). Lab controls are then on only on a loopback address.
    #[arg(long, env = "AUTHLAB_SHARED_LAB")]
    pub shared_lab: bool,

    /// Most private labs open at once; a new browser past it gets a "classroom is full" page.
    #[arg(long, env = "AUTHLAB_MAX_LABS", default_value_t = 200)]
    pub max_labs: usize,

    /// A private lab nobody has used for this long is removed, with its file.
    #[arg(long, env = "AUTHLAB_LAB_IDLE", default_value = "2h")]
    pub lab_idle: HumaneDuration,

    /// The instructor's secret for /instructor (the class at a glance, the class clock, reset all,
    /// key rotation, presenter mode). Generated at start and printed once when absent.
    #[arg(long, env = "AUTHLAB_INSTRUCTOR_SECRET", hide_env_values = true)]
    pub instructor_secret: Option<String>,

    /// The address users reach, e.g. https://authlab.example. When it is https, every cookie is Secure.
    #[arg(long, env = "AUTHLAB_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Lifetime of a JWT access token.
    #[arg(long, env = "AUTHLAB_ACCESS_TTL", default_value = "5m")]
    pub access_ttl: HumaneDuration,

    /// Lifetime of a JWT refresh token.
    #[arg(long, env = "AUTHLAB_REFRESH_TTL", default_value = "1d")]
    pub refresh_ttl: HumaneDuration,

    /// How long after a refresh token is rotated the same token may be rotated again (two tabs
    /// refreshing at once) before a replay counts as theft and revokes its family; 0s turns it off.
    #[arg(long, env = "AUTHLAB_REFRESH_GRACE", default_value = "5s")]
    pub refresh_grace: HumaneDuration,

    /// A server-side session ends after this long without a request.
    #[arg(long, env = "AUTHLAB_SESSION_IDLE", default_value = "30m")]
    pub session_idle: HumaneDuration,

    /// A server-side session ends this long after login, however busy.
    #[arg(long, env = "AUTHLAB_SESSION_MAX", default_value = "8h")]
    pub session_max: HumaneDuration,

    /// A signed login cookie expires this long after it was issued.
    #[arg(long, env = "AUTHLAB_COOKIE_MAX_AGE", default_value = "8h")]
    pub cookie_max_age: HumaneDuration,

    /// Failed logins allowed per account in a window, e.g. 5/15m; `off` disables throttling.
    /// Each client address gets four times as many, so a classroom behind one address is not locked out.
    #[arg(long, env = "AUTHLAB_LOGIN_THROTTLE", default_value = "5/15m")]
    pub login_throttle: Throttle,

    /// A request body that has not arrived in full this long after the request began gets 408,
    /// and its connection is closed (a client that never finishes a body holds no connection).
    #[arg(long, env = "AUTHLAB_BODY_TIMEOUT", default_value = "5s")]
    pub body_timeout: HumaneDuration,

    /// How often expired sessions and refresh tokens are deleted.
    #[arg(long, env = "AUTHLAB_SWEEP_EVERY", default_value = "10m")]
    pub sweep_every: HumaneDuration,

    /// Key that seals cookie logins (a new key ends them all): 64 bytes, base64 or raw. Generated once and stored in the database when absent.
    #[arg(long, env = "AUTHLAB_COOKIE_KEY", hide_env_values = true)]
    pub cookie_key: Option<Secret>,

    /// HS256 secret for JWTs: at least 32 bytes, used as given (like Django's SECRET_KEY). Generated when absent.
    #[arg(long, env = "AUTHLAB_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Key for CSRF tokens: at least 32 bytes, base64 or raw. Generated when absent.
    #[arg(long, env = "AUTHLAB_CSRF_KEY", hide_env_values = true)]
    pub csrf_key: Option<Secret>,
}

impl Settings {
    /// Settings for a server on a free loopback port with the given database: what tests use.
    pub fn for_tests(db: impl Into<PathBuf>) -> Self {
        let mut settings = Settings::parse_from(["authlab", "--bind", "127.0.0.1:0"]);
        settings.db = db.into();
        settings
    }

    /// Whether the lab controls (clock, reset, ...) are mounted: always, unless `--no-lab`, now
    /// that each learner's actions change only their own lab; with `--shared-lab` (everyone in
    /// one lab) only on a loopback address or with `--lab`.
    pub fn lab_enabled(&self) -> bool {
        if self.no_lab {
            false
        } else if self.lab || self.private_labs() {
            true
        } else {
            self.bind.ip().is_loopback() && self.public_url.is_none()
        }
    }

    /// Whether the shared lab (requests without a lab cookie) takes lab actions: the rule of one
    /// shared lab, whatever private labs do — a loopback address without --public-url, or --lab.
    pub fn shared_lab_actions(&self) -> bool {
        !self.no_lab && (self.lab || (self.bind.ip().is_loopback() && self.public_url.is_none()))
    }

    /// Whether each browser gets a private lab.
    pub fn private_labs(&self) -> bool {
        !self.shared_lab && !self.no_lab
    }

    /// Whether cookies must carry `Secure`: only when users reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

fn parse_public_url(raw: &str) -> Result<String, String> {
    let url = raw.trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_owned())
    } else {
        Err("must start with http:// or https://".into())
    }
}

/// A duration written the way people write it: `30s`, `5m`, `8h`, `1d`, `2w`, or several, like `1h30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumaneDuration(pub Duration);

impl HumaneDuration {
    /// The wrapped duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl fmt::Display for HumaneDuration {
    /// The largest whole unit: `8h`, `30m`, `1d`, `90s` — the way the flags are written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.num_seconds() {
            s if s != 0 && s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            s if s != 0 && s % 3_600 == 0 => write!(f, "{}h", s / 3_600),
            s if s != 0 && s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

impl FromStr for HumaneDuration {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let text = raw.trim();
        let bad = || format!("`{raw}` is not a duration; write it like 30s, 5m, 8h, 1d or 1h30m");
        if text.is_empty() {
            return Err(bad());
        }
        let mut total = Duration::zero();
        let mut digits = String::new();
        for ch in text.chars() {
            if ch.is_ascii_digit() {
                digits.push(ch);
                continue;
            }
            let n: i64 = digits.parse().map_err(|_| bad())?;
            digits.clear();
            let part = match ch {
                's' => Duration::try_seconds(n),
                'm' => Duration::try_minutes(n),
                'h' => Duration::try_hours(n),
                'd' => Duration::try_days(n),
                'w' => Duration::try_weeks(n),
                _ => None,
            }
            .ok_or_else(bad)?;
            total = total.checked_add(&part).ok_or_else(bad)?;
        }
        if !digits.is_empty() {
            return Err(bad());
        }
        if total > Duration::days(3650) {
            return Err(format!("`{raw}` is longer than ten years"));
        }
        Ok(HumaneDuration(total))
    }
}

/// Login throttling: at most `max_failures` failures per account within `window`, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttle {
    /// No throttling (compatibility runs against the reference).
    Off,
    /// `max_failures` failures per `window`.
    Limit {
        /// Failures allowed before logins answer 429.
        max_failures: u32,
        /// How long a failure counts.
        window: Duration,
    },
}

impl FromStr for Throttle {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.trim().eq_ignore_ascii_case("off") {
            return Ok(Throttle::Off);
        }
        let bad = || format!("`{raw}` is not a throttle; write it like 5/15m, or off");
        let (count, window) = raw.split_once('/').ok_or_else(bad)?;
        let max_failures: u32 = count.trim().parse().map_err(|_| bad())?;
        let window = window.parse::<HumaneDuration>()?.get();
        if max_failures == 0 || window <= Duration::zero() {
            return Err(bad());
        }
        Ok(Throttle::Limit {
            max_failures,
            window,
        })
    }
}

/// Key material given by flag or environment. Never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps bytes (generated or loaded from the database).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    /// The raw bytes, exactly as given.
    pub fn raw(&self) -> &[u8] {
        &self.0
    }

    /// The key's bytes, when there are at least `min`: the base64 decoding (standard or URL-safe)
    /// when the text is base64 of that many bytes, else the text's own bytes — a 64-character hex
    /// key is also valid base64 of 48 bytes, and must not be refused for it. `Err` says how long
    /// each reading was.
    pub fn key_bytes(&self, min: usize) -> Result<Vec<u8>, String> {
        let text = String::from_utf8_lossy(&self.0);
        let text = text.trim();
        let decoded = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .ok();
        match decoded {
            Some(bytes) if bytes.len() >= min => Ok(bytes),
            _ if text.len() >= min => Ok(text.as_bytes().to_vec()),
            Some(bytes) => Err(format!(
                "{} bytes as given and {} decoded as base64",
                text.len(),
                bytes.len()
            )),
            None => Err(format!("{} bytes", text.len())),
        }
    }

    /// The bytes exactly as given, when there are at least `min` (the JWT secret, used as Django
    /// uses its `SECRET_KEY`). `Err` says how long it was.
    pub fn raw_bytes(&self, min: usize) -> Result<Vec<u8>, String> {
        if self.0.len() >= min {
            Ok(self.0.clone())
        } else {
            Err(format!("{} bytes", self.0.len()))
        }
    }
}

impl FromStr for Secret {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(Secret(raw.as_bytes().to_vec()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([redacted, {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humane_durations_parse_the_way_people_write_them() {
        let d = |s: &str| s.parse::<HumaneDuration>().map(HumaneDuration::get);
        assert_eq!(d("30s"), Ok(Duration::seconds(30)));
        assert_eq!(d("5m"), Ok(Duration::minutes(5)));
        assert_eq!(d("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(d("1d"), Ok(Duration::days(1)));
        for bad in ["", "5", "m", "5x", "-5m", "99999999999999999999d"] {
            assert!(d(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn humane_durations_print_the_way_they_are_written() {
        for text in ["30s", "5m", "8h", "1d", "90s"] {
            let d: HumaneDuration = text.parse().unwrap_or(HumaneDuration(Duration::zero()));
            assert_eq!(d.to_string(), text);
        }
    }

    #[test]
    fn throttle_reads_count_and_window_or_off() {
        assert_eq!("off".parse::<Throttle>(), Ok(Throttle::Off));
        assert_eq!(
            "5/15m".parse::<Throttle>(),
            Ok(Throttle::Limit {
                max_failures: 5,
                window: Duration::minutes(15)
            })
        );
        assert!("0/15m".parse::<Throttle>().is_err());
        assert!("five".parse::<Throttle>().is_err());
    }

    #[test]
    fn secrets_never_print() {
        let secret: Secret = "hunter2hunter2".parse().unwrap_or_else(|_| unreachable!());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn keys_decode_base64_of_enough_bytes_or_stay_raw() {
        let secret = Secret::from_bytes(b"aGVsbG8=".to_vec());
        assert_eq!(secret.key_bytes(5).as_deref(), Ok(&b"hello"[..]));
        let raw = Secret::from_bytes(b"not base64 at all!".to_vec());
        assert_eq!(raw.key_bytes(10).as_deref(), Ok(&b"not base64 at all!"[..]));
        // 64 hex digits are also base64 of 48 bytes: too few as base64, enough as given.
        let hex = Secret::from_bytes([b'a'; 64].to_vec());
        assert_eq!(hex.key_bytes(64).map(|k| k.len()), Ok(64));
        assert_eq!(
            Secret::from_bytes([b'A'; 40].to_vec()).key_bytes(64),
            Err("40 bytes as given and 30 decoded as base64".to_owned())
        );
        assert_eq!(raw.key_bytes(64), Err("18 bytes".to_owned()));
        let padded = Secret::from_bytes(format!("{}\n", "b".repeat(63)).into_bytes());
        assert!(
            padded.key_bytes(64).is_err(),
            "a trailing newline is not key material"
        );
        assert_eq!(raw.raw_bytes(18).map(|k| k.len()), Ok(18));
        assert_eq!(raw.raw_bytes(32), Err("18 bytes".to_owned()));
    }
}
