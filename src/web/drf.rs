//! Django REST framework's request conventions, shared by the token and JWT groups: a body that is
//! JSON or a form, `CharField` validation with DRF's exact messages, and the `Authorization` header
//! split the way `get_authorization_header(request).split()` splits it; the JSON body limit, and
//! the hook through which views run DRF's default authentication classes.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde_json::{Map, Value, json};

use crate::web::error::{AppError, unreadable_body};
use crate::web::multipart::{self, MultipartError, Part};

/// What [`DefaultAuthentication`] returns.
pub type AuthenticateFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + 'a>>;

/// DRF's default authentication classes, run by the views that keep them: a hook, registered as
/// app data by `startup` (the classes live in the rooms, which this layer does not know).
#[derive(Clone, Copy)]
pub struct DefaultAuthentication(pub for<'a> fn(&'a HttpRequest) -> AuthenticateFuture<'a>);

/// Runs the registered [`DefaultAuthentication`]: `Ok(())` for no credentials or good ones, the
/// first class's 401 for bad ones.
pub async fn authenticate_default(req: &HttpRequest) -> Result<(), AppError> {
    match req.app_data::<DefaultAuthentication>() {
        Some(hook) => (hook.0)(req).await,
        None => Err(AppError::Internal(anyhow::anyhow!(
            "no default authentication is registered"
        ))),
    }
}

/// Largest JSON body any route accepts.
pub const JSON_LIMIT: usize = 32 * 1024;

/// A DRF request body (`request.data`): a JSON object or a urlencoded form. The extractor only
/// reads it; the fields are parsed when a view first reads them, as DRF parses lazily — after
/// authentication, so a bad credential is answered (401) before a malformed body (400 or 415).
#[derive(Debug, Default)]
pub struct DrfData {
    /// The media type, lowercased, without parameters.
    content_type: String,
    /// The `Content-Type` header as sent (for the 415 message).
    declared: String,
    body: web::Bytes,
}

impl FromRequest for DrfData {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req.content_type().to_ascii_lowercase();
        let declared = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let too_long = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|len| len > JSON_LIMIT);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if too_long {
                return Err(AppError::PayloadTooLarge);
            }
            let body = body.await.map_err(|e| unreadable_body(&e))?;
            if body.len() > JSON_LIMIT {
                return Err(AppError::PayloadTooLarge);
            }
            Ok(DrfData {
                content_type,
                declared,
                body,
            })
        })
    }
}

impl DrfData {
    /// The fields: 400 for a malformed body, 415 for a media type DRF's parsers do not take
    /// (`application/json` exactly, a urlencoded form, `multipart/form-data`; `+json` types and
    /// `text/json` are refused, as DRF refuses them).
    fn fields(&self) -> Result<Map<String, Value>, AppError> {
        let content_type = self.content_type.as_str();
        if self.body.is_empty() {
            Ok(Map::new())
        } else if content_type == "application/json" {
            parse_json(&decode_charset(&self.body, &self.declared)?)
        } else if content_type == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&self.body)
                .map_err(|e| AppError::BadRequest(format!("Form parse error - {e}")))?;
            Ok(pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect())
        } else if content_type == "multipart/form-data" {
            let parse_error = |e: MultipartError| {
                AppError::BadRequest(format!("Multipart form parse error - {e}"))
            };
            let boundary = multipart::boundary(&self.declared).map_err(parse_error)?;
            let parts = multipart::parse(&self.body, &boundary).map_err(parse_error)?;
            // DRF merges request.FILES over request.POST: a file beats a field of its name,
            // and an uploaded file is not a string, as a CharField then says.
            let (files, fields): (Vec<_>, Vec<_>) = parts
                .into_iter()
                .partition(|(_, part)| matches!(part, Part::File(_)));
            Ok(fields
                .into_iter()
                .chain(files)
                .map(|(name, part)| match part {
                    Part::Field(text) => (name, Value::String(text)),
                    Part::File(file) => (name, json!({ "file": file })),
                })
                .collect())
        } else {
            Err(AppError::UnsupportedMediaType(self.declared.clone()))
        }
    }
}

