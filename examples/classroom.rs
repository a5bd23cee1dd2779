//! The scripted class (`scripts/classroom` runs it against a release build): N learners at once,
//! each a browser with its own cookie jar and so its own private lab, through the whole sequence —
//! every page, a login to all four schemes, each scheme's `/me`, the replay matrix, two devices,
//! the second server, the expiry lab (+1 day, then back), and a reset. Prints one line of figures
//! as JSON: learners that completed, errors, page p50/p99, lab action p50/p99, busy answers.
//!
//! A 503 (every password-hashing place taken) is waited out for its `Retry-After`, as a learner
//! who reads "try again in a few seconds" does; it is counted, not an error.

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};

const PAGES: [&str; 8] = [
    "/", "/cookie", "/session", "/token", "/jwt", "/compare", "/users", "/api",
];

#[derive(Default)]
struct Run {
    /// The first page of each learner: the one that opens their lab.
    first_page: Vec<f64>,
    pages: Vec<f64>,
    actions: Vec<f64>,
    errors: Vec<String>,
    busy: u64,
}

struct Learner {
    client: Client,
    base: String,
    run: Run,
}

impl Learner {
    /// One request, waiting out 503s; returns the status and body, timing it into `kind`.
    async fn send(
        &mut self,
        kind: Kind,
        build: impl Fn(&Client) -> reqwest::RequestBuilder,
    ) -> (StatusCode, String) {
        loop {
            let started = Instant::now();
            let res = match build(&self.client).send().await {
                Ok(res) => res,
                Err(e) => return (StatusCode::from_u16(599).unwrap_or_default(), e.to_string()),
            };
            let status = res.status();
            if status == StatusCode::SERVICE_UNAVAILABLE {
                self.run.busy += 1;
                let wait = res
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1u64);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            let body = res.text().await.unwrap_or_default();
            let ms = started.elapsed().as_secs_f64() * 1_000.0;
            match kind {
                Kind::Page if self.run.first_page.is_empty() => self.run.first_page.push(ms),
                Kind::Page => self.run.pages.push(ms),
                Kind::Action => self.run.actions.push(ms),
                Kind::Call => {}
            }
            return (status, body);
        }
    }

    fn expect(&mut self, what: &str, status: StatusCode, want: u16, body: &str) {
        if status.as_u16() != want {
            let body: String = body.chars().take(160).collect();
            self.run
                .errors
                .push(format!("{what}: {status} (wanted {want}) {body}"));
        }
    }

    async fn page(&mut self, path: &str) -> String {
        let url = format!("{}{path}", self.base);
        let (status, body) = self
            .send(Kind::Page, |c| c.get(&url).header("Accept", "text/html"))
            .await;
        self.expect(path, status, 200, &body);
        body
    }

    async fn form(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) {
        let html = self.page(page).await;
        let token = html
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        let url = format!("{}{action}", self.base);
        let (status, body) = self.send(Kind::Action, |c| c.post(&url).form(&form)).await;
        self.expect(action, status, 303, &body);
    }

