//! English and Korean: the catalogs agree, every key a page uses exists, and the choice sticks.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use authlab::i18n::{Lang, has_key};
use common::{spawn_app, spawn_app_with};
use reqwest::StatusCode;

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

/// The catalog files of `locale`: `en.yml` and every `<room>.en.yml`, by file name.
fn catalog_files(locale: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("locales/ exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name == &format!("{locale}.yml") || name.ends_with(&format!(".{locale}.yml"))
        })
        .collect();
    files.sort();
    files
}

fn file_keys(file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(file),
    )
    .expect("the catalog exists");
    let value: serde_json::Value = serde_saphyr::from_str(&text).expect("the catalog is YAML");
    let mut keys = BTreeSet::new();
    flatten("", &value, &mut keys);
    keys
}

fn catalog_keys(locale: &str) -> BTreeSet<String> {
    catalog_files(locale)
        .iter()
        .flat_map(|f| file_keys(f))
        .collect()
}

/// Every literal key passed to `t("…")`, `t_with("…")` or `t_key("…")` in the templates, scripts and sources.
fn keys_used_in_code() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut keys = BTreeSet::new();
    let mut stack = vec![
        root.join("templates"),
        root.join("src"),
        root.join("static"),
    ];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for marker in ["t(\"", "t_with(\"", "t_key(\""] {
                for (at, _) in text.match_indices(marker) {
                    let before = text[..at].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let rest = &text[at + marker.len()..];
                    let Some(end) = rest.find('"') else { continue };
                    let key = &rest[..end];
                    let looks_like_key = key.contains('.')
                        && !key.contains(['{', ' ', '/'])
                        && key.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                    if looks_like_key {
                        keys.insert(key.to_owned());
                    }
                }
            }
        }
    }
    keys
}

#[test]
fn every_english_catalog_file_has_a_korean_twin_with_the_same_keys() {
    let en_files = catalog_files("en");
    let mut ko_files: Vec<String> = en_files
        .iter()
        .map(|f| f.replacen("en.yml", "ko.yml", 1))
        .collect();
    ko_files.sort();
    assert_eq!(ko_files, catalog_files("ko"), "one ko file per en file");
    let en_files: Vec<String> = ko_files
        .iter()
        .map(|f| f.replacen("ko.yml", "en.yml", 1))
        .collect();
    for (en, ko) in en_files.iter().zip(&ko_files) {
        let (en_keys, ko_keys) = (file_keys(en), file_keys(ko));
        let only_en: Vec<_> = en_keys.difference(&ko_keys).collect();
        let only_ko: Vec<_> = ko_keys.difference(&en_keys).collect();
        assert!(
            only_en.is_empty(),
            "keys of {en} missing from {ko}: {only_en:?}"
        );
        assert!(
            only_ko.is_empty(),
            "keys of {ko} missing from {en}: {only_ko:?}"
        );
    }
}

#[test]
fn both_catalogs_have_exactly_the_same_keys() {
    let en = catalog_keys("en");
    let ko = catalog_keys("ko");
    let only_en: Vec<_> = en.difference(&ko).collect();
    let only_ko: Vec<_> = ko.difference(&en).collect();
    assert!(only_en.is_empty(), "keys missing from ko.yml: {only_en:?}");
    assert!(only_ko.is_empty(), "keys missing from en.yml: {only_ko:?}");
    assert!(
        en.len() > 100,
        "the catalogs hold the page texts ({} keys)",
        en.len()
    );
}

