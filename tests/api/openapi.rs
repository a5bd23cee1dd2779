//! The OpenAPI description at `/api/openapi.json` against the routes the app really mounts.

use std::collections::BTreeSet;

use actix_web::{App, HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::common::{spawn_app, spawn_app_with};

/// The routes that answer HTML (pages, form posts, files), so are not in the JSON description.
const NOT_JSON: &[&str] = &[
    "/",
    "/signup",
    "/users",
    "/compare",
    "/account/password",
    "/api",
    "/cookie",
    "/cookie/login",
    "/cookie/logout",
    "/cookie/me",
    "/lab/vulnerable/naive-cookie",
    "/cookie/lab/tamper",
    "/session",
    "/session/login",
    "/session/logout",
    "/session/me",
    "/session/panel",
    "/session/devices",
    "/session/devices/others/revoke",
    "/session/devices/{id}/revoke",
    "/session/lab/anonymous",
    "/lab/join",
    "/challenges",
    "/challenges/{id}",
    "/jwt/workbench",
    "/lab/vulnerable/csrf",
    "/lab/vulnerable/csrf/username",
    "/lab/vulnerable/fixation",
    "/lab/vulnerable/fixation/key",
    "/lab/vulnerable/fixation/login",
    "/lab/vulnerable/fixation/logout",
    "/lab/vulnerable/xss",
    "/lab/vulnerable/jwt/weak-secret/wordlist.txt",
    "/lab/vulnerable/jwt/alg-confusion/public.pem",
    "/instructor",
    "/instructor/login",
    "/token",
    "/jwt",
    "/diagram/{name}",
    "/static/{file}",
];

/// Every route pattern the app mounts, read from actix's own resource map: the leaves of the
/// tree its `Debug` prints, each with its scopes' prefixes in front.
async fn mounted_patterns(app: &crate::common::TestApp) -> BTreeSet<String> {
    async fn tree(req: HttpRequest) -> HttpResponse {
        HttpResponse::Ok().body(format!("{:#?}", req.resource_map()))
    }
    let pool = authlab::db::open(&app.db_path).expect("the test database opens");
    let service = actix_web::test::init_service(
        App::new()
            .route("/__tree", web::get().to(tree))
            .configure(authlab::startup::configure(app.state.get_ref(), &pool)),
    )
    .await;
    let req = actix_web::test::TestRequest::get()
        .uri("/__tree")
        .to_request();
    let body = actix_web::test::call_and_read_body(&service, req).await;
    let text = String::from_utf8(body.to_vec()).expect("the tree is text");
    let lines: Vec<&str> = text.lines().collect();
    let mut stack: Vec<(usize, Option<String>)> = Vec::new();
    let mut leaves = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        match line.trim() {
            "ResourceMap {" => {
                while stack.last().is_some_and(|(at, _)| *at >= indent) {
                    stack.pop();
                }
                stack.push((indent, None));
            }
            "patterns: Single(" => {
                if let Some((_, pattern @ None)) = stack.last_mut() {
                    let next = lines[i + 1].trim().trim_end_matches(',').trim_matches('"');
                    *pattern = Some(next.to_owned());
                }
            }
            "nodes: None," if stack.last().is_some_and(|(at, _)| *at + 4 == indent) => {
                let path: String = stack.iter().filter_map(|(_, p)| p.as_deref()).collect();
                leaves.insert(path);
            }
            _ => {}
        }
    }
    leaves.remove("/__tree");
    assert!(leaves.len() > 40, "the resource map was read: {leaves:?}");
    leaves
}

fn documented_paths(doc: &Value) -> BTreeSet<String> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect()
}

