//! Sequence diagrams of each scheme's flow — login, an authenticated request, (JWT: expiry and
//! refresh), logout — drawn as SVG from one small description per scheme. The wire text stays as
//! it is on the wire; the notes under each arrow (what each side holds now) come from the catalogs.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::i18n::Lang;
use crate::schemes::scheme::Scheme;
use crate::web::error::AppError;

/// Who sends a message.
#[derive(Clone, Copy)]
enum From {
    Browser,
    Server,
}

/// One arrow: who sends it, the exact wire text, and whether it is a refusal.
struct Step {
    from: From,
    wire: &'static str,
    refused: bool,
}

const fn up(wire: &'static str) -> Step {
    Step {
        from: From::Browser,
        wire,
        refused: false,
    }
}

const fn down(wire: &'static str) -> Step {
    Step {
        from: From::Server,
        wire,
        refused: false,
    }
}

const fn refused(wire: &'static str) -> Step {
    Step {
        from: From::Server,
        wire,
        refused: true,
    }
}

/// The flow of each scheme: each arrow carries only what crosses the wire (the same in every
/// language); the note of step `n`, the catalog key `diagram.<scheme>.<n>`, says what it means.
fn flow(scheme: Scheme) -> &'static [Step] {
    match scheme {
        Scheme::Cookie => COOKIE_FLOW,
        Scheme::Session => SESSION_FLOW,
        Scheme::Token => TOKEN_FLOW,
        Scheme::Jwt => JWT_FLOW,
    }
}

const COOKIE_FLOW: &[Step] = &[
    up("POST /cookie/login  email, password"),
    down("303  Set-Cookie: authlab_cookie=<HMAC><state>"),
    up("GET /cookie/me  Cookie: authlab_cookie=…"),
    down("200  /cookie/me"),
    up("POST /cookie/logout"),
    down("303  Set-Cookie: authlab_cookie=; Max-Age=0"),
];

const SESSION_FLOW: &[Step] = &[
    up("POST /session/login  email, password"),
    down("303  Set-Cookie: sessionid=<key>"),
    up("GET /session/me  Cookie: sessionid=…"),
    down("200  /session/me"),
    up("POST /session/logout"),
    down("303  Set-Cookie: sessionid=; Max-Age=0"),
];

const TOKEN_FLOW: &[Step] = &[
    up("POST /token/api/login  {username, password}"),
    down("200  {\"token\": \"<40 hex>\"}"),
    up("GET /token/api/me  Authorization: Token …"),
    down("200  {\"id\": 1, \"email\": …}"),
    up("POST /token/api/logout  Authorization: Token …"),
    down("200  {\"detail\": \"Logged out: …\"}"),
];

const JWT_FLOW: &[Step] = &[
    up("POST /jwt/api/token  {email, password}"),
    down("200  {\"refresh\": …, \"access\": …}"),
    up("GET /jwt/api/me  Authorization: Bearer <access>"),
    down("200  {\"id\": 1, \"email\": …}"),
    up("GET /jwt/api/me  Authorization: Bearer <access>"),
    refused("401  Token is expired"),
    up("POST /jwt/api/token/refresh  {refresh}"),
    down("200  {\"access\": …, \"refresh\": …}"),
    up("POST /jwt/api/token/blacklist  {refresh}"),
    down("200  {}"),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws the flow of `scheme` with notes in `lang`.
pub fn svg(scheme: Scheme, lang: Lang) -> String {
    let steps = flow(scheme);
    let (left, right, width, row) = (150, 810, 960, 74);
    let top = 70;
    let height = top + steps.len() as i32 * row + 30;
    let colour = scheme.colour();
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="system-ui, 'Noto Sans KR', 'Apple SD Gothic Neo', sans-serif" role="img" aria-label="{title}">
<rect width="100%" height="100%" fill="#ffffff"/>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>
<marker id="arrow-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b42318"/></marker></defs>
<text x="{width_half}" y="24" text-anchor="middle" font-size="18" font-weight="700" fill="#1f2328">{title}</text>
<rect x="{bx}" y="36" width="140" height="28" rx="6" fill="{colour}"/><text x="{left}" y="55" text-anchor="middle" font-size="14" fill="#fff">{browser}</text>
<rect x="{sx}" y="36" width="140" height="28" rx="6" fill="{colour}"/><text x="{right}" y="55" text-anchor="middle" font-size="14" fill="#fff">{server}</text>
<line x1="{left}" y1="64" x2="{left}" y2="{bottom}" stroke="#8c959f" stroke-dasharray="4 4"/>
<line x1="{right}" y1="64" x2="{right}" y2="{bottom}" stroke="#8c959f" stroke-dasharray="4 4"/>
"##,
        title = escape(&lang.t(&format!("diagram.{}.title", scheme.slug()))),
        width_half = width / 2,
        bx = left - 70,
        sx = right - 70,
        browser = escape(&lang.t("diagram.browser")),
        server = escape(&lang.t("diagram.server")),
        bottom = height - 10,
    );
    for (i, step) in steps.iter().enumerate() {
        let y = top + i as i32 * row + 26;
        let (x1, x2) = match step.from {
            From::Browser => (left + 4, right - 4),
            From::Server => (right - 4, left + 4),
        };
        let (stroke, marker) = if step.refused {
            ("#b42318", "arrow-bad")
        } else {
            (colour, "arrow")
        };
        let note = lang.t(&format!("diagram.{}.{}", scheme.slug(), i + 1));
        out.push_str(&format!(
            r##"<text x="{mid}" y="{ty}" text-anchor="middle" font-size="13" font-family="ui-monospace, Menlo, Consolas, monospace" fill="#1f2328">{wire}</text>
<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{stroke}" stroke-width="2.5" marker-end="url(#{marker})"/>
<text x="{mid}" y="{ny}" text-anchor="middle" font-size="12.5" fill="#57606a">{note}</text>
"##,
            mid = (left + right) / 2,
            ty = y - 8,
            ny = y + 20,
            wire = escape(step.wire),
            note = escape(&note),
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// The number of notes each scheme's diagram reads from the catalogs (for the catalog test).
pub fn note_keys() -> Vec<String> {
    let mut keys = vec!["diagram.browser".to_owned(), "diagram.server".to_owned()];
    for scheme in Scheme::ALL {
        keys.push(format!("diagram.{}.title", scheme.slug()));
        for i in 1..=flow(scheme).len() {
            keys.push(format!("diagram.{}.{i}", scheme.slug()));
        }
    }
    keys
}

/// `GET /diagram/{scheme}.svg`.
pub async fn diagram(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let slug = name.strip_suffix(".svg").ok_or(AppError::NotFound)?;
    let scheme = Scheme::ALL
        .into_iter()
        .find(|s| s.slug() == slug)
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg(scheme, Lang::of(&req))))
}