#[test]
fn every_key_the_code_uses_is_in_both_catalogs() {
    let mut used = keys_used_in_code();
    used.extend(authlab::pages::home::dynamic_keys());
    used.extend(authlab::pages::diagram::note_keys());
    used.extend(authlab::pages::compare::dynamic_keys());
    for status in authlab::web::error::EXPLAINED_STATUSES {
        used.insert(format!("error.{status}.title"));
        used.insert(format!("error.{status}.body"));
    }
    assert!(used.len() > 50, "the scan found the keys ({})", used.len());
    let missing: Vec<String> = used
        .iter()
        .flat_map(|key| {
            Lang::ALL
                .iter()
                .filter(|lang| !has_key(**lang, key))
                .map(move |lang| format!("{}:{key}", lang.code()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "keys used but not in a catalog: {missing:?}"
    );
}

#[test]
fn korean_text_is_korean() {
    let ko = catalog_keys("ko");
    let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
    let untranslated: Vec<&String> = ko
        .iter()
        .filter(|key| {
            let en = Lang::En.t(key);
            let text = Lang::Ko.t(key);
            text == en && en.split_whitespace().count() > 3 && !hangul(&text)
        })
        .collect();
    assert!(
        untranslated.is_empty(),
        "Korean entries still in English: {untranslated:?}"
    );
}

#[test]
fn every_key_page_script_uses_is_handed_to_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).expect("static/ exists").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for (at, _) in text.match_indices("t(\"js.") {
            let rest = &text[at + 3..];
            let key = &rest[..rest.find('"').unwrap_or(0)];
            if !authlab::i18n::JS_KEYS.contains(&key) {
                missing.push(key.to_owned());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add these to i18n::JS_KEYS: {missing:?}"
    );
}

#[actix_web::test]
async fn lang_ko_renders_the_overview_in_korean_and_the_choice_sticks() {
    let app = spawn_app().await;
    let (status, html) = app.page("/?lang=ko").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"ko\">"));
    assert!(html.contains("서버가 사용자를 기억하는 네 가지 방법"));

    let (_, users) = app.page("/users").await;
    assert!(
        users.contains("<html lang=\"ko\">"),
        "the lang cookie carries the choice"
    );
    assert!(users.contains("사용자"));

    let (_, back) = app.page("/signup?lang=en").await;
    assert!(back.contains("<html lang=\"en\">"));
    let (_, after) = app.page("/").await;
    assert!(after.contains("Four ways a server remembers you"));
}

#[actix_web::test]
async fn the_lang_cookie_keeps_the_security_defaults() {
    let lang_cookie = |res: &reqwest::Response| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("lang="))
            .expect("a lang cookie")
            .to_owned()
    };
    let app = spawn_app().await;
    let cookie = lang_cookie(&app.get("/?lang=ko").await);
    assert!(cookie.starts_with("lang=ko;"));
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    let https = spawn_app_with(|s| s.public_url = Some("https://authlab.example".into())).await;
    let cookie = lang_cookie(&https.get("/?lang=en").await);
    assert!(cookie.contains("Secure"), "over https: {cookie}");
}

#[actix_web::test]
async fn accept_language_picks_korean() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/"))
        .header("Accept-Language", "ko-KR,ko;q=0.9,en-US;q=0.8")
        .send()
        .await
        .expect("sent");
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("<html lang=\"ko\">"));
}

#[actix_web::test]
async fn an_unknown_lang_falls_back_to_english() {
    let app = spawn_app().await;
    for query in [
        "?lang=xx",
        "?lang=",
        "?lang=%FF%FE",
        "?lang=ko-KR-x-very-long-value-that-is-fine",
    ] {
        let (status, html) = app.page(&format!("/{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(
            html.contains("<html lang=\"en\">") || query.contains("ko-KR"),
            "{query}"
        );
    }
}

#[actix_web::test]
async fn error_pages_speak_the_reader_s_language() {
    let app = spawn_app().await;
    let (status, html) = app.page("/nowhere?lang=ko").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("찾을 수 없음"));
}