    async fn json(
        &mut self,
        kind: Kind,
        path: &str,
        body: Value,
        auth: Option<&str>,
        want: u16,
    ) -> Value {
        let url = format!("{}{path}", self.base);
        let (status, text) = self
            .send(kind, |c| {
                let mut request = c.post(&url).json(&body);
                if let Some(auth) = auth {
                    request = request.header("Authorization", auth);
                }
                request
            })
            .await;
        self.expect(path, status, want, &text);
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn get(&mut self, path: &str, auth: Option<&str>, want: u16) {
        let url = format!("{}{path}", self.base);
        let (status, text) = self
            .send(Kind::Call, |c| {
                let request = c.get(&url);
                match auth {
                    Some(auth) => request.header("Authorization", auth),
                    None => request,
                }
            })
            .await;
        self.expect(path, status, want, &text);
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Page,
    Action,
    Call,
}

async fn learner(base: String) -> Run {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(300))
        .build()
        .expect("a client");
    let mut me = Learner {
        client,
        base,
        run: Run::default(),
    };
    for path in PAGES {
        me.page(path).await;
    }
    let login = [
        ("email", "alice@example.com"),
        ("password", "alice-pass-123"),
    ];
    me.form("/cookie", "/cookie/login", &login).await;
    me.form("/session", "/session/login", &login).await;
    let key = me
        .json(
            Kind::Action,
            "/token/api/login",
            json!({"username": "alice@example.com", "password": "alice-pass-123"}),
            None,
            200,
        )
        .await["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let access = me
        .json(
            Kind::Action,
            "/jwt/api/token",
            json!({"email": "alice@example.com", "password": "alice-pass-123"}),
            None,
            200,
        )
        .await["access"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    me.get("/cookie/api/me", None, 200).await;
    me.get("/session/api/me", None, 200).await;
    me.get("/token/api/me", Some(&format!("Token {key}")), 200)
        .await;
    me.get("/jwt/api/me", Some(&format!("Bearer {access}")), 200)
        .await;
    for path in ["/cookie", "/session", "/compare"] {
        me.page(path).await;
    }
    me.json(Kind::Action, "/lab/matrix", json!({}), None, 200)
        .await;
    me.json(Kind::Action, "/lab/two-devices", json!({}), None, 200)
        .await;
    me.json(Kind::Action, "/lab/second-server", json!({}), None, 200)
        .await;
    me.json(
        Kind::Action,
        "/lab/clock",
        json!({"advance": "1d"}),
        None,
        200,
    )
    .await;
    me.get("/session/api/me", None, 401).await;
    me.get("/token/api/me", Some(&format!("Token {key}")), 200)
        .await;
    me.json(
        Kind::Action,
        "/lab/clock",
        json!({"reset": true}),
        None,
        200,
    )
    .await;
    me.json(
        Kind::Action,
        "/lab/reset",
        json!({"confirm": true}),
        None,
        200,
    )
    .await;
    me.run
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let learners: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let started = Instant::now();
    let local = tokio::task::LocalSet::new();
    let runs = local
        .run_until(async {
            let handles: Vec<_> = (0..learners)
                .map(|_| tokio::task::spawn_local(learner(base.clone())))
                .collect();
            let mut runs = Vec::new();
            for handle in handles {
                runs.push(handle.await.unwrap_or_default());
            }
            runs
        })
        .await;
    let mut firsts: Vec<f64> = runs.iter().flat_map(|r| r.first_page.clone()).collect();
    firsts.sort_by(f64::total_cmp);
    let mut pages: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.pages.iter().chain(&r.first_page).copied())
        .collect();
    let mut later: Vec<f64> = runs.iter().flat_map(|r| r.pages.clone()).collect();
    later.sort_by(f64::total_cmp);
    let mut actions: Vec<f64> = runs.iter().flat_map(|r| r.actions.clone()).collect();
    pages.sort_by(f64::total_cmp);
    actions.sort_by(f64::total_cmp);
    let errors: Vec<&String> = runs.iter().flat_map(|r| &r.errors).collect();
    let completed = runs.iter().filter(|r| r.errors.is_empty()).count();
    for error in errors.iter().take(10) {
        eprintln!("error: {error}");
    }
    println!(
        "{}",
        json!({
            "learners": learners,
            "completed": completed,
            "errors": errors.len(),
            "busy_answers_waited_out": runs.iter().map(|r| r.busy).sum::<u64>(),
            "pages": pages.len(),
            "page_p50_ms": percentile(&pages, 50.0),
            "page_p99_ms": percentile(&pages, 99.0),
            "first_page_p50_ms": percentile(&firsts, 50.0),
            "first_page_p99_ms": percentile(&firsts, 99.0),
            "later_page_p99_ms": percentile(&later, 99.0),
            "lab_actions": actions.len(),
            "lab_action_p50_ms": percentile(&actions, 50.0),
            "lab_action_p99_ms": percentile(&actions, 99.0),
            "wall_seconds": started.elapsed().as_secs_f64(),
        })
    );
}
