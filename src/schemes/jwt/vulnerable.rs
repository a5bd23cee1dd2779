//! The JWT room's deliberately naive verifiers, under `/lab/vulnerable/jwt/`, each with the one
//! flaw a challenge exploits; the real verifier ([`super::claims::verify`]) refuses every token
//! they are fooled by. DELIBERATELY INSECURE, and only with lab controls on.
//!
//! - `alg-none`: believes the header; `"alg": "none"` means no signature to check.
//! - `weak-secret`: signs and checks HS256 with a word from a short public word list.
//! - `alg-confusion`: issues RS256 and checks with the header's algorithm, so an HS256 token
//!   signed with the *public* key, used as the HMAC secret, passes.

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Map, Value, json};

use super::claims::{self, Kind, new_jti};
use super::extractor::{CHALLENGE, token_error};
use crate::challenges::{self, Challenge};
use crate::db::Db;
use crate::keys::JwtSecret;
use crate::state::AppState;
use crate::users::{self, User};
use crate::web::drf::DrfData;
use crate::web::error::{AppError, speaks_json};
use crate::web::lab_only;

/// Where the naive verifiers live.
pub const PREFIX: &str = "/lab/vulnerable/jwt";
/// How long the lab routes' tokens live.
const LAB_TTL: i64 = 3600;
/// The word list the weak secret is drawn from: short, public, and in every cracking tool's.
pub const WORDLIST: &str = include_str!("weak_secrets.txt");

pub(super) fn mount(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PREFIX)
            .guard(lab_only())
            .wrap(from_fn(speaks_json))
            .service(web::resource("/alg-none/me").get(alg_none_me))
            .service(web::resource("/weak-secret/wordlist.txt").get(wordlist))
            .service(web::resource("/weak-secret/token").post(weak_token))
            .service(web::resource("/weak-secret/me").get(weak_me))
            .service(web::resource("/alg-confusion/public.pem").get(public_pem))
            .service(web::resource("/alg-confusion/token").post(rsa_token))
            .service(web::resource("/alg-confusion/me").get(confusion_me)),
    );
}

/// The token after `Bearer `.
fn bearer(req: &HttpRequest) -> Result<&str, AppError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::unauthorized(
                "Authentication credentials were not provided: send Authorization: Bearer <token>.",
                CHALLENGE,
            )
        })
}

/// A token's three parts, its header and payload decoded, checking nothing.
struct Parts<'a> {
    message: &'a str,
    signature: &'a str,
    header: Map<String, Value>,
    payload: Map<String, Value>,
}

impl Parts<'_> {
    /// The `alg` its header names ("" when none): what a naive verifier believes.
    fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }
}

fn refused(detail: &str) -> AppError {
    token_error(detail, "token_not_valid")
}

fn split(token: &str) -> Result<Parts<'_>, AppError> {
    let (message, signature) = token
        .rsplit_once('.')
        .ok_or_else(|| refused("A JWT has three parts separated by dots."))?;
    let (header, payload) = message
        .split_once('.')
        .ok_or_else(|| refused("A JWT has three parts separated by dots."))?;
    let json = |part: &str, name: &str| -> Result<Map<String, Value>, AppError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| refused(&format!("The {name} is not base64url.")))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| refused(&format!("The {name} is not a JSON object.")))
    };
    Ok(Parts {
        message,
        signature,
        header: json(header, "header")?,
        payload: json(payload, "payload")?,
    })
}

