//! JWTs exactly as simplejwt makes and checks them: `{"alg":"HS256","typ":"JWT"}`, claims
//! `token_type, exp, iat, jti, user_id` in that order, and the same reasons for refusing one.
//!
//! A token is `base64url(header).base64url(payload).base64url(HMAC-SHA256(secret, first two parts))`.
//! The payload is only encoded: anyone can read it. Only the signature needs the secret.
//!
//! Every signature is made and checked by the `jsonwebtoken` crate, as a Rust service would do it:
//! [`verify`] runs `jsonwebtoken::decode` (algorithms `[HS256]`, leeway 0, `exp` required) and then
//! judges the time claims against the app's clock and simplejwt's own claims on top.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

pub use crate::keys::JwtSecret;
use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// The header of every token authlab issues, in simplejwt's key order.
pub const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// [`HEADER_JSON`] as it appears in a token: the first part of every token authlab issues.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// What `jsonwebtoken::decode` checks, the same for every secret: HS256 only, no leeway, `exp`
/// required. Its own `exp`/`nbf` checks read the system clock, so they are off: [`verify`] judges
/// the time claims against the app's clock (the lab clock) right after the signature passed.
static VALIDATION: LazyLock<Validation> = LazyLock::new(|| {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp"]);
    validation
});

/// Which kind of token: simplejwt's `token_type` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Short-lived; sent on every request.
    Access,
    /// Long-lived; only ever sent to the refresh endpoint.
    Refresh,
}

impl Kind {
    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Refresh => "refresh",
        }
    }

    /// simplejwt's class name, as `messages[].token_class` reports it.
    pub fn class_name(self) -> &'static str {
        match self {
            Kind::Access => "AccessToken",
            Kind::Refresh => "RefreshToken",
        }
    }
}

/// The claims authlab puts in a token, serialized in simplejwt's order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Claims {
    /// `"access"` or `"refresh"`.
    pub token_type: Kind,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// `uuid4().hex`.
    pub jti: String,
    /// The user's id, as a string.
    pub user_id: String,
}

/// A new `jti`: a version-4 UUID as 32 lowercase hex characters (`uuid4().hex`).
pub fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    crate::web::hex(&bytes)
}

impl Claims {
    /// Claims of a new token for `user_id`, issued `now`, living `ttl_secs`.
    pub fn new(kind: Kind, user_id: i64, now: i64, ttl_secs: i64) -> Self {
        Claims {
            token_type: kind,
            exp: now + ttl_secs,
            iat: now,
            jti: new_jti(),
            user_id: user_id.to_string(),
        }
    }

    /// Signs the claims into a token.
    pub fn sign(&self, secret: &JwtSecret) -> anyhow::Result<String> {
        let payload = serde_json::to_string(self)?;
        sign_parts(HEADER_JSON, &payload, secret)
    }
}

/// `base64url(header).base64url(payload).signature`, signed HS256 by jsonwebtoken. The header and
/// payload go in exactly as given, so a token keeps PyJWT's header bytes and simplejwt's claim order
/// (`jsonwebtoken::encode` would write its own header, with `typ` first).
pub fn sign_parts(
    header_json: &str,
    payload_json: &str,
    secret: &JwtSecret,
) -> anyhow::Result<String> {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json),
        URL_SAFE_NO_PAD.encode(payload_json)
    );
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), secret.encoding(), Algorithm::HS256)?;
    Ok(format!("{message}.{signature}"))
}

/// Why a token was refused, in simplejwt's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Bad signature, wrong algorithm, malformed, `nbf` ahead, `aud` present, a claim of the wrong type…
    #[error("Token is invalid")]
    Invalid,
    /// `exp` has passed (leeway 0, on the app clock).
    #[error("Token is expired")]
    Expired,
    /// No `exp`.
    #[error("Token has no 'exp' claim")]
    NoExp,
    /// No `jti`.
    #[error("Token has no id")]
    NoId,
    /// No `token_type`.
    #[error("Token has no type")]
    NoType,
    /// A refresh token used as an access token, or the reverse.
    #[error("Token has wrong type")]
    WrongType,
}

/// A token whose signature and claims passed.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The payload exactly as the token carries it: a JSON object.
    payload: String,
    /// The claims [`verify`] looked at.
    checked: Checked,
}

/// The claims PyJWT and simplejwt look at, each `Some` when present (`Some(Value::Null)` when sent
/// as `null`). The payload's other claims are only checked to be valid JSON and left as sent, so a
/// request pays for parsing what it reads and not for building a map of the rest.
#[derive(Debug, Clone, Default, Deserialize)]
struct Checked {
    #[serde(default, deserialize_with = "present")]
    exp: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    nbf: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    iat: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    aud: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    sub: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    jti: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    token_type: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    user_id: Option<Value>,
}

