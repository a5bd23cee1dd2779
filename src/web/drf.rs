//! Django REST framework's request conventions, shared by the token and JWT groups: a body that is
//! JSON or a form, `CharField` validation with DRF's exact messages, and the `Authorization` header
//! split the way `get_authorization_header(request).split()` splits it.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde_json::{Map, Value, json};

use crate::startup::JSON_LIMIT;
use crate::web::error::{AppError, unreadable_body};

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
    /// The fields: 400 for a malformed body, 415 for a media type DRF's parsers do not take.
    fn fields(&self) -> Result<Map<String, Value>, AppError> {
        let content_type = self.content_type.as_str();
        if self.body.is_empty() {
            Ok(Map::new())
        } else if content_type == "application/json" || content_type.ends_with("+json") {
            parse_json(&self.body)
        } else if content_type == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&self.body)
                .map_err(|e| AppError::BadRequest(format!("Form parse error - {e}")))?;
            Ok(pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect())
        } else {
            Err(AppError::UnsupportedMediaType(self.declared.clone()))
        }
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
/// (`None` when absent).
pub fn authorization_parts(req: &HttpRequest) -> Option<Vec<&[u8]>> {
    let raw = req.headers().get(header::AUTHORIZATION)?.as_bytes();
    Some(
        raw.split(|b| b.is_ascii_whitespace() || *b == 0x0b)
            .filter(|part| !part.is_empty())
            .collect(),
    )
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
