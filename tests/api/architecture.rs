//! The layers point one way. Reads every `crate::…` path in `src/` (the `use` lines, grouped
//! ones included, and paths written inline), maps each module to its layer, and fails with the
//! offending line when a module reaches a layer it may not, when a room reaches another room, or
//! when the layers' graph has a cycle. README "Layout" and docs/layers.md draw the same rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first, and the layers each may import (besides itself).
const LAYERS: &[(&str, &[&str])] = &[
    ("clock", &[]),
    ("meter", &[]),
    ("config", &[]),
    ("i18n", &["config"]),
    ("db", &["clock", "meter", "config"]),
    ("users", &["db", "clock", "meter", "config"]),
    ("keys", &["db", "config"]),
    ("challenges", &["db", "clock", "config"]),
    (
        "state",
        &["keys", "users", "db", "clock", "meter", "config", "i18n"],
    ),
    (
        "web",
        &["keys", "users", "db", "clock", "meter", "config", "i18n"],
    ),
    (
        "classroom",
        &[
            "state", "web", "keys", "users", "db", "clock", "meter", "config", "i18n",
        ],
    ),
    (
        "schemes",
        &[
            "challenges",
            "web",
            "state",
            "keys",
            "users",
            "db",
            "clock",
            "meter",
            "config",
            "i18n",
        ],
    ),
    (
        "pages",
        &[
            "challenges",
            "classroom",
            "schemes",
            "web",
            "state",
            "keys",
            "users",
            "db",
            "clock",
            "meter",
            "config",
            "i18n",
        ],
    ),
    (
        "startup",
        &[
            "challenges",
            "classroom",
            "pages",
            "schemes",
            "web",
            "state",
            "keys",
            "users",
            "db",
            "clock",
            "meter",
            "config",
            "i18n",
        ],
    ),
];

/// The four rooms under `schemes/`.
const ROOMS: [&str; 4] = ["cookie", "session", "token", "jwt"];
/// The one module that may name two rooms: DRF's default authentication chain.
const CHAIN: &str = "schemes::drf_default";

