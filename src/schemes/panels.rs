//! What the "in your browser" and "on the wire" panels show for a cookie-carried credential.
//!
//! HttpOnly cookies cannot be read by page script, so the server shows them as the browser sent them.

use actix_web::HttpRequest;
use actix_web::http::header;
use percent_encoding::percent_decode_str;
use serde::Serialize;

/// Characters of the base64 HMAC-SHA256 tag in front of a signed cookie's value.
pub const SIGNATURE_CHARS: usize = 44;

/// A cookie as the browser holds it.
#[derive(Debug, Clone, Serialize)]
pub struct BrowserCookie {
    /// Whether the browser sent it at all.
    pub present: bool,
    /// Cookie name.
    pub name: String,
    /// The value exactly as sent.
    pub value: String,
    /// The signature part of a signed value (base64 HMAC-SHA256).
    pub signature: Option<String>,
    /// The readable part of a signed value, percent-decoded.
    pub readable: Option<String>,
    /// The readable part as the structure it is: actix-session keeps each entry as a JSON text
    /// inside a JSON object, so both layers are unwrapped and shown indented.
    pub structure: Option<String>,
    /// Name plus value, in bytes: what browsers limit to 4096.
    pub size: usize,
    /// The attributes the server set it with.
    pub attributes: Vec<String>,
}

/// The header that carries the credential on this very request.
#[derive(Debug, Clone, Serialize)]
pub struct Wire {
    /// Header name, e.g. `Cookie`.
    pub name: String,
    /// Header value exactly as received (empty when absent).
    pub value: String,
    /// `Name: value` in bytes.
    pub size: usize,
    /// Bytes of the part that is this scheme's credential.
    pub credential_size: usize,
}

/// Reads cookie `name` from the request; `signed` splits off the signature tag.
pub fn browser_cookie(
    req: &HttpRequest,
    name: &str,
    signed: bool,
    attributes: Vec<String>,
) -> BrowserCookie {
    let value = req
        .cookie(name)
        .map(|c| raw_value(req, name).unwrap_or_else(|| c.value().to_owned()));
    let present = value.is_some();
    let value = value.unwrap_or_default();
    let decoded = percent_decode_str(&value).decode_utf8_lossy().into_owned();
    let (signature, readable) =
        if signed && decoded.len() > SIGNATURE_CHARS && decoded.is_char_boundary(SIGNATURE_CHARS) {
            let (tag, rest) = decoded.split_at(SIGNATURE_CHARS);
            (Some(tag.to_owned()), Some(rest.to_owned()))
        } else {
            (None, None)
        };
    let structure = readable.as_deref().and_then(structure_of);
    BrowserCookie {
        structure,
        present,
        size: if present { name.len() + value.len() } else { 0 },
        name: name.to_owned(),
        value,
        signature,
        readable,
        attributes,
    }
}

/// `{"key": "<json text>"}` as an indented object whose entries are the values they encode
/// (an entry that is not JSON text stays the string it is); `None` when it is not an object.
pub fn structure_of(readable: &str) -> Option<String> {
    let serde_json::Value::Object(entries) = serde_json::from_str(readable).ok()? else {
        return None;
    };
    let unwrapped: serde_json::Map<String, serde_json::Value> = entries
        .into_iter()
        .map(|(key, value)| {
            let inner = match &value {
                serde_json::Value::String(text) => serde_json::from_str(text).unwrap_or(value),
                _ => value,
            };
            (key, inner)
        })
        .collect();
    serde_json::to_string_pretty(&unwrapped).ok()
}

/// The value of cookie `name` exactly as it appears in the `Cookie:` header (still percent-encoded).
fn raw_value(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// The `Cookie:` header of this request, and how much of it is cookie `name`.
pub fn cookie_wire(req: &HttpRequest, name: &str) -> Wire {
    let value = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ");
    let credential_size = raw_value(req, name).map_or(0, |v| name.len() + 1 + v.len());
    Wire {
        name: "Cookie".into(),
        size: if value.is_empty() {
            0
        } else {
            "Cookie: ".len() + value.len()
        },
        value,
        credential_size,
    }
}