#[test]
fn no_korean_text_leaves_a_particle_for_the_reader_to_choose() {
    // `(으)로`, `(이)`, `(을)`, `(를)` are template leftovers no Korean writer would write: a
    // sentence is phrased so that its particle does not depend on the word before it.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("the catalogs") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name == "ko.yml" || name.ends_with(".ko.yml")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        for (n, line) in text.lines().enumerate() {
            for pattern in [
                "(으)", "(이)", "(을)", "(를)", "(은)", "(는)", "(과)", "(와)",
            ] {
                assert!(
                    !line.contains(pattern),
                    "{name}:{}: {pattern} in {line}",
                    n + 1
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 5, "the Korean catalogs were read ({checked})");
}

/// Every text of `locale`'s catalog files, by flattened key (`jwt.lab.expiry.advance`).
fn catalog_texts(locale: &str) -> std::collections::BTreeMap<String, String> {
    fn walk(
        prefix: &str,
        value: &serde_json::Value,
        out: &mut std::collections::BTreeMap<String, String>,
    ) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            serde_json::Value::String(text) => {
                out.insert(prefix.to_owned(), text.clone());
            }
            other => {
                out.insert(prefix.to_owned(), other.to_string());
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut texts = std::collections::BTreeMap::new();
    for file in catalog_files(locale) {
        let text = std::fs::read_to_string(dir.join(&file)).expect("the catalog exists");
        let value: serde_json::Value = serde_saphyr::from_str(&text).expect("the catalog is YAML");
        walk("", &value, &mut texts);
    }
    texts
}

/// The bare machine-style durations in `text` — what the regex `\b\d+\s?[smhd]\b` finds, with
/// `\b` an ASCII word boundary, so `30m이` counts: ASCII digits, at most one space, one of
/// `s m h d`, and no ASCII letter, digit or `_` on either side. A value given to a command-line
/// flag (`--refresh-grace 0s`, `--session-idle=30m`) is what the reader types, so it is not one.
fn bare_durations(text: &str) -> Vec<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let starts_a_number = c.is_ascii_digit() && (i == 0 || !word(chars[i - 1].1));
        if !starts_a_number {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].1.is_ascii_digit() {
            j += 1;
        }
        let unit_at = if j < chars.len() && chars[j].1 == ' ' {
            j + 1
        } else {
            j
        };
        let is_unit = unit_at < chars.len() && matches!(chars[unit_at].1, 's' | 'm' | 'h' | 'd');
        let ends_there = unit_at + 1 >= chars.len() || !word(chars[unit_at + 1].1);
        let before = text[..start].trim_end_matches([' ', '=']);
        let flag_value = before
            .rsplit(char::is_whitespace)
            .next()
            .and_then(|token| token.rsplit(['(', '[', '"', '\'']).next())
            .is_some_and(|token| token.starts_with("--") && token.len() > 2);
        if is_unit && ends_there && !flag_value {
            let end = chars.get(unit_at + 1).map_or(text.len(), |(at, _)| *at);
            found.push(text[start..end].to_owned());
        }
        i = j;
    }
    found
}

#[test]
fn the_duration_scanner_finds_what_readers_trip_over() {
    for text in [
        "30m이 지나면",
        "시계를 5m 앞으로",
        "액세스 토큰(5m)",
        "8h",
        "1 d, then",
    ] {
        assert!(!bare_durations(text).is_empty(), "should be found: {text}");
    }
    for text in [
        "5분이 지나면",
        "p99 ms",
        "약 4KB",
        "HMAC-SHA256",
        "desc=\"1 query\"",
        "(--refresh-grace 0s)",
        "없으면(--refresh-grace 0s)",
        "--refresh-grace 5s로",
        "ASVS 7.4.3",
    ] {
        assert_eq!(bare_durations(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn no_korean_text_writes_a_duration_the_way_a_flag_does() {
    // People write `5분`, `8시간`, `1일`; `5m`, `8h`, `1d` is how the command-line flags are
    // written, and reads as English in a Korean sentence.
    let ko = catalog_texts("ko");
    assert!(
        ko.len() > 100,
        "the Korean catalogs were read ({})",
        ko.len()
    );
    let offending: Vec<String> = ko
        .iter()
        .filter_map(|(key, text)| {
            let found = bare_durations(text);
            (!found.is_empty()).then(|| format!("{key}: {found:?}"))
        })
        .collect();
    assert!(
        offending.is_empty(),
        "Korean texts with machine-style durations (write 5분, 8시간, 1일): {offending:#?}"
    );
}

#[test]
fn no_korean_text_is_the_english_text_unless_it_is_a_name() {
    // Keys whose Korean text is rightly the English one, each with why.
    const SAME_IN_BOTH: &[&str] = &[
        // The name of the standard; Korean writers write JWT too.
        "scheme.jwt.name",
    ];
    let (en, ko) = (catalog_texts("en"), catalog_texts("ko"));
    let same: Vec<&String> = ko
        .iter()
        .filter(|(key, text)| en.get(*key) == Some(*text) && !SAME_IN_BOTH.contains(&key.as_str()))
        .map(|(key, _)| key)
        .collect();
    assert!(
        same.is_empty(),
        "Korean texts identical to the English ones (translate them, or allowlist a true wire \
         string, identifier or name): {same:?}"
    );
    let stale: Vec<&&str> = SAME_IN_BOTH
        .iter()
        .filter(|key| !ko.contains_key(**key) || ko.get(**key) != en.get(**key))
        .collect();
    assert!(
        stale.is_empty(),
        "allowlisted keys that are gone or now differ; drop them from SAME_IN_BOTH: {stale:?}"
    );
}
