//! `/api/openapi.json`: an OpenAPI 3.1 description of every JSON route, and `/api`, the same
//! operations as a plain page of this server's own (no viewer from a CDN).
//!
//! The document is for tools (Postman, Insomnia, Bruno import it), so its text is English; the
//! page shows each operation's summary in the reader's language from the same catalog keys.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde_json::{Value, json};

use crate::challenges::Challenge;
use crate::config::Settings;
use crate::i18n::Lang;
use crate::web::page::PageCtx;

/// Who may call an operation: the security requirement it lists.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Auth {
    /// No credential.
    None,
    /// `Authorization: Token <key>`.
    Token,
    /// `Authorization: Bearer <access>`.
    Bearer,
    /// The signed `authlab_cookie`.
    Cookie,
    /// The `sessionid` cookie.
    Session,
    /// Whatever the request carries, read and shown, never required.
    Optional,
    /// The `authlab_instructor` cookie `/instructor` sets for the instructor secret.
    Instructor,
}

/// What an operation takes as its body.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Body {
    /// No body.
    None,
    /// A JSON body of the named schema (in `components.schemas`).
    Json(&'static str),
}

/// One documented operation.
#[derive(Debug, Clone, Copy)]
struct Operation {
    method: &'static str,
    path: &'static str,
    /// The `operationId`, also the catalog key `api.op.<id>` of its summary.
    id: &'static str,
    tag: &'static str,
    auth: Auth,
    body: Body,
    /// The success answer: status and the schema of its JSON body.
    ok: (u16, &'static str),
    /// Only with lab controls on (404 with `--no-lab`).
    lab: bool,
}

const fn op(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    auth: Auth,
    body: Body,
    ok: (u16, &'static str),
) -> Operation {
    Operation {
        method,
        path,
        id,
        tag,
        auth,
        body,
        ok,
        lab: false,
    }
}

const fn lab(mut operation: Operation) -> Operation {
    operation.lab = true;
    operation
}

use Auth as A;
use Body as B;

/// Every JSON operation the app mounts, in the order the page lists them (one line each, so the
/// table reads as one).
#[rustfmt::skip]
const OPERATIONS: &[Operation] = &[
    op("get", "/healthz", "healthz", "shared", A::None, B::None, (200, "Status")),
    op("get", "/api/ping", "ping", "shared", A::None, B::None, (200, "Ping")),
    op("get", "/api/openapi.json", "openapi", "shared", A::None, B::None, (200, "Object")),
    op("get", "/cookie/api/me", "cookie_me", "cookie", A::Cookie, B::None, (200, "ApiUser")),
    op("get", "/cookie/api/inspect", "cookie_inspect", "cookie", A::Optional, B::None, (200, "Object")),
    op("get", "/session/api/me", "session_me", "session", A::Session, B::None, (200, "ApiUser")),
    op("get", "/session/api/inspect", "session_inspect", "session", A::Optional, B::None, (200, "Object")),
    op("post", "/token/api/login", "token_login", "token", A::None, B::Json("TokenLogin"), (200, "TokenKey")),
    op("get", "/token/api/me", "token_me", "token", A::Token, B::None, (200, "ApiUser")),
    op("patch", "/token/api/me", "token_me_update", "token", A::Token, B::Json("UsernameChange"), (200, "ApiUser")),
    op("post", "/token/api/regenerate", "token_regenerate", "token", A::Token, B::None, (200, "TokenKey")),
    op("post", "/token/api/logout", "token_logout", "token", A::Token, B::None, (200, "Detail")),
    op("get", "/token/api/inspect", "token_inspect", "token", A::Optional, B::None, (200, "Object")),
    op("post", "/jwt/api/token", "jwt_obtain", "jwt", A::None, B::Json("JwtLogin"), (200, "TokenPair")),
    op("post", "/jwt/api/token/refresh", "jwt_refresh", "jwt", A::None, B::Json("Refresh"), (200, "TokenPair")),
    op("post", "/jwt/api/token/verify", "jwt_verify", "jwt", A::None, B::Json("Verify"), (200, "Empty")),
    op("post", "/jwt/api/token/blacklist", "jwt_blacklist", "jwt", A::None, B::Json("Refresh"), (200, "Empty")),
    op("get", "/jwt/api/me", "jwt_me", "jwt", A::Bearer, B::None, (200, "ApiUser")),
    op("patch", "/jwt/api/me", "jwt_me_update", "jwt", A::Bearer, B::Json("UsernameChange"), (200, "ApiUser")),
    op("get", "/jwt/api/claims", "jwt_claims", "jwt", A::Bearer, B::None, (200, "Object")),
    op("get", "/jwt/api/inspect", "jwt_inspect", "jwt", A::Optional, B::None, (200, "Object")),
    lab(op("post", "/jwt/api/lab/claims", "lab_jwt_claims", "lab", A::Bearer, B::Json("Claims"), (200, "Grown"))),
    lab(op("post", "/jwt/api/lab/default-user", "lab_default_user", "lab", A::None, B::Json("DefaultUser"), (200, "TokenPair"))),
    lab(op("post", "/cookie/lab/replay", "lab_cookie_replay", "lab", A::None, B::Json("Replay"), (200, "Replayed"))),
    lab(op("post", "/cookie/lab/size", "lab_cookie_size", "lab", A::None, B::Json("Sizes"), (200, "Object"))),
    lab(op("post", "/cookie/lab/size/clear", "lab_cookie_size_clear", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("post", "/session/lab/replay", "lab_session_replay", "lab", A::None, B::Json("Replay"), (200, "Replayed"))),
    lab(op("post", "/session/lab/load", "lab_session_load", "lab", A::None, B::Json("Load"), (200, "Object"))),
    lab(op("post", "/session/lab/load/clear", "lab_session_load_clear", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("post", "/session/lab/load/measure", "lab_session_load_measure", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("get", "/lab/clock", "lab_clock", "lab", A::None, B::None, (200, "Clock"))),
    lab(op("post", "/lab/clock", "lab_clock_move", "lab", A::None, B::Json("ClockChange"), (200, "Clock"))),
    lab(op("post", "/lab/rotate-keys", "lab_rotate_keys", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("post", "/lab/matrix", "lab_matrix", "lab", A::None, B::Json("Matrix"), (200, "Object"))),
    lab(op("post", "/lab/two-devices", "lab_two_devices", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("post", "/lab/second-server", "lab_second_server", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("post", "/lab/kept", "lab_kept", "lab", A::None, B::Json("Kept"), (200, "Object"))),
    lab(op("post", "/lab/reset", "lab_reset", "lab", A::None, B::Json("Reset"), (200, "Object"))),
    lab(op("get", "/lab/progress", "lab_progress", "lab", A::None, B::None, (200, "Object"))),
    lab(op("post", "/lab/progress/clear", "lab_progress_clear", "lab", A::None, B::Json("Reset"), (200, "Object"))),
    lab(op("post", "/lab/progress/{id}/hint", "lab_progress_hint", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("post", "/lab/progress/{id}/solution", "lab_progress_solution", "lab", A::None, B::Json("Object"), (200, "Object"))),
    lab(op("post", "/lab/vulnerable/xss/collect", "vulnerable_xss_collect", "vulnerable", A::None, B::None, (200, "Object"))),
    lab(op("get", "/lab/vulnerable/jwt/alg-none/me", "vulnerable_alg_none_me", "vulnerable", A::Bearer, B::None, (200, "Object"))),
    lab(op("post", "/lab/vulnerable/jwt/weak-secret/token", "vulnerable_weak_token", "vulnerable", A::None, B::Json("JwtLogin"), (200, "Object"))),
    lab(op("get", "/lab/vulnerable/jwt/weak-secret/me", "vulnerable_weak_me", "vulnerable", A::Bearer, B::None, (200, "Object"))),
    lab(op("post", "/lab/vulnerable/jwt/alg-confusion/token", "vulnerable_rsa_token", "vulnerable", A::None, B::Json("JwtLogin"), (200, "Object"))),
    lab(op("get", "/lab/vulnerable/jwt/alg-confusion/me", "vulnerable_confusion_me", "vulnerable", A::Bearer, B::None, (200, "Object"))),
    lab(op("get", "/instructor/api/class", "instructor_class", "instructor", A::Instructor, B::None, (200, "Object"))),
    lab(op("post", "/instructor/api/clock", "instructor_clock", "instructor", A::Instructor, B::Json("ClockChange"), (200, "Labs"))),
    lab(op("post", "/instructor/api/reset", "instructor_reset", "instructor", A::Instructor, B::Json("Reset"), (200, "Labs"))),
    lab(op("post", "/instructor/api/rotate-keys", "instructor_rotate", "instructor", A::Instructor, B::Json("Reset"), (200, "Labs"))),
];

/// The operations whose bodies DRF's parsers read: JSON, a form or multipart.
const DRF_PARSED: &[&str] = &[
    "token_login",
    "token_me_update",
    "jwt_obtain",
    "jwt_refresh",
    "jwt_verify",
    "jwt_blacklist",
    "jwt_me_update",
    "lab_default_user",
];

/// The operations this server mounts: the lab ones only with lab controls on.
fn mounted(lab_on: bool) -> impl Iterator<Item = &'static Operation> {
    OPERATIONS.iter().filter(move |o| lab_on || !o.lab)
}

/// `GET /api/openapi.json`.
pub async fn document(req: HttpRequest, settings: web::Data<Settings>) -> HttpResponse {
    let info = req.connection_info();
    let server = format!("{}://{}", info.scheme(), info.host());
    HttpResponse::Ok().json(build(settings.lab_enabled(), &server))
}

/// The whole OpenAPI 3.1 document, its server URL `server`.
fn build(lab_on: bool, server: &str) -> Value {
    let mut paths = serde_json::Map::new();
    for o in mounted(lab_on) {
        let entry = paths.entry(o.path.to_owned()).or_insert_with(|| json!({}));
        entry[o.method] = operation(o);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "authlab JSON API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Cookie, server-side session, DRF token and JWT authentication side by side.",
            "description": "The token and JWT groups answer as Django REST framework's TokenAuthentication and djangorestframework-simplejwt do, status, headers and body. State-changing requests from another site's Origin are refused (403) unless they carry a Token or Bearer header.",
            "license": { "name": "MIT", "identifier": "MIT" }
        },
        "servers": [{ "url": server }],
        "tags": [
            { "name": "shared", "description": "No authentication." },
            { "name": "cookie", "description": "A signed cookie (actix-identity on a cookie store)." },
            { "name": "session", "description": "A server-side session (actix-identity on a database store)." },
            { "name": "token", "description": "DRF's TokenAuthentication: one static key per user." },
            { "name": "jwt", "description": "simplejwt: an access/refresh pair, refresh rotation and a blacklist." },
            { "name": "lab", "description": "Lab actions: only with lab controls on (404 otherwise). Each changes only the caller's lab: the authlab_lab cookie or the X-Authlab-Lab header names it, and without either it is the shared lab." },
            { "name": "instructor", "description": "The whole class, for the instructor: every lab at once." },
            { "name": "vulnerable", "description": "DELIBERATELY INSECURE lab routes under /lab/vulnerable/, for the challenges: only with lab controls on; the real routes refuse what they accept." }
        ],
        "paths": paths,
        "components": components(),
    })
}

fn operation(o: &Operation) -> Value {
    let mut responses = serde_json::Map::new();
    let (status, schema) = o.ok;
    responses.insert(
        status.to_string(),
        if schema.is_empty() {
            json!({ "description": "Done; no body." })
        } else {
            json!({
                "description": "Success.",
                "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
            })
        },
    );
    if let Body::Json(_) = o.body {
        responses.insert("400".into(), reference("BadRequest"));
        responses.insert("413".into(), reference("TooLarge"));
        responses.insert("415".into(), reference("UnsupportedMediaType"));
    }
    match o.auth {
        Auth::Token => {
            responses.insert("401".into(), reference("TokenRefused"));
        }
        Auth::Bearer => {
            responses.insert("401".into(), reference("JwtRefused"));
        }
        Auth::Cookie | Auth::Session => {
            responses.insert("401".into(), reference("CookieRefused"));
        }
        Auth::Instructor => {
            responses.insert("403".into(), reference("NotInstructor"));
        }
        Auth::None | Auth::Optional => {}
    }
    match o.id {
        "token_login" => {
            responses.insert("429".into(), reference("Throttled"));
        }
        "jwt_obtain" | "lab_default_user" => {
            responses.insert("401".into(), reference("NoActiveAccount"));
            responses.insert("429".into(), reference("Throttled"));
        }
        "jwt_refresh" | "jwt_verify" | "jwt_blacklist" => {
            responses.insert("401".into(), reference("JwtRefused"));
        }
        _ => {}
    }
    if o.method != "get" && o.auth != Auth::Instructor {
        responses.insert("403".into(), reference("ForeignOrigin"));
    }
    if o.lab {
        responses.insert("404".into(), reference("LabOff"));
    }
    let mut value = json!({
        "operationId": o.id,
        "tags": [o.tag],
        "summary": Lang::En.t(&format!("api.op.{}", o.id)),
        "responses": responses,
        "security": security(o.auth),
    });
    let parameters: Vec<Value> = path_parameters(o.path)
        .map(|name| {
            json!({
                "name": name, "in": "path", "required": true,
                "description": "A challenge's id, as GET /lab/progress lists them.",
                "schema": { "type": "string", "enum": Challenge::ALL.map(Challenge::id) }
            })
        })
        .collect();
    if !parameters.is_empty() {
        value["parameters"] = Value::Array(parameters);
    }
    if let Body::Json(schema) = o.body {
        let schema = json!({ "$ref": format!("#/components/schemas/{schema}") });
        // DRF's views parse a form and multipart as well as JSON, as DRF's default parsers do.
        value["requestBody"] = if DRF_PARSED.contains(&o.id) {
            json!({ "required": true, "content": {
                "application/json": { "schema": schema },
                "application/x-www-form-urlencoded": { "schema": schema },
                "multipart/form-data": { "schema": schema }
            } })
        } else {
            json!({ "required": true, "content": { "application/json": { "schema": schema } } })
        };
    }
    value
}

/// The `{name}` segments of a path (the only ones, today: a challenge's `{id}`).
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
}

fn reference(response: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{response}") })
}

fn security(auth: Auth) -> Value {
    match auth {
        Auth::None => json!([]),
        Auth::Token => json!([{ "Token": [] }]),
        Auth::Bearer => json!([{ "Bearer": [] }]),
        Auth::Cookie => json!([{ "SignedCookie": [] }]),
        Auth::Session => json!([{ "SessionCookie": [] }]),
        Auth::Optional => {
            json!([{}, { "Token": [] }, { "Bearer": [] }, { "SignedCookie": [] }, { "SessionCookie": [] }])
        }
        Auth::Instructor => json!([{ "Instructor": [] }]),
    }
}

fn error_response(description: &str, schema: &str, example: Value) -> Value {
    json!({
        "description": description,
        "content": { "application/json": {
            "schema": { "$ref": format!("#/components/schemas/{schema}") },
            "example": example
        } }
    })
}

fn components() -> Value {
    json!({
        "securitySchemes": {
            "Token": {
                "type": "apiKey", "in": "header", "name": "Authorization",
                "description": "DRF's TokenAuthentication: `Authorization: Token <40 hex characters>` from POST /token/api/login."
            },
            "Bearer": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "simplejwt's access token (HS256, 5 minutes) from POST /jwt/api/token."
            },
            "SignedCookie": {
                "type": "apiKey", "in": "cookie", "name": "authlab_cookie",
                "description": "Set by the form POST /cookie/login: the login itself, signed with HMAC-SHA256."
            },
            "Instructor": {
                "type": "apiKey", "in": "cookie", "name": "authlab_instructor",
                "description": "Set by the form POST /instructor/login for the instructor secret (printed at start, or --instructor-secret)."
            },
            "SessionCookie": {
                "type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "Set by the form POST /session/login: a random key to a row the server keeps."
            }
        },
        "responses": {
            "BadRequest": error_response("A malformed body, or a field map naming each field's problem (DRF's shape).", "Error",
                json!({ "detail": "JSON parse error - expected value at line 1 column 14" })),
            "TooLarge": error_response("The body is larger than the route takes.", "Detail",
                json!({ "detail": "Request body too large." })),
            "UnsupportedMediaType": error_response("The body is not application/json (DRF's wording).", "Detail",
                json!({ "detail": "Unsupported media type \"text/plain\" in request." })),
            "TokenRefused": {
                "description": "DRF's TokenAuthentication refused the header, or none was sent.",
                "headers": { "WWW-Authenticate": { "schema": { "type": "string", "examples": ["Token"] } } },
                "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Detail" },
                    "examples": {
                        "missing": { "value": { "detail": "Authentication credentials were not provided." } },
                        "invalid": { "value": { "detail": "Invalid token." } },
                        "inactive": { "value": { "detail": "User inactive or deleted." } }
                    }
                } }
            },
            "JwtRefused": {
                "description": "simplejwt refused the token: `detail`, `code` and, on protected views, `messages`.",
                "headers": { "WWW-Authenticate": { "schema": { "type": "string", "examples": ["Bearer realm=\"api\""] } } },
                "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/TokenError" },
                    "examples": {
                        "protected_view": { "value": {
                            "detail": "Given token not valid for any token type",
                            "code": "token_not_valid",
                            "messages": [{ "token_class": "AccessToken", "token_type": "access", "message": "Token is expired" }]
                        } },
                        "token_view": { "value": { "detail": "Token is blacklisted", "code": "token_not_valid" } }
                    }
                } }
            },
            "NoActiveAccount": error_response("Wrong e-mail or password, or an inactive user (simplejwt's wording).", "Detail",
                json!({ "detail": "No active account found with the given credentials" })),
            "CookieRefused": error_response("No login, or a cookie refused: `code` says why, `detail` in plain English.", "Refusal",
                json!({ "detail": "The cookie's signature was refused: it was changed, or signed with another key.", "code": "signature_refused" })),
            "Throttled": {
                "description": "Too many failed logins for this address; try again after `Retry-After` seconds.",
                "headers": { "Retry-After": { "schema": { "type": "integer" } } },
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Detail" } } }
            },
            "ForeignOrigin": error_response("A state-changing request from another site's Origin without a Token or Bearer header.", "Detail",
                json!({ "detail": "CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins." })),
            "NotInstructor": error_response("Without the instructor cookie (or from another site).", "Detail",
                json!({ "detail": "Only the instructor can do this: log in at /instructor with the instructor secret." })),
            "LabOff": error_response("Lab controls are off (--no-lab).", "Detail", json!({ "detail": "Not found." }))
        },
        "schemas": {
            "Object": { "type": "object", "description": "A JSON object; the lab pages show each field." },
            "Empty": { "type": "object", "maxProperties": 0 },
            "Status": { "type": "object", "required": ["status"], "properties": { "status": { "const": "ok" } } },
            "Ping": { "type": "object", "required": ["ping"], "properties": { "ping": { "const": "pong" } } },
            "Detail": { "type": "object", "required": ["detail"], "properties": { "detail": { "type": "string" } } },
            "Error": {
                "type": "object",
                "description": "`{\"detail\": …}` or DRF's field map: each field name with a list of messages.",
                "additionalProperties": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] }
            },
            "Refusal": {
                "type": "object", "required": ["detail"],
                "properties": {
                    "detail": { "type": "string" },
                    "code": { "enum": ["no_login", "signature_refused", "unknown_session", "key_rotated", "login_expired"] }
                }
            },
            "TokenError": {
                "type": "object", "required": ["detail", "code"],
                "properties": {
                    "detail": { "type": "string" },
                    "code": { "enum": ["token_not_valid", "bad_authorization_header", "user_not_found", "user_inactive"] },
                    "messages": { "type": "array", "items": {
                        "type": "object",
                        "properties": { "token_class": { "type": "string" }, "token_type": { "type": "string" }, "message": { "type": "string" } }
                    } }
                }
            },
            "ApiUser": {
                "type": "object", "required": ["id", "username", "email"],
                "properties": { "id": { "type": "integer" }, "username": { "type": "string" }, "email": { "type": "string", "format": "email" } }
            },
            "TokenLogin": {
                "type": "object", "required": ["username", "password"],
                "description": "DRF's obtain_auth_token: the e-mail goes in `username`. JSON, a form or multipart.",
                "properties": { "username": { "type": "string", "examples": ["alice@example.com"] }, "password": { "type": "string", "format": "password" } }
            },
            "TokenKey": {
                "type": "object", "required": ["token"],
                "properties": { "token": { "type": "string", "pattern": "^[0-9a-f]{40}$" } }
            },
            "UsernameChange": {
                "type": "object", "required": ["username"],
                "properties": { "username": { "type": "string", "maxLength": 150 } }
            },
            "JwtLogin": {
                "type": "object", "required": ["email", "password"],
                "properties": { "email": { "type": "string", "examples": ["alice@example.com"] }, "password": { "type": "string", "format": "password" } }
            },
            "TokenPair": {
                "type": "object", "required": ["access"],
                "description": "A refresh answers with the rotated refresh token too (ROTATE_REFRESH_TOKENS).",
                "properties": { "access": { "type": "string" }, "refresh": { "type": "string" } }
            },
            "Refresh": { "type": "object", "required": ["refresh"], "properties": { "refresh": { "type": "string" } } },
            "Verify": { "type": "object", "required": ["token"], "properties": { "token": { "type": "string" } } },
            "Claims": {
                "type": "object",
                "description": "Extra claims to sign into the presented access token (same exp and jti), to watch it grow.",
                "properties": { "claims": { "type": "object" } }
            },
            "Grown": {
                "type": "object",
                "properties": {
                    "access": { "type": "string" },
                    "payload_bytes": { "type": "integer" },
                    "token_bytes": { "type": "integer" },
                    "header_bytes": { "type": "integer" }
                }
            },
            "DefaultUser": {
                "type": "object", "required": ["username", "password"],
                "properties": { "username": { "type": "string" }, "password": { "type": "string", "format": "password" } }
            },
            "Replay": {
                "type": "object", "required": ["cookie"],
                "description": "A copied cookie value, replayed by the server against the real route.",
                "properties": { "cookie": { "type": "string", "maxLength": 8192 } }
            },
            "Replayed": {
                "type": "object",
                "description": "What the real route answered to the copied cookie: its status and body.",
                "properties": { "status": { "type": "integer" }, "body": {} }
            },
            "Sizes": { "type": "object", "properties": { "sizes": { "type": "array", "items": { "type": "integer", "minimum": 1 } } } },
            "Load": { "type": "object", "required": ["count"], "properties": { "count": { "type": "integer", "minimum": 1 } } },
            "Clock": {
                "type": "object",
                "properties": { "now": { "type": "string", "format": "date-time" }, "now_text": { "type": "string" }, "now_unix": { "type": "integer", "description": "Unix seconds on the lab clock." }, "offset_seconds": { "type": "integer" } }
            },
            "ClockChange": {
                "type": "object",
                "properties": { "advance": { "type": "string", "examples": ["10m", "1d"] }, "reset": { "type": "boolean" } }
            },
            "Labs": { "type": "object", "required": ["labs"], "properties": { "labs": { "type": "integer", "description": "How many labs it changed." } } },
            "Matrix": { "type": "object", "properties": { "rotate_keys": { "type": "boolean" } } },
            "Kept": { "type": "object", "required": ["logins"], "properties": { "logins": { "type": "integer", "minimum": 1, "maximum": 10 } } },
            "Reset": { "type": "object", "required": ["confirm"], "properties": { "confirm": { "const": true } } }
        }
    })
}