/// A JSON body as text, decoded by the `charset` its `Content-Type` declares, as DRF's JSONParser
/// decodes it: UTF-8 when none is given or the name is unknown; Latin-1, ASCII and UTF-16 (with a
/// byte-order mark, or the `-le`/`-be` forms) when declared. A body the charset cannot decode, or
/// a UTF-8 one starting with a byte-order mark, is a 400 that names the problem.
fn decode_charset<'a>(
    body: &'a [u8],
    declared: &str,
) -> Result<std::borrow::Cow<'a, [u8]>, AppError> {
    use std::borrow::Cow;
    let charset = declared
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim().trim_matches('"').to_ascii_lowercase())
        .unwrap_or_default();
    let bad = |message: String| AppError::BadRequest(format!("JSON parse error - {message}"));
    let utf16 = |units: &[u8], big_endian: bool| -> Result<Cow<'a, [u8]>, AppError> {
        if units.len() % 2 == 1 {
            return Err(bad("truncated UTF-16 data".into()));
        }
        let units: Vec<u16> = units
            .chunks_exact(2)
            .map(|pair| {
                let bytes = [pair[0], pair[1]];
                if big_endian {
                    u16::from_be_bytes(bytes)
                } else {
                    u16::from_le_bytes(bytes)
                }
            })
            .collect();
        String::from_utf16(&units)
            .map(|text| Cow::Owned(text.into_bytes()))
            .map_err(|_| bad("the body is not valid UTF-16".into()))
    };
    match charset.replace('_', "-").as_str() {
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "cp819" => Ok(Cow::Owned(
            body.iter()
                .map(|&b| char::from(b))
                .collect::<String>()
                .into_bytes(),
        )),
        "ascii" | "us-ascii" => match body.iter().position(|b| !b.is_ascii()) {
            Some(at) => Err(bad(format!(
                "the body is declared ASCII but byte {at} is 0x{:02x}",
                body[at]
            ))),
            None => Ok(Cow::Borrowed(body)),
        },
        "utf-16" => match body {
            [0xff, 0xfe, rest @ ..] => utf16(rest, false),
            [0xfe, 0xff, rest @ ..] => utf16(rest, true),
            _ => Err(bad("UTF-16 stream does not start with BOM".into())),
        },
        "utf-16le" | "utf-16-le" => utf16(body, false),
        "utf-16be" | "utf-16-be" => utf16(body, true),
        _ if body.starts_with(&[0xef, 0xbb, 0xbf]) => {
            Err(bad("Unexpected UTF-8 BOM (decode using utf-8-sig)".into()))
        }
        _ => Ok(Cow::Borrowed(body)),
    }
}

fn parse_json(body: &[u8]) -> Result<Map<String, Value>, AppError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("JSON parse error - {e}")))?;
    let got = match value {
        Value::Object(map) => return Ok(map),
        Value::Null => return Err(non_field("No data provided")),
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
    };
    Err(non_field(&format!(
        "Invalid data. Expected a dictionary, but got {got}."
    )))
}

/// DRF's answer when no renderer suits the `Accept` header.
const NOT_ACCEPTABLE: &str = r#"{"detail":"Could not satisfy the request Accept header."}"#;

/// Middleware for DRF routes: content negotiation, which DRF runs before authentication, the
/// method check and the body, so a client that takes no JSON gets 406 before any 401 or 405.
/// JSON is offered for `application/json`, `application/*`, `*/*`, no `Accept` at all, and —
/// where DRF would render its browsable API — `text/html` and `text/*` (authlab has no HTML
/// rendering of its API: such a client gets the JSON).
pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if accepts_json(&req) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let res = actix_web::HttpResponse::NotAcceptable()
        .content_type("application/json")
        .body(NOT_ACCEPTABLE);
    Ok(req.into_response(res))
}

fn accepts_json(req: &ServiceRequest) -> bool {
    let mut values = req.headers().get_all(header::ACCEPT).peekable();
    if values.peek().is_none() {
        return true;
    }
    values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|range| {
            range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .any(|media| {
            matches!(
                media.as_str(),
                "" | "*/*" | "application/*" | "application/json" | "text/*" | "text/html"
            )
        })
}

/// `OPTIONS` on a DRF view: 200 with DRF's metadata for it (`name`, `description`, `renders`,
/// `parses`, and `actions` where the view has a serializer), exactly as the reference sends it.
/// `allow` is the view's `Allow` header (`HEAD` is added beside `GET`, as on every GET route).
pub fn metadata(body: &'static str, allow: &'static str) -> actix_web::HttpResponse {
    let allow = if allow.starts_with("GET") {
        allow.replacen("GET", "GET, HEAD", 1)
    } else {
        allow.to_owned()
    };
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ALLOW, allow))
        .body(body)
}

/// A 200 with this JSON body, `Content-Type: application/json` as DRF sends it (no charset).
pub fn json_ok(body: impl serde::Serialize) -> actix_web::HttpResponse {
    match serde_json::to_vec(&body) {
        Ok(bytes) => actix_web::HttpResponse::Ok()
            .content_type("application/json")
            .body(bytes),
        Err(e) => actix_web::ResponseError::error_response(&AppError::Internal(e.into())),
    }
}

/// A 400 with `{"non_field_errors": [message]}`.
pub fn non_field(message: &str) -> AppError {
    AppError::Invalid(json!({ "non_field_errors": [message] }))
}

/// Whether a `CharField` strips surrounding whitespace (DRF's default) or keeps it (passwords).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// `trim_whitespace=True`.
    Yes,
    /// `trim_whitespace=False` (`PasswordField`).
    No,
}

impl DrfData {
    /// Parses the body, then validates required `CharField`s in order; all errors come back at once as DRF's field map.
    pub fn char_fields<const N: usize>(
        &self,
        fields: [(&str, Trim); N],
    ) -> Result<[String; N], AppError> {
        let data = self.fields()?;
        let mut errors = Map::new();
        let values = fields.map(|(name, trim)| match char_field(data.get(name), trim) {
            Ok(value) => value,
            Err(message) => {
                errors.insert(name.to_owned(), json!([message]));
                String::new()
            }
        });
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(AppError::Invalid(Value::Object(errors)))
        }
    }
}

