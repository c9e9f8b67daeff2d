//! `multipart/form-data` bodies (RFC 7578), as a browser sends a form with
//! a file: read whole (the CSRF guard has already limited the size), split
//! at the boundary, each part with its name and, for a file, its file name.

/// One field of a multipart form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field's name.
    pub name: String,
    /// The file's name, for a file field.
    pub filename: Option<String>,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Whether a `Content-Type` is `multipart/form-data`.
pub fn is_multipart(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// The value of parameter `name` in a header value (`a; name="x"`).
fn param<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"'))
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of `body`, sent with `content_type`; why not, when it is not
/// a multipart body.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let bad = || "the form could not be read (a broken multipart body)".to_owned();
    let boundary = param(content_type, "boundary")
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or_else(bad)?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut rest = &body[find(body, &delimiter).ok_or_else(bad)? + delimiter.len()..];
    let mut next_delimiter = b"\r\n".to_vec();
    next_delimiter.extend_from_slice(&delimiter);
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or_else(bad)?;
        let end = find(rest, &next_delimiter).ok_or_else(bad)?;
        let part = &rest[..end];
        rest = &rest[end + next_delimiter.len()..];
        let split = find(part, b"\r\n\r\n").ok_or_else(bad)?;
        let headers = String::from_utf8_lossy(&part[..split]);
        let disposition = headers
            .split("\r\n")
            .find_map(|h| {
                let (k, v) = h.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then_some(v)
            })
            .ok_or_else(bad)?;
        parts.push(Part {
            name: param(disposition, "name").ok_or_else(bad)?.to_owned(),
            filename: param(disposition, "filename").map(str::to_owned),
            data: part[split + 4..].to_vec(),
        });
    }
}

/// The text of field `name`, or "".
pub fn text(parts: &[Part], name: &str) -> String {
    parts
        .iter()
        .find(|p| p.name == name)
        .map(|p| String::from_utf8_lossy(&p.data).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browsers_form_with_a_file_is_split_into_its_fields() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.ics\"\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n--X\r\n\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(text(&parts, "csrf"), "abc");
        assert_eq!(parts[1].filename.as_deref(), Some("a.ics"));
        assert_eq!(parts[1].data, b"BEGIN:VCALENDAR\r\n--X\r\n");
        assert!(parse("multipart/form-data; boundary=XyZ", b"--XyZ\r\nno end").is_err());
        assert!(parse("multipart/form-data", body).is_err());
        assert!(is_multipart("Multipart/Form-Data; boundary=a"));
    }
}
