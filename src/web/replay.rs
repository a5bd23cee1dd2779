//! Replays a request against this very server over loopback, so a lab can show what the server
//! really answers to a copied credential (HttpOnly cookies included, which page script cannot send).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest answer a replay reads.
const MAX_ANSWER: usize = 64 * 1024;

/// What the server answered to a replayed request.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    /// The status code.
    pub status: u16,
    /// The body, as text.
    pub body: String,
    /// The `Server-Timing` header, if any.
    pub server_timing: Option<String>,
    /// The `Retry-After` header in seconds, if any.
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// The `Set-Cookie` headers, as `name=value` pairs (attributes dropped).
    #[serde(skip)]
    pub set_cookies: Vec<(String, String)>,
}

impl Replayed {
    /// Whether the server accepted the credential (a 2xx answer).
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The value the answer set for cookie `name` (`None` when it set none).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body, or `null`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends `method path` with `headers` to the server listening on `bound` and reads its answer.
/// Header values are checked: no line breaks can be smuggled into the request.
pub async fn send(
    bound: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> anyhow::Result<Replayed> {
    let target = SocketAddr::new(
        if bound.ip().is_unspecified() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            bound.ip()
        },
        bound.port(),
    );
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n{}: replay\r\n",
        super::BUTTON_HEADER
    );
    for (name, value) in headers {
        if name.contains(['\r', '\n', ':']) || value.contains(['\r', '\n']) {
            bail!("a header cannot contain a line break");
        }
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    if let Some(body) = body {
        request.push_str(body);
    }

    let exchange = async {
        let mut stream = TcpStream::connect(target).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream
            .take(MAX_ANSWER as u64)
            .read_to_end(&mut answer)
            .await?;
        anyhow::Ok(answer)
    };
    // Loopback to this same server: only its own queue (a class hashing passwords) can hold it.
    let answer = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .context("the replay timed out")??;
    parse(&String::from_utf8_lossy(&answer))
}

fn parse(answer: &str) -> anyhow::Result<Replayed> {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .context("the answer had no status line")?;
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim()))
        .collect();
    let server_timing = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("server-timing"))
        .map(|(_, value)| (*value).to_owned());
    let retry_after = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, value)| value.parse().ok());
    let set_cookies = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.split(';').next()?.split_once('='))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Replayed {
        status,
        body: body.to_owned(),
        server_timing,
        retry_after,
        set_cookies,
    })
}