fn char_field(value: Option<&Value>, trim: Trim) -> Result<String, &'static str> {
    let text = match value {
        None => return Err("This field is required."),
        Some(Value::Null) => return Err("This field may not be null."),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err("Not a valid string."),
    };
    let text = match trim {
        Trim::Yes => text.trim().to_owned(),
        Trim::No => text,
    };
    if text.is_empty() {
        Err("This field may not be blank.")
    } else if text.contains('\0') {
        // DRF's CharField runs ProhibitNullCharactersValidator after the blank check.
        Err("Null characters are not allowed.")
    } else {
        Ok(text)
    }
}

/// The `Authorization` header split on ASCII whitespace, as raw bytes borrowed from the request
/// (`None` when absent). Two `Authorization` headers are read as one joined by a bare comma, as
/// gunicorn hands them to Django: `Token k1,Token k2` then fails as "should not contain spaces"
/// (and as a bad Bearer header), so an ambiguous request never authenticates as either.
pub fn authorization_parts(req: &HttpRequest) -> Option<Vec<std::borrow::Cow<'_, [u8]>>> {
    use std::borrow::Cow;
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let first = values.next()?.as_bytes();
    let rest: Vec<&[u8]> = values.map(|v| v.as_bytes()).collect();
    let split = |raw: &[u8]| -> Vec<Vec<u8>> {
        raw.split(|b| b.is_ascii_whitespace() || *b == 0x0b)
            .filter(|part| !part.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    };
    if rest.is_empty() {
        return Some(
            first
                .split(|b| b.is_ascii_whitespace() || *b == 0x0b)
                .filter(|part| !part.is_empty())
                .map(Cow::Borrowed)
                .collect(),
        );
    }
    let mut joined = first.to_vec();
    for value in rest {
        joined.push(b',');
        joined.extend_from_slice(value);
    }
    Some(split(&joined).into_iter().map(Cow::Owned).collect())
}

/// The `Authorization` header exactly as received, and its size on the wire.
#[derive(Debug, serde::Serialize)]
pub struct Wire {
    /// The header value (empty when absent).
    pub value: String,
    /// `Authorization: <value>` in bytes.
    pub size: usize,
}

/// What this request's `Authorization` header put on the wire.
pub fn authorization_wire(req: &HttpRequest) -> Wire {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    Wire {
        size: if value.is_empty() {
            0
        } else {
            "Authorization: ".len() + value.len()
        },
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_fields_report_every_problem_with_drf_s_words() {
        let data = DrfData {
            content_type: "application/json".into(),
            declared: "application/json".into(),
            body: web::Bytes::from_static(
                br#"{"a": null, "b": "  ", "c": 12, "d": true, "e": " x "}"#,
            ),
        };
        let err = data
            .char_fields([
                ("a", Trim::Yes),
                ("b", Trim::Yes),
                ("m", Trim::Yes),
                ("d", Trim::Yes),
            ])
            .err();
        let Some(AppError::Invalid(body)) = err else {
            panic!("expected a field map");
        };
        assert_eq!(
            body,
            json!({
                "a": ["This field may not be null."],
                "b": ["This field may not be blank."],
                "m": ["This field is required."],
                "d": ["Not a valid string."],
            })
        );
        let ok = data.char_fields([("c", Trim::Yes), ("e", Trim::No)]).ok();
        assert_eq!(ok, Some(["12".to_owned(), " x ".to_owned()]));
        let nul = DrfData {
            content_type: "application/json".into(),
            declared: "application/json".into(),
            body: web::Bytes::from_static(br#"{"p": "a\u0000b"}"#),
        };
        let Some(AppError::Invalid(body)) = nul.char_fields([("p", Trim::No)]).err() else {
            panic!("expected a field map");
        };
        assert_eq!(body, json!({"p": ["Null characters are not allowed."]}));
    }

    #[test]
    fn the_body_is_parsed_only_when_its_fields_are_read() {
        let body = |content_type: &str, text: &'static str| DrfData {
            content_type: content_type.into(),
            declared: content_type.into(),
            body: web::Bytes::from_static(text.as_bytes()),
        };
        let field = [("a", Trim::Yes)];
        let malformed = body("application/json", "{oops").char_fields(field).err();
        assert!(
            matches!(malformed, Some(AppError::BadRequest(m)) if m.starts_with("JSON parse error - "))
        );
        let plain = body("text/plain", "a=1").char_fields(field).err();
        assert!(matches!(plain, Some(AppError::UnsupportedMediaType(t)) if t == "text/plain"));
        let form = body("application/x-www-form-urlencoded", "a=%20x").char_fields(field);
        assert_eq!(form.ok(), Some(["x".to_owned()]));
        let empty = body("text/plain", "").char_fields(field).err();
        assert!(
            matches!(empty, Some(AppError::Invalid(_))),
            "no body: the field is required"
        );
    }
}
