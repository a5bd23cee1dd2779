//! `multipart/form-data` bodies as DRF's `MultiPartParser` reads them into `request.data`: each
//! part after a boundary line is a field (the last of a repeated name wins); a part with a
//! `filename` is an uploaded file, which a `CharField` then refuses as "Not a valid string.".
//!
//! The body is already in memory (it is held to the same size limit as JSON), so the parts are
//! found by searching it, not by streaming.

/// One part's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A plain field's text.
    Field(String),
    /// An uploaded file (its name); DRF puts it in `request.FILES`, never in a `CharField`.
    File(String),
}

/// Why a multipart body could not be read, in Django's words where Django has them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    /// No usable `boundary` parameter (Django: `Invalid boundary in multipart: None`).
    #[error("Invalid boundary in multipart: {0}")]
    Boundary(String),
    /// A field's text is not UTF-8.
    #[error("the field \"{0}\" is not valid UTF-8")]
    NotUtf8(String),
}

/// The `boundary` parameter of a `Content-Type` header, unquoted; Django's words when it is
/// missing (`None`) or empty.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let value = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned());
    match value {
        None => Err(MultipartError::Boundary("None".into())),
        Some(b) if b.is_empty() || b.len() > 200 => Err(MultipartError::Boundary(b)),
        Some(b) => Ok(b),
    }
}

/// The named parts of `body`, in order. Text before the first boundary line (the preamble) and
/// after the closing one is ignored; a body with no closing line ends at its last byte, as Django
/// reads it. A part without a `name` is skipped.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<(String, Part)>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let Some(first) = find_delimiter(body, delimiter, 0) else {
        return Ok(Vec::new());
    };
    let mut parts = Vec::new();
    let mut at = first + delimiter.len();
    loop {
        if body[at..].starts_with(b"--") {
            break;
        }
        // The rest of the boundary line (transport padding), then the part's headers.
        let Some(line_end) = find(body, b"\r\n", at) else {
            break;
        };
        let start = line_end + 2;
        let next = find_delimiter(body, delimiter, start);
        let end = next.map_or(body.len(), |n| n.saturating_sub(2).max(start));
        let part = &body[start..end];
        let (head, content) = match find(part, b"\r\n\r\n", 0) {
            Some(split) => (&part[..split], &part[split + 4..]),
            None if part.starts_with(b"\r\n") => (&part[..0], &part[2..]),
            None => (part, &part[part.len()..]),
        };
        if let Some((name, filename)) = disposition(head) {
            let value = match filename {
                Some(file) => Part::File(file),
                None => Part::Field(
                    String::from_utf8(content.to_vec())
                        .map_err(|_| MultipartError::NotUtf8(name.clone()))?,
                ),
            };
            parts.push((name, value));
        }
        match next {
            Some(n) => at = n + delimiter.len(),
            None => break,
        }
    }
    Ok(parts)
}

/// The next boundary line at or after `from`: the delimiter at the very start of the body or
/// right after a CRLF.
fn find_delimiter(body: &[u8], delimiter: &[u8], from: usize) -> Option<usize> {
    if from == 0 && body.starts_with(delimiter) {
        return Some(0);
    }
    let mut at = from;
    while let Some(crlf) = find(body, b"\r\n", at) {
        if body[crlf + 2..].starts_with(delimiter) {
            return Some(crlf + 2);
        }
        at = crlf + 2;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `name` and `filename` of a part's `Content-Disposition: form-data; name="…"` header.
fn disposition(head: &[u8]) -> Option<(String, Option<String>)> {
    let head = String::from_utf8_lossy(head);
    let line = head.split("\r\n").find(|line| {
        line.split_once(':')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("content-disposition"))
    })?;
    let (_, value) = line.split_once(':')?;
    let mut params = value.split(';');
    if !params.next()?.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let (mut name, mut filename) = (None, None);
    for param in params {
        let Some((key, raw)) = param.split_once('=') else {
            continue;
        };
        let raw = raw.trim();
        let text = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(raw)
            .to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(text),
            "filename" | "filename*" => filename = Some(text),
            _ => {}
        }
    }
    Some((name?, filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"preamble\r\n--xyz\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice@example.com\r\n--xyz\r\nContent-Disposition: form-data; name=\"password\"; filename=\"pw.txt\"\r\nContent-Type: text/plain\r\n\r\nalice-pass-123\r\n--xyz\r\ncontent-disposition: form-data; name=\"note\"\r\n\r\nline one\r\nline two\r\n--xyz--\r\nepilogue";

    #[test]
    fn fields_files_and_multi_line_values_are_read_as_django_reads_them() {
        let parts = parse(BODY, "xyz").expect("parses");
        assert_eq!(
            parts,
            [
                (
                    "username".to_owned(),
                    Part::Field("alice@example.com".into())
                ),
                ("password".to_owned(), Part::File("pw.txt".into())),
                (
                    "note".to_owned(),
                    Part::Field("line one\r\nline two".into())
                ),
            ]
        );
    }

    #[test]
    fn boundaries_are_taken_from_the_header_with_django_s_words_when_missing() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\"").as_deref(),
            Ok("a b")
        );
        assert_eq!(
            boundary("multipart/form-data").map_err(|e| e.to_string()),
            Err("Invalid boundary in multipart: None".into())
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=").map_err(|e| e.to_string()),
            Err("Invalid boundary in multipart: ".into())
        );
    }

    #[test]
    fn an_unclosed_body_ends_at_its_last_byte_and_a_foreign_boundary_reads_nothing() {
        let open = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1";
        assert_eq!(
            parse(open, "b").expect("parses"),
            [("a".to_owned(), Part::Field("1".into()))]
        );
        assert_eq!(parse(BODY, "abc").expect("parses"), []);
        assert_eq!(parse(b"", "abc").expect("parses"), []);
        let bad = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n--b--";
        assert!(matches!(parse(bad, "b"), Err(MultipartError::NotUtf8(_))));
    }
}