/// One row of the `/api` page.
pub struct Row {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path.
    pub path: &'static str,
    /// Its summary in the page's language.
    pub summary: String,
    /// The credential it takes, as a header or cookie line.
    pub credential: &'static str,
    /// Only with lab controls on.
    pub lab: bool,
}

/// `GET /api`: the operations as a plain page, with a link to the document.
#[derive(Template, WebTemplate)]
#[template(path = "api.html")]
pub struct ApiPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    /// `scheme://host` as the reader reached this server.
    origin: String,
}

/// `GET /api`.
pub async fn page(ctx: PageCtx, req: HttpRequest) -> ApiPage {
    let rows = mounted(ctx.lab)
        .map(|o| Row {
            method: o.method.to_ascii_uppercase(),
            path: o.path,
            summary: ctx.t(format!("api.op.{}", o.id)),
            credential: match o.auth {
                Auth::None => "—",
                Auth::Token => "Authorization: Token …",
                Auth::Bearer => "Authorization: Bearer …",
                Auth::Cookie => "Cookie: authlab_cookie=…",
                Auth::Session => "Cookie: sessionid=…",
                Auth::Optional => "(any)",
                Auth::Instructor => "Cookie: authlab_instructor=…",
            },
            lab: o.lab,
        })
        .collect();
    let info = req.connection_info();
    ApiPage {
        origin: format!("{}://{}", info.scheme(), info.host()),
        ctx,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::{OPERATIONS, build};

    #[test]
    fn every_operation_has_one_method_per_path_and_a_summary_in_both_languages() {
        let mut seen = std::collections::HashSet::new();
        for o in OPERATIONS {
            assert!(
                seen.insert((o.method, o.path)),
                "{} {} twice",
                o.method,
                o.path
            );
            for lang in [crate::i18n::Lang::En, crate::i18n::Lang::Ko] {
                let key = format!("api.op.{}", o.id);
                assert!(
                    crate::i18n::has_key(lang, &key),
                    "{key} missing in {}",
                    lang.code()
                );
            }
        }
        let doc = build(true, "http://127.0.0.1:8080");
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