/// Every `$ref` in `value`, recursively.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_openapi_document_lists_every_json_route_the_app_mounts_and_nothing_else() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/api/openapi.json", app.address))
        .send()
        .await
        .expect("the document answers");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = res.json().await.expect("the document is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], app.address);

    let mounted = mounted_patterns(&app).await;
    let documented = documented_paths(&doc);
    let json_routes: BTreeSet<String> = mounted
        .iter()
        .filter(|p| !NOT_JSON.contains(&p.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        json_routes, documented,
        "mounted JSON routes (left) and the OpenAPI paths (right) differ"
    );
    for page in NOT_JSON {
        assert!(
            mounted.contains(*page),
            "{page} is listed as a page but not mounted"
        );
    }

    // Every `$ref` points at something the document defines.
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(targets.len() > 50);
    for target in targets {
        let pointer = target.strip_prefix('#').expect("local references only");
        assert!(doc.pointer(pointer).is_some(), "{target} is not defined");
    }

    // Each operation is really there with the method it documents: a JSON body it documents is
    // read as JSON (text/plain is DRF's 415), and nothing is a 404 or a 405.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let url = format!("{}{path}", app.address);
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let takes_json = operation.get("requestBody").is_some();
            let mut request = app.client.request(method.clone(), &url);
            if takes_json {
                request = request.header("content-type", "text/plain").body("x");
            }
            let res = request.send().await.expect("the operation answers");
            let status = res.status().as_u16();
            assert!(
                !matches!(status, 404 | 405),
                "{method} {path} answered {status}: documented but not mounted"
            );
            if takes_json {
                assert!(
                    matches!(status, 415 | 401),
                    "{method} {path} documents a JSON body but took text/plain with {status}"
                );
            }
            assert!(
                res.headers()["content-type"]
                    .to_str()
                    .is_ok_and(|t| t.starts_with("application/json"))
                    || status == 204,
                "{method} {path} is documented as JSON but answered {:?}",
                res.headers().get("content-type")
            );
            let responses = operation["responses"].as_object().expect("responses");
            let documented_ok = responses.keys().any(|code| code.starts_with('2'));
            assert!(documented_ok, "{method} {path} documents no success");
        }
    }

    // What CI validates against the OpenAPI 3.1 schema (openapi-spec-validator, see .ci/run).
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&doc).expect("serialises")).expect("written");
}

#[actix_web::test]
async fn without_lab_controls_the_document_and_the_page_leave_the_lab_actions_out() {
    let app = spawn_app_with(|s| {
        s.lab = false;
        s.no_lab = true;
    })
    .await;
    let doc: Value = app
        .client
        .get(format!("{}/api/openapi.json", app.address))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let paths = documented_paths(&doc);
    assert!(paths.contains("/jwt/api/token"));
    assert!(
        paths.iter().all(|p| !p.contains("/lab/")),
        "lab paths listed with --no-lab: {paths:?}"
    );
    let mounted = mounted_patterns(&app).await;
    let page = app
        .client
        .get(format!("{}/api?lang=en", app.address))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(page.contains("Lab controls are off on this server"));
    assert!(page.contains("/jwt/api/token/refresh"));
    assert!(!page.contains("/lab/clock"));
    assert!(
        mounted.contains("/lab/clock"),
        "lab routes stay mounted behind their guard"
    );
}

#[actix_web::test]
async fn the_api_page_lists_each_operation_in_the_reader_s_language() {
    let app = spawn_app().await;
    for (lang, heading, summary) in [
        (
            "en",
            "The JSON API",
            "Deletes the key (the only way to end a DRF token).",
        ),
        (
            "ko",
            "JSON API",
            "키를 지웁니다. DRF 토큰을 끝내는 유일한 방법입니다.",
        ),
    ] {
        let page = app
            .client
            .get(format!("{}/api?lang={lang}", app.address))
            .send()
            .await
            .expect("answers")
            .text()
            .await
            .expect("text");
        assert!(page.contains(heading), "{lang}: heading");
        assert!(page.contains(summary), "{lang}: a summary");
        assert!(page.contains("href=\"/api/openapi.json\""));
        assert!(
            !page.contains("https://"),
            "{lang}: the page loads nothing from outside"
        );
    }
}