/// One `crate::…` reference: where it is written and what it names.
#[derive(Debug, Clone)]
struct Reference {
    module: String,
    file: PathBuf,
    line: usize,
    text: String,
    target: String,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/schemes/jwt/claims.rs` → `schemes::jwt::claims`; `mod.rs` and `lib.rs` name their folder.
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).expect("under src/");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// `text` with its comments, string literals and char literals blanked out (line breaks kept,
/// so line numbers still match): what is left is code.
fn code_of(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_breaks = |s: &[char], out: &mut String| {
        out.extend(s.iter().filter(|c| **c == '\n'));
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let start = i;
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i = (i + 2).min(chars.len());
            keep_breaks(&chars[start..i], &mut out);
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let start = i;
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            keep_breaks(&chars[start..j.min(chars.len())], &mut out);
            i = j;
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            keep_breaks(&chars[start..i], &mut out);
        } else if c == '\'' {
            // A char literal ('x', '\n', '"'), not a lifetime ('a).
            let len = match (next, chars.get(i + 2), chars.get(i + 3)) {
                (Some('\\'), _, _) => chars[i + 2..]
                    .iter()
                    .position(|c| *c == '\'')
                    .map(|p| p + 3),
                (Some(_), Some('\''), _) => Some(3),
                _ => None,
            };
            match len {
                Some(len) => i += len,
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// `text` (code only) with every `super::` chain written as the `crate::` path it names, seen
/// from `module`: `super::store` in `schemes::session::labs` is `crate::schemes::session::store`.
fn absolute(text: &str, module: &str) -> String {
    let parts: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("super::") {
        let before = &rest[..at];
        let glued = before
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        out.push_str(before);
        if glued {
            out.push_str("super::");
            rest = &rest[at + "super::".len()..];
            continue;
        }
        let mut ups = 0;
        let mut tail = &rest[at..];
        while let Some(stripped) = tail.strip_prefix("super::") {
            ups += 1;
            tail = stripped;
        }
        let base = parts[..parts.len().saturating_sub(ups)].join("::");
        out.push_str("crate::");
        if !base.is_empty() {
            out.push_str(&base);
            out.push_str("::");
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Every path `text` names after `crate::`, groups expanded: `crate::a::{b, c::d}` names
/// `a::b` and `a::c::d`.
fn paths_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let prefix_end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(after.len());
        let prefix = after[..prefix_end].trim_end_matches(':').to_owned();
        if after[prefix_end..].starts_with('{') {
            let group = &after[prefix_end + 1..];
            let mut depth = 1;
            let mut end = group.len();
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain(std::iter::once(',')) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let head: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                            .collect();
                        let head = head.trim_end_matches(':');
                        if !head.is_empty() && head != "self" {
                            found.push(if prefix.is_empty() {
                                head.to_owned()
                            } else {
                                format!("{prefix}::{head}")
                            });
                        } else if head == "self" {
                            found.push(prefix.clone());
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            rest = &group[end.min(group.len())..];
        } else {
            found.push(prefix);
            rest = &after[prefix_end..];
        }
    }
    found
}

/// Every `crate::…` reference in `src/`, with the module it resolves to.
fn references() -> Vec<Reference> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let resolve = |path: &str| -> String {
        let parts: Vec<&str> = path.split("::").collect();
        for n in (1..=parts.len()).rev() {
            let candidate = parts[..n].join("::");
            if modules.contains(&candidate) {
                return candidate;
            }
        }
        parts[0].to_owned()
    };
    let mut refs = Vec::new();
    for file in files {
        let module = module_of(&file);
        let text = std::fs::read_to_string(&file).expect("readable");
        // Unit tests (the file's last item, `#[cfg(test)] mod tests`) may reach anything; and
        // their `super` is the file's own module, not its parent.
        let text = text
            .find("#[cfg(test)]\nmod tests")
            .map_or(text.as_str(), |at| &text[..at]);
        let code = code_of(text);
        // A `use` may span lines: join each statement so its groups are read whole.
        let mut statement = String::new();
        let mut start = 0;
        for (i, line) in code.lines().enumerate() {
            if statement.is_empty() {
                start = i + 1;
            }
            statement.push_str(line);
            statement.push(' ');
            let open = statement.matches('{').count() > statement.matches('}').count();
            let head = statement.trim_start();
            let head = head
                .strip_prefix("pub(crate) ")
                .or_else(|| head.strip_prefix("pub(super) "))
                .or_else(|| head.strip_prefix("pub "))
                .unwrap_or(head);
            if head.starts_with("use ") && open {
                continue;
            }
            for path in paths_in(&absolute(&statement, &module)) {
                let target = resolve(&path);
                if target != module && !target.starts_with('_') {
                    refs.push(Reference {
                        module: module.clone(),
                        file: file.clone(),
                        line: start,
                        text: statement.split_whitespace().collect::<Vec<_>>().join(" "),
                        target,
                    });
                }
            }
            statement.clear();
        }
    }
    refs
}

/// The layer a module belongs to (`main` and `lib` belong to none: they may name anything).
fn layer_of(module: &str) -> Option<&'static str> {
    let top = module.split("::").next().unwrap_or_default();
    LAYERS
        .iter()
        .map(|(name, _)| *name)
        .find(|name| *name == top)
}

/// The room a module is in, if it is in one.
fn room_of(module: &str) -> Option<&'static str> {
    let mut parts = module.split("::");
    (parts.next() == Some("schemes"))
        .then(|| parts.next())
        .flatten()
        .and_then(|second| ROOMS.iter().copied().find(|room| *room == second))
}