/// A claim that is in the payload, whatever its value (`null` included).
fn present<'de, D: Deserializer<'de>>(value: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(value).map(Some)
}

impl Verified {
    /// The `jti` (present: checked).
    pub fn jti(&self) -> String {
        match &self.checked.jti {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    }

    /// The `user_id` claim, which simplejwt accepts as a string or a number; `None` when absent.
    pub fn user_id(&self) -> Option<Result<i64, ()>> {
        match self.checked.user_id.as_ref()? {
            Value::String(s) => Some(s.trim().parse().map_err(|_| ())),
            Value::Number(n) => Some(n.as_i64().ok_or(())),
            _ => Some(Err(())),
        }
    }

    /// The `exp` claim (present: checked).
    pub fn exp(&self) -> i64 {
        self.checked
            .exp
            .as_ref()
            .and_then(number)
            .unwrap_or_default()
    }

    /// The `iat` claim, when it is a whole number.
    pub fn iat(&self) -> Option<i64> {
        self.checked.iat.as_ref().and_then(Value::as_i64)
    }

    /// Every claim exactly as the token carries it: a JSON object, in the token's own order.
    pub fn payload_json(&self) -> &str {
        &self.payload
    }
}

fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

/// The payload of `token` when `jsonwebtoken::decode` accepts its header and signature: the header
/// names HS256 (the only algorithm accepted: `none`, other HMACs and public-key algorithms are
/// refused before any signature is looked at), the signature is the HMAC-SHA256 of the first two
/// parts under `secret`, and the payload is a JSON object. Of the claims, jsonwebtoken judges only
/// that `exp` is there and that no `aud` is; the rest follows in [`verify`], against the app clock.
///
/// A token whose `exp` is missing or not a whole number passed the signature check before
/// jsonwebtoken refused it (`MissingRequiredClaim`): its payload is read here so that [`verify`]
/// words the refusal as simplejwt does, and in simplejwt's order.
///
/// Differences from PyJWT, all in tokens only the holder of the secret can sign: a claim [`verify`]
/// reads that appears twice is refused, not "last wins"; the other claims are checked to be JSON
/// but not decoded, so a lone surrogate escape or a number too large for a float in one of them passes.
fn signed_payload(token: &str, secret: &JwtSecret) -> Option<(String, Checked)> {
    let checked = match jsonwebtoken::decode::<Checked>(token, secret.decoding(), &VALIDATION) {
        Ok(data) => Some(data.claims),
        Err(e) if matches!(e.kind(), ErrorKind::MissingRequiredClaim(_)) => None,
        Err(_) => return None,
    };
    // PyJWT refuses what jsonwebtoken lets through: a non-string `kid`, a critical extension.
    // (authlab's own header, the one on nearly every token, has neither: it is not read again.)
    let (header, rest) = token.split_once('.')?;
    if header != HEADER_B64 {
        let header: Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if !header.get("kid").is_none_or(Value::is_string) || header.contains_key("crit") {
            return None;
        }
    }
    let (payload, _signature) = rest.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    // A struct also deserializes from a JSON array: only an object is a claims set.
    if payload.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let checked = match checked {
        Some(checked) => checked,
        None => serde_json::from_slice(&payload).ok()?,
    };
    Some((String::from_utf8(payload).ok()?, checked))
}

/// The `jti` a token's payload names, read without checking anything: only to look the token
/// up, never to trust it.
pub fn unverified_jti(token: &str) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload).ok()?;
    claims.get("jti")?.as_str().map(str::to_owned)
}

