//! Snippets of response bodies that are safe to put in errors and logs: every JSON string value is masked, so
//! names, phones and e-mails never leave the client, while the structure that failed to decode stays visible.

/// How many characters of context a snippet shows on each side of the error position.
const CONTEXT: usize = 60;

/// Replaces the content of every JSON string value in `text` with `…`; short identifier-like keys stay readable.
pub(crate) fn mask_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        let mut content = String::new();
        let mut closed = false;
        while let Some(inner) = chars.next() {
            match inner {
                '\\' => {
                    content.push(inner);
                    if let Some(escaped) = chars.next() {
                        content.push(escaped);
                    }
                }
                '"' => {
                    closed = true;
                    break;
                }
                other => content.push(other),
            }
        }
        let is_key = closed && chars.clone().find(|c| !c.is_whitespace()) == Some(':');
        out.push('"');
        if is_key
            && content.len() <= 64
            && content
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            out.push_str(&content);
        } else if !content.is_empty() {
            out.push('…');
        }
        if closed {
            out.push('"');
        }
    }
    out
}

/// A masked window of `body` around byte offset `at` (or its start when `at` is unknown).
pub(crate) fn snippet(body: &[u8], at: Option<usize>) -> String {
    let text = String::from_utf8_lossy(body);
    let first = text.trim_start().chars().next();
    if !matches!(first, Some('{' | '[' | '"')) {
        return match first {
            None => "<empty body>".to_owned(),
            Some('<') => format!("<HTML of {} bytes>", body.len()),
            Some(_) => format!("<non-JSON body of {} bytes>", body.len()),
        };
    }
    let at = at.unwrap_or(0).min(text.len());
    let mut end = (at + CONTEXT).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let masked = mask_strings(&text[..end]);
    let count = masked.chars().count();
    let tail: String = masked
        .chars()
        .skip(count.saturating_sub(CONTEXT * 2))
        .collect();
    tail.replace(['\n', '\r'], " ")
}

/// The byte offset of 1-based `line` and `column` in `body`.
pub(crate) fn offset_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, segment) in body.split(|b| *b == b'\n').enumerate() {
        if index + 1 == line {
            return offset + column.saturating_sub(1).min(segment.len());
        }
        offset += segment.len() + 1;
    }
    body.len()
}