/// The user a payload's `user_id` names (a string, as simplejwt writes it, or a number).
async fn user_of(db: &Db, payload: &Map<String, Value>) -> Result<User, AppError> {
    let id = match payload.get("user_id") {
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
    .ok_or_else(|| refused("The payload names no user_id."))?;
    db.read(move |c| users::find(c, id))
        .await??
        .filter(|u| u.is_active)
        .ok_or_else(|| refused("No active user has that user_id."))
}

/// What a naive verifier answers when it believed a token.
async fn believed(
    db: &Db,
    req: &HttpRequest,
    challenge: Challenge,
    verifier: &str,
    flaw_used: bool,
    parts: &Parts<'_>,
) -> Result<HttpResponse, AppError> {
    let user = user_of(db, &parts.payload).await?;
    let role = parts
        .payload
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let admin = role == "admin";
    let solved = flaw_used && admin;
    if solved {
        let alg = parts.alg();
        let how = format!(
            "GET {} with Authorization: Bearer <a token with \"alg\": {alg:?} and \"role\": \"admin\" for {}>",
            req.path(),
            user.email
        );
        challenges::record(db, challenge, "forged", how).await;
    }
    Ok(HttpResponse::Ok().json(json!({
        "verifier": verifier,
        "alg": parts.header.get("alg"),
        "user": { "id": user.id, "email": user.email, "username": user.username },
        "role": role,
        "admin": admin,
        "solved": solved,
    })))
}

/// The expiry check the alg-confusion verifier keeps (on the lab clock); the weak-secret one
/// runs the real check, and the alg-none one checks nothing at all for an unsigned token.
fn unexpired(payload: &Map<String, Value>, now: i64) -> Result<(), AppError> {
    match payload.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now => Ok(()),
        Some(_) => Err(refused("Token is expired")),
        None => Err(refused("Token has no 'exp' claim")),
    }
}

/// `GET /lab/vulnerable/jwt/alg-none/me`: the header says which algorithm to check with, and
/// `none` means "nothing to check". Any other token goes to the real check.
async fn alg_none_me(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = bearer(&req)?;
    let parts = split(token)?;
    let alg = parts.alg();
    let unsigned = alg.eq_ignore_ascii_case("none");
    if !unsigned {
        claims::verify(
            token,
            &state.keys().jwt,
            Some(Kind::Access),
            state.clock.unix(),
        )
        .map_err(super::extractor::not_valid)?;
    }
    let verifier = if unsigned {
        "alg none: signature not checked (the flaw)"
    } else {
        "HS256 with the server's key (the real check)"
    };
    believed(&db, &req, Challenge::AlgNone, verifier, unsigned, &parts).await
}

/// This lab's weak secret: a word of [`WORDLIST`], drawn once per lab and kept in its database.
async fn weak_secret(db: &Db) -> Result<(String, JwtSecret), AppError> {
    let picked = db
        .run(|c| crate::db::settings::get_or_generate(c, "lab_weak_jwt_word", 2))
        .await??;
    let words: Vec<&str> = WORDLIST.lines().filter(|w| !w.is_empty()).collect();
    let n = usize::from(u16::from_be_bytes([
        picked.first().copied().unwrap_or(0),
        picked.get(1).copied().unwrap_or(0),
    ]));
    let word = words
        .get(n % words.len().max(1))
        .copied()
        .unwrap_or("secret");
    let secret = JwtSecret::new(word.as_bytes().to_vec()).map_err(AppError::Internal)?;
    Ok((word.to_owned(), secret))
}

/// `GET /lab/vulnerable/jwt/weak-secret/wordlist.txt`: the public list (one word a line).
async fn wordlist() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(WORDLIST)
}

/// The payload of a lab token for `user`: simplejwt's claims plus a `role` the verifier trusts.
fn lab_payload(user: &User, now: i64) -> String {
    json!({
        "token_type": "access",
        "exp": now + LAB_TTL,
        "iat": now,
        "jti": new_jti(),
        "user_id": user.id.to_string(),
        "role": "learner",
    })
    .to_string()
}

/// `POST /lab/vulnerable/jwt/weak-secret/token` `{"email", "password"}` → `{"access"}`, signed
/// HS256 with the lab's weak word, `"role": "learner"`.
async fn weak_token(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    let user = super::check_login(&req, &db, &state, data).await?;
    let (_, secret) = weak_secret(&db).await?;
    let payload = lab_payload(&user, state.clock.unix());
    let access =
        claims::sign_parts(claims::HEADER_JSON, &payload, &secret).map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok().json(json!({ "access": access })))
}

/// `GET /lab/vulnerable/jwt/weak-secret/me`: the real HS256 check, with the weak word as key.
async fn weak_me(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = bearer(&req)?;
    let (_, secret) = weak_secret(&db).await?;
    claims::verify(token, &secret, Some(Kind::Access), state.clock.unix())
        .map_err(super::extractor::not_valid)?;
    let parts = split(token)?;
    let verifier = "HS256 with a word from a public list (the flaw)";
    believed(&db, &req, Challenge::WeakSecret, verifier, true, &parts).await
}