/// What is wrong with one reference, if anything.
fn broken_rule(r: &Reference) -> Option<String> {
    if r.module.is_empty() || r.module == "main" {
        return None;
    }
    let Some(from) = layer_of(&r.module) else {
        return Some(format!(
            "`{}` is in no layer: add it to LAYERS (and docs/layers.md)",
            r.module
        ));
    };
    let to = layer_of(&r.target);
    let Some(to) = to else {
        return Some(format!("names `{}`, which is in no layer", r.target));
    };
    if from != to {
        let allowed = LAYERS
            .iter()
            .find(|(name, _)| *name == from)
            .map(|(_, allowed)| *allowed)
            .unwrap_or_default();
        if !allowed.contains(&to) {
            return Some(format!("`{from}` may not import `{to}` (`{}`)", r.target));
        }
        return None;
    }
    if from == "schemes" && r.module != CHAIN {
        let target_room = room_of(&r.target);
        if target_room.is_some() && target_room != room_of(&r.module) {
            return Some(match room_of(&r.module) {
                Some(room) => format!(
                    "the {room} room imports another room (`{}`); only {CHAIN} names two",
                    r.target
                ),
                None => format!("a module every room shares imports a room (`{}`)", r.target),
            });
        }
    }
    if from == "schemes" && r.target == "schemes" {
        return Some("a room imports the schemes module itself: import `schemes::scheme`".into());
    }
    None
}

fn report(broken: &[(Reference, String)]) -> String {
    broken
        .iter()
        .map(|(r, why)| {
            format!(
                "{}:{}: {why}\n    {}",
                r.file
                    .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
                    .unwrap_or(&r.file)
                    .display(),
                r.line,
                r.text
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_import_points_down_the_layers_and_no_room_imports_another() {
    let refs = references();
    assert!(
        refs.len() > 100,
        "the reader found the crate's imports ({} of them)",
        refs.len()
    );
    let broken: Vec<(Reference, String)> = refs
        .iter()
        .filter_map(|r| broken_rule(r).map(|why| (r.clone(), why)))
        .collect();
    assert!(broken.is_empty(), "layering broken:\n{}", report(&broken));
}

#[test]
fn the_layers_form_no_cycle() {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in references() {
        if let (Some(from), Some(to)) = (layer_of(&r.module), layer_of(&r.target))
            && from != to
        {
            edges.entry(from).or_default().insert(to);
        }
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            panic!("the layers import each other: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn only_main_and_tests_reach_startup() {
    let reaching: Vec<(Reference, String)> = references()
        .into_iter()
        .filter(|r| r.target == "startup" && r.module != "main")
        .map(|r| (r, "imports startup, the composition root".to_owned()))
        .collect();
    assert!(reaching.is_empty(), "{}", report(&reaching));
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    assert_eq!(
        paths_in("use crate::schemes::{jwt, token::{self, store}};"),
        vec!["schemes::jwt", "schemes::token"]
    );
    assert_eq!(paths_in("use crate::{i18n, pages};"), vec!["i18n", "pages"]);
    assert_eq!(
        paths_in("let x = crate::web::hex(&b); crate::pages::lab::lab_only()"),
        vec!["web::hex", "pages::lab::lab_only"]
    );
    assert_eq!(
        code_of(r#"let s = "crate::pages"; // crate::startup"#),
        "let s = ; "
    );
    let forbidden = Reference {
        module: "schemes::cookie::labs".into(),
        file: src().join("schemes/cookie/labs.rs"),
        line: 1,
        text: "use crate::pages::lab::lab_only;".into(),
        target: "pages::lab".into(),
    };
    assert!(
        broken_rule(&forbidden).is_some(),
        "a room importing pages is caught"
    );
    let across = Reference {
        module: "schemes::jwt::extractor".into(),
        target: "schemes::token".into(),
        ..forbidden.clone()
    };
    assert!(
        broken_rule(&across).is_some(),
        "a room importing a room is caught"
    );
    let chain = Reference {
        module: CHAIN.into(),
        target: "schemes::token".into(),
        ..forbidden
    };
    assert!(
        broken_rule(&chain).is_none(),
        "the chain may name both rooms"
    );
}

#[test]
fn the_database_and_the_users_know_no_http() {
    let mut files = Vec::new();
    rust_files(&src().join("db"), &mut files);
    rust_files(&src().join("users"), &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        for (i, line) in text.lines().enumerate() {
            let code = code_of(line);
            if code.contains("actix")
                || code.contains("HttpRequest")
                || code.contains("HttpResponse")
            {
                found.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "HTTP in db/ or users/:\n{}",
        found.join("\n")
    );
}