/// Checks `token` as simplejwt does for a token of `kind` (`None`: an untyped token, as the verify
/// endpoint checks it). Signature (jsonwebtoken), then PyJWT's claim checks in PyJWT's order, then
/// simplejwt's — so that each failure reads exactly as simplejwt words it. Algorithm allowlist
/// `[HS256]`, leeway 0, the app clock.
pub fn verify(
    token: &str,
    secret: &JwtSecret,
    kind: Option<Kind>,
    now: i64,
) -> Result<Verified, TokenError> {
    let (payload, checked) = signed_payload(token, secret).ok_or(TokenError::Invalid)?;

    // PyJWT: a present exp/nbf/iat must be a number; then iat ahead → invalid ("not yet valid
    // (iat)"), nbf ahead → invalid, exp past → expired; aud unexpected; a sub or jti that is not
    // a string → invalid.
    let numeric = |claim: &Option<Value>| claim.as_ref().is_none_or(|v| number(v).is_some());
    if !(numeric(&checked.exp) && numeric(&checked.nbf) && numeric(&checked.iat)) {
        return Err(TokenError::Invalid);
    }
    let ahead = |claim: &Option<Value>| claim.as_ref().and_then(number).is_some_and(|t| t > now);
    if ahead(&checked.iat) || ahead(&checked.nbf) {
        return Err(TokenError::Invalid);
    }
    if let Some(exp) = checked.exp.as_ref().and_then(number)
        && exp <= now
    {
        return Err(TokenError::Expired);
    }
    let string = |claim: &Option<Value>| claim.as_ref().is_none_or(Value::is_string);
    if checked.aud.is_some() || !string(&checked.sub) || !string(&checked.jti) {
        return Err(TokenError::Invalid);
    }

    // simplejwt's Token.verify(): exp present, jti present, then the type.
    if checked.exp.is_none() {
        return Err(TokenError::NoExp);
    }
    if checked.jti.is_none() {
        return Err(TokenError::NoId);
    }
    if let Some(kind) = kind {
        match &checked.token_type {
            None => return Err(TokenError::NoType),
            Some(Value::String(t)) if t == kind.as_str() => {}
            Some(_) => return Err(TokenError::WrongType),
        }
    }
    Ok(Verified { payload, checked })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_BYTES: &[u8] = b"a-test-secret-that-is-long-enough-1234";

    fn secret() -> JwtSecret {
        JwtSecret::new(SECRET_BYTES.to_vec()).expect("a secret")
    }

    fn signed(header: &str, payload: &str) -> String {
        sign_parts(header, payload, &secret()).expect("signed")
    }

    #[test]
    fn each_claims_set_is_judged_as_simplejwt_words_it() {
        let jti = r#""jti":"abc","token_type":"access""#;
        let cases = [
            (format!(r#"{{"exp":2000,{jti},"user_id":"1"}}"#), Ok(())),
            (format!(r#"{{"exp":null,{jti}}}"#), Err(TokenError::Invalid)),
            (
                format!(r#"{{"exp":"2000",{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            (
                format!(r#"{{"exp":2000,"iat":"x",{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            (
                format!(r#"{{"exp":2000,"aud":null,{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            (format!(r#"{{"exp":1000,{jti}}}"#), Err(TokenError::Expired)),
            (
                format!(r#"{{"exp":2000,"nbf":1500,{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            (format!(r#"{{{jti}}}"#), Err(TokenError::NoExp)),
            (
                r#"{"exp":2000,"token_type":"access"}"#.to_owned(),
                Err(TokenError::NoId),
            ),
            (
                r#"{"exp":2000,"jti":"abc"}"#.to_owned(),
                Err(TokenError::NoType),
            ),
            (
                r#"{"exp":2000,"jti":"abc","token_type":"refresh"}"#.to_owned(),
                Err(TokenError::WrongType),
            ),
            (
                format!(r#"{{"exp":2000,"exp":2000,{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            (
                format!(r#"{{"exp":2000,"iat":1001,{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            (
                r#"{"exp":2000,"jti":12345,"token_type":"access"}"#.to_owned(),
                Err(TokenError::Invalid),
            ),
            (
                format!(r#"{{"exp":2000,"sub":7,{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            (
                format!(r#"{{"exp":1000,"iat":1001,{jti}}}"#),
                Err(TokenError::Invalid),
            ),
            ("[2000]".to_owned(), Err(TokenError::Invalid)),
            ("\"claims\"".to_owned(), Err(TokenError::Invalid)),
            (
                format!(r#"{{"exp":2000,{jti}}} trailing"#),
                Err(TokenError::Invalid),
            ),
        ];
        for (payload, expected) in cases {
            let token = signed(HEADER_JSON, &payload);
            let got = verify(&token, &secret(), Some(Kind::Access), 1_000).map(|_| ());
            assert_eq!(got, expected, "{payload}");
        }
    }

    #[test]
    fn headers_are_judged_as_pyjwt_judges_them() {
        let payload = r#"{"exp":2000,"jti":"abc","token_type":"access"}"#;
        let cases = [
            (r#"{"alg":"HS256","typ":"JWT"}"#, true),
            (r#"{"typ":"JWT","alg":"HS256","kid":"k1"}"#, true),
            (r#"{"alg":"HS256","kid":7}"#, false),
            (r#"{"alg":"HS256","crit":["b64"],"b64":false}"#, false),
            (r#"{"alg":"HS512"}"#, false),
            (r#"{"alg":"none"}"#, false),
            (r#"{"typ":"JWT"}"#, false),
            (r#"["HS256"]"#, false),
        ];
        for (header, accepted) in cases {
            let token = signed(header, payload);
            let got = verify(&token, &secret(), Some(Kind::Access), 1_000);
            assert_eq!(got.is_ok(), accepted, "{header}");
        }
    }

    #[test]
    fn the_header_recognised_without_decoding_is_the_one_authlab_signs() {
        assert_eq!(URL_SAFE_NO_PAD.encode(HEADER_JSON), HEADER_B64);
    }

    #[test]
    fn the_payload_is_kept_exactly_as_sent() {
        let payload = r#"{"exp":2000, "jti":"abc","token_type":"access","user_id":7,"extra":[1.50,{"a":null}]}"#;
        let token = signed(HEADER_JSON, payload);
        let verified = verify(&token, &secret(), Some(Kind::Access), 1_000).expect("valid");
        assert_eq!(verified.payload_json(), payload);
        assert_eq!(verified.user_id(), Some(Ok(7)));
        assert_eq!(
            (verified.exp(), verified.iat(), verified.jti()),
            (2000, None, "abc".to_owned())
        );
    }

    #[test]
    fn issued_tokens_start_with_simplejwt_s_header_and_keep_the_claim_order() {
        let claims = Claims::new(Kind::Access, 1, 1_000, 300);
        let token = claims.sign(&secret()).unwrap_or_default();
        assert!(token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
        let payload = token.split('.').nth(1).unwrap_or_default();
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
            .unwrap_or_default();
        assert!(
            json.starts_with(r#"{"token_type":"access","exp":1300,"iat":1000,"jti":""#),
            "{json}"
        );
        assert!(json.ends_with(r#","user_id":"1"}"#), "{json}");
        assert_eq!(claims.jti.len(), 32);
        assert_eq!(claims.jti.as_bytes()[12], b'4', "a version-4 uuid");
    }

    #[test]
    fn each_refusal_reads_as_simplejwt_words_it() {
        let now = 10_000;
        let good = Claims::new(Kind::Access, 1, now - 10, 300)
            .sign(&secret())
            .unwrap_or_default();
        assert!(verify(&good, &secret(), Some(Kind::Access), now).is_ok());
        assert_eq!(
            verify(&good, &secret(), Some(Kind::Refresh), now).err(),
            Some(TokenError::WrongType)
        );
        assert_eq!(
            verify(&good, &secret(), Some(Kind::Access), now + 290).err(),
            Some(TokenError::Expired)
        );
        assert_eq!(
            verify(
                &good,
                &JwtSecret::new(b"another-secret-another-secret-12345".to_vec()).expect("a secret"),
                Some(Kind::Access),
                now
            )
            .err(),
            Some(TokenError::Invalid)
        );
        let sign = |payload: &str| signed(HEADER_JSON, payload);
        assert_eq!(
            verify(
                &sign(r#"{"token_type":"access","jti":"x"}"#),
                &secret(),
                Some(Kind::Access),
                now
            )
            .err(),
            Some(TokenError::NoExp)
        );
        assert_eq!(
            verify(
                &sign(r#"{"token_type":"access","exp":99999}"#),
                &secret(),
                Some(Kind::Access),
                now
            )
            .err(),
            Some(TokenError::NoId)
        );
        assert_eq!(
            verify(
                &sign(r#"{"exp":99999,"jti":"x"}"#),
                &secret(),
                Some(Kind::Access),
                now
            )
            .err(),
            Some(TokenError::NoType)
        );
        assert!(
            verify(&sign(r#"{"exp":99999,"jti":"x"}"#), &secret(), None, now).is_ok(),
            "verify ignores the type"
        );
        assert_eq!(
            verify(
                &sign(r#"{"token_type":"access","exp":99999,"jti":"x","nbf":99998}"#),
                &secret(),
                Some(Kind::Access),
                now
            )
            .err(),
            Some(TokenError::Invalid)
        );
        assert_eq!(
            verify(
                &sign(r#"{"token_type":"access","exp":99999,"jti":"x","aud":"api"}"#),
                &secret(),
                Some(Kind::Access),
                now
            )
            .err(),
            Some(TokenError::Invalid)
        );
        assert_eq!(
            verify(&sign(r#"["not","an","object"]"#), &secret(), None, now).err(),
            Some(TokenError::Invalid)
        );
    }
}