/// The alg-confusion lab's RSA key pair: made for each lab on first use and kept in its
/// database (so a key, and a token forged with it, belong to one lab).
struct RsaLab {
    /// The public key, SubjectPublicKeyInfo PEM, exactly as published (trailing newline included).
    pem: String,
    signing: EncodingKey,
    verifying: DecodingKey,
    /// The flaw: the PEM's bytes, taken as an HMAC secret.
    pem_as_hmac: DecodingKey,
}

/// The `settings` row holding the lab's RSA private key (PKCS#1 DER).
const RSA_SETTING: &str = "lab_rsa_private_der";

async fn rsa_lab(db: &Db) -> Result<RsaLab, AppError> {
    let blocking = |e: actix_web::error::BlockingError| {
        AppError::Internal(anyhow::anyhow!("blocking pool: {e}"))
    };
    let der = match db
        .read(|c| crate::db::settings::get(c, RSA_SETTING))
        .await??
    {
        Some(der) => der,
        None => {
            let made = web::block(|| -> anyhow::Result<Vec<u8>> {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                let private = rsa::PrivateKey::new(&mut rand::rng(), 2048)?;
                Ok(private.to_pkcs1_der()?.as_bytes().to_vec())
            })
            .await
            .map_err(blocking)?
            .map_err(AppError::Internal)?;
            db.run(move |c| crate::db::settings::keep_first(c, RSA_SETTING, &made))
                .await??
        }
    };
    web::block(move || -> anyhow::Result<RsaLab> {
        use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
        use rsa::pkcs8::EncodePublicKey;
        let private = rsa::PrivateKey::from_pkcs1_der(&der)?;
        let public = rsa::PublicKey::from(&private);
        let spki = public.to_public_key_der()?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(spki.as_bytes());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line)?);
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Ok(RsaLab {
            signing: EncodingKey::from_rsa_der(&der),
            verifying: DecodingKey::from_rsa_der(public.to_pkcs1_der()?.as_bytes()),
            pem_as_hmac: DecodingKey::from_secret(pem.as_bytes())?,
            pem,
        })
    })
    .await
    .map_err(blocking)?
    .map_err(AppError::Internal)
}

/// `GET /lab/vulnerable/jwt/alg-confusion/public.pem`: the public key, published on purpose.
async fn public_pem(db: Db) -> Result<HttpResponse, AppError> {
    let lab = rsa_lab(&db).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .body(lab.pem))
}

/// `POST /lab/vulnerable/jwt/alg-confusion/token` `{"email", "password"}` → `{"access"}`,
/// signed RS256 with the lab's private key, `"role": "learner"`.
async fn rsa_token(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
    data: DrfData,
) -> Result<HttpResponse, AppError> {
    let user = super::check_login(&req, &db, &state, data).await?;
    let lab = rsa_lab(&db).await?;
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(lab_payload(&user, state.clock.unix()))
    );
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &lab.signing, Algorithm::RS256)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().json(json!({ "access": format!("{message}.{signature}") })))
}

/// `GET /lab/vulnerable/jwt/alg-confusion/me`: checks with the algorithm the token's header
/// names, and the one key it has — the public key — for either.
async fn confusion_me(
    req: HttpRequest,
    db: Db,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let token = bearer(&req)?;
    let parts = split(token)?;
    let lab = rsa_lab(&db).await?;
    let alg = parts.alg();
    let (key, algorithm, verifier) = match alg {
        "RS256" => (
            &lab.verifying,
            Algorithm::RS256,
            "RS256 with the public key (as meant)",
        ),
        "HS256" => (
            &lab.pem_as_hmac,
            Algorithm::HS256,
            "HS256 with the public key as the secret (the flaw)",
        ),
        _ => return Err(refused("This verifier knows RS256 and HS256 only.")),
    };
    let valid =
        jsonwebtoken::crypto::verify(parts.signature, parts.message.as_bytes(), key, algorithm)
            .unwrap_or(false);
    if !valid {
        return Err(refused("Signature verification failed."));
    }
    unexpired(&parts.payload, state.clock.unix())?;
    believed(
        &db,
        &req,
        Challenge::AlgConfusion,
        verifier,
        algorithm == Algorithm::HS256,
        &parts,
    )
    .await
}
