//! English and Korean: which language a request reads, and the catalog lookup every page text goes through.
//!
//! The catalogs are `locales/*.yml` (`en.yml`, `ko.yml` and one pair per room), compiled in by
//! rust-i18n. A request's
//! language comes from `?lang=`, then the `lang` cookie, then `Accept-Language`, then English.

use actix_web::HttpRequest;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// The cookie that remembers the language choice (HttpOnly: only the server reads it).
pub const LANG_COOKIE: &str = "lang";

/// A language authlab's pages speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// English, the default.
    #[default]
    En,
    /// Korean, the language of the notes.
    Ko,
}

impl Lang {
    /// Both languages, in the order the switch shows them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The BCP 47 code, as in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }

    /// Reads a code such as `ko`, `ko-KR` or `EN`; anything else is `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The language a request asked for: `?lang=`, the `lang` cookie, `Accept-Language`, or English.
    pub fn of(req: &HttpRequest) -> Lang {
        query_lang(req.query_string())
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
            .or_else(|| {
                req.headers()
                    .get(actix_web::http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(from_accept_language)
            })
            .unwrap_or_default()
    }

    /// The catalog text for `key` in this language (English when the key is missing here).
    pub fn t(self, key: &str) -> String {
        crate::_rust_i18n_try_translate(self.code(), key)
            .map(|text| text.into_owned())
            .unwrap_or_else(|| key.to_owned())
    }

    /// A duration as people write it in this language, in its largest whole unit: `5 seconds`,
    /// `8 hours`, `1 day`; `5초`, `8시간`, `1일`.
    pub fn duration(self, seconds: i64) -> String {
        let (n, unit) = match seconds {
            s if s != 0 && s % 86_400 == 0 => (s / 86_400, "day"),
            s if s != 0 && s % 3_600 == 0 => (s / 3_600, "hour"),
            s if s != 0 && s % 60 == 0 => (s / 60, "minute"),
            s => (s, "second"),
        };
        let key = format!("unit.{unit}{}", if n == 1 { "_one" } else { "" });
        self.t_with(&key, &[("n", &n.to_string())])
    }

    /// The catalog text for `key` with each `%{name}` replaced by its value.
    pub fn t_with(self, key: &str, args: &[(&str, &str)]) -> String {
        args.iter().fold(self.t(key), |text, (name, value)| {
            text.replace(&format!("%{{{name}}}"), value)
        })
    }
}

/// The catalog keys page script uses; `base.html` hands them to `static/common.js` as JSON.
pub const JS_KEYS: &[&str] = &[
    "js.challenges.state.not_started",
    "js.challenges.state.started",
    "js.challenges.state.solved",
    "js.challenges.solved_by",
    "js.challenges.summary",
    "js.challenges.clear_confirm",
    "js.challenges.cleared",
    "js.copy",
    "js.bytes",
    "js.span.days_only",
    "js.span.hours_only",
    "js.span.minutes_only",
    "js.compare.kept_range",
    "js.compare.kept_busy",
    "js.jwt.claim_reserved",
    "js.span.days",
    "js.span.hours",
    "js.span.minutes",
    "js.copied",
    "js.refusal.signature_refused",
    "js.refusal.unknown_session",
    "js.refusal.no_login",
    "js.refusal.key_rotated",
    "js.refusal.login_expired",
    "js.compare.kept_cookie",
    "js.compare.kept_rows",
    "js.compare.holds_cookie",
    "js.compare.holds_token",
    "js.compare.holds_jwt",
    "js.compare.sends",
    "js.session.load_request",
    "js.session.load_plans",
    "js.session.load_request_none",
    "js.session.load_bytes",
    "js.jwt.forged_accepted",
    "js.jwt.claim_name_needed",
    "js.jwt.claims_none",
    "js.jwt.default_user_payload",
    "js.lab.clock_failed",
    "js.lab.queued",
    "js.lab.clock_moved",
    "js.replay.accepted",
    "js.replay.refused",
    "js.cookie.kept_yes",
    "js.cookie.kept_no",
    "js.cookie.kept_copy",
    "js.cookie.no_copy",
    "js.session.panel_cost",
    "js.session.load_working",
    "js.session.load_done",
    "js.session.load_cleared",
    "js.session.busy_progress",
    "js.session.busy_done",
    "js.common.http_status",
    "js.token.no_key",
    "js.token.signed_in",
    "js.token.key_refused",
    "js.token.age",
    "js.token.totals",
    "js.token.login_first",
    "js.token.password_needed",
    "js.token.device_keys",
    "js.token.same_key",
    "js.token.different_key",
    "js.token.no_device",
    "js.token.device_answer",
    "js.token.year_answer",
    "js.token.regenerated",
    "js.token.no_old_key",
    "js.token.old_key_answer",
    "js.jwt.times",
    "js.jwt.expires_in",
    "js.jwt.expired",
    "js.jwt.signed_in",
    "js.jwt.refreshed",
    "js.jwt.refused",
    "js.jwt.totals",
    "js.jwt.login_first",
    "js.jwt.bad_json",
    "js.jwt.expired_answer",
    "js.jwt.refreshed_answer",
    "js.jwt.logged_out",
    "js.jwt.no_copy",
    "js.jwt.no_token_key",
    "js.jwt.tabs_answers",
    "js.jwt.tabs_family",
    "js.jwt.tabs_same",
    "js.jwt.tabs_no_copy",
    "js.compare.cost",
    "js.compare.signed_in",
    "js.compare.anonymous",
    "js.compare.nothing",
    "js.compare.cookie_server",
    "js.compare.session_row",
    "js.compare.no_row",
    "js.compare.session_totals",
    "js.compare.token_row",
    "js.compare.token_totals",
    "js.compare.jwt_server",
    "js.compare.never",
    "js.compare.login_failed",
    "js.compare.skipped",
    "js.compare.devices_server",
    "js.compare.devices_first_after",
    "js.compare.devices_after",
    "js.compare.second_server_cells",
    "js.compare.second_server_claims",
    "js.compare.reset_confirm",
    "js.instructor.learners",
    "js.instructor.clock_done",
    "js.instructor.rotate_done",
    "js.instructor.reset_done",
    "js.presenter.previous",
    "js.presenter.next",
    "js.presenter.leave",
    "js.presenter.step",
    "js.inspector.count",
    "js.inspector.count_one",
    "js.inspector.forbidden_header",
    "js.inspector.open",
    "js.inspector.close",
    "js.inspector.copy_curl",
    "js.inspector.edit",
    "js.inspector.send",
    "js.inspector.method",
    "js.inspector.headers",
    "js.inspector.headers_hint",
    "js.inspector.body",
    "js.inspector.credential",
    "js.inspector.cred_as_sent",
    "js.inspector.cred_none",
    "js.inspector.cred_cookies",
    "js.inspector.cred_token",
    "js.inspector.cred_jwt",
    "js.inspector.no_token",
    "js.inspector.no_jwt",
    "js.inspector.bad_header",
    "js.inspector.same_site_only",
    "js.inspector.original",
    "js.inspector.resent",
    "js.inspector.via_form",
    "js.inspector.via_resend",
    "js.inspector.request_headers",
    "js.inspector.response_headers",
    "js.inspector.by_browser",
    "js.inspector.by_server",
    "js.inspector.landed",
    "js.inspector.form_note",
    "js.inspector.opaque_redirect",
    "js.inspector.your_password",
    "js.inspector.binary_body",
    "js.inspector.har_form",
    "js.workbench.part_header",
    "js.workbench.part_payload",
    "js.workbench.part_signature",
    "js.workbench.part_token",
    "js.workbench.err_parts",
    "js.workbench.err_empty",
    "js.workbench.err_padding",
    "js.workbench.err_char",
    "js.workbench.err_length",
    "js.workbench.err_utf8",
    "js.workbench.err_json",
    "js.workbench.err_object",
    "js.workbench.sig_empty",
    "js.workbench.json_error",
    "js.workbench.json_object",
    "js.workbench.claim_exp",
    "js.workbench.claim_iat",
    "js.workbench.claim_nbf",
    "js.workbench.claim_not_number",
    "js.workbench.alg_other",
    "js.workbench.how_none",
    "js.workbench.how_signed",
    "js.workbench.how_empty",
    "js.workbench.how_kept",
    "js.workbench.how_kept_edited",
    "js.workbench.breakdown",
    "js.workbench.vs_drf_more",
    "js.workbench.vs_drf_less",
    "js.workbench.verify_no_token",
    "js.workbench.verify_unreadable",
    "js.workbench.verify_unsigned",
    "js.workbench.verify_need_secret",
    "js.workbench.verified",
    "js.workbench.not_verified",
    "js.workbench.verify_other_alg",
    "js.workbench.no_mine",
    "js.workbench.loaded_mine",
    "js.workbench.nothing_to_send",
    "js.workbench.sending",
    "js.workbench.send_failed",
    "js.workbench.words_failed",
    "js.workbench.words_loaded",
    "js.workbench.crack_no_token",
    "js.workbench.crack_unsigned",
    "js.workbench.crack_no_words",
    "js.workbench.crack_working",
    "js.workbench.crack_none",
    "js.workbench.crack_found",
];

/// The script strings in `lang`, as the JSON object `static/common.js` reads.
pub fn js_strings(lang: Lang) -> String {
    let map: serde_json::Map<String, serde_json::Value> = JS_KEYS
        .iter()
        .map(|key| ((*key).to_owned(), serde_json::Value::String(lang.t(key))))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// Whether `key` is in the catalog of `lang` itself (no fallback): what the catalog tests check.
pub fn has_key(lang: Lang, key: &str) -> bool {
    crate::_rust_i18n_backend()
        .translate(lang.code(), key)
        .is_some()
}

/// The language a `?lang=` in `query` chooses, when it names a supported one.
pub fn query_lang(query: &str) -> Option<Lang> {
    query_lang_value(query).and_then(Lang::parse)
}

fn query_lang_value(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "lang")
        .map(|(_, value)| value)
}

/// Picks the first supported language from an `Accept-Language` header, honouring `q` weights.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut choices: Vec<(f32, Lang)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let lang = Lang::parse(parts.next()?)?;
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, lang))
        })
        .collect();
    choices.sort_by(|a, b| b.0.total_cmp(&a.0));
    choices.first().map(|(_, lang)| *lang)
}

/// Middleware: a supported `?lang=` is remembered in the `lang` cookie (HttpOnly — no script reads
/// it —, SameSite=Lax, Secure over https, a year).
pub async fn remember_choice(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let chosen = query_lang(req.query_string());
    let secure = req
        .app_data::<actix_web::web::Data<crate::config::Settings>>()
        .is_some_and(|s| s.secure_cookies());
    let mut res = next.call(req).await?;
    if let Some(lang) = chosen {
        let cookie = Cookie::build(LANG_COOKIE, lang.code())
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(365))
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_honours_weights_and_skips_unknown_languages() {
        assert_eq!(
            from_accept_language("ko-KR,ko;q=0.9,en;q=0.8"),
            Some(Lang::Ko)
        );
        assert_eq!(
            from_accept_language("fr-FR, en;q=0.5, ko;q=0.7"),
            Some(Lang::Ko)
        );
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language("ko;q=0, en;q=0.1"), Some(Lang::En));
    }

    #[test]
    fn unknown_codes_are_not_languages() {
        assert_eq!(Lang::parse("xx"), None);
        assert_eq!(Lang::parse(""), None);
        assert_eq!(Lang::parse("KO"), Some(Lang::Ko));
    }
}
