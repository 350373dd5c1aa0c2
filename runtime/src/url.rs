//! URL checks: an absolute RFC 3986 URI with an authority (`scheme://host...`), parsed without allocating.

/// The scheme and host of an absolute URL with a non-empty host, or `None` when `s` is not one.
pub fn scheme_and_host(s: &str) -> Option<(&str, &str)> {
    plain(s).or_else(|| parsed(s))
}

/// [`scheme_and_host`] for the URLs forms mostly get, without a full parse: `scheme://host`
/// (letters, digits, `.` and `-`), an optional port, then only characters RFC 3986 allows
/// anywhere after the authority (`%` with two hex digits, one `#`). `None` when `s` is anything
/// else, which [`parsed`] then judges; `Some` only where it would say the same (tested).
pub(crate) fn plain(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let colon = b.iter().position(|&c| c == b':')?;
    let (scheme, rest) = (&b[..colon], &b[colon..]);
    if scheme.is_empty() || !scheme.iter().all(u8::is_ascii_alphabetic) || !rest.starts_with(b"://")
    {
        return None;
    }
    let authority = &rest[3..];
    let host_len = authority
        .iter()
        .position(|&c| !HOST[c as usize])
        .unwrap_or(authority.len());
    if host_len == 0 {
        return None;
    }
    let mut at = colon + 3 + host_len;
    if b.get(at) == Some(&b':') {
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    if !matches!(b.get(at), None | Some(b'/' | b'?' | b'#')) {
        return None;
    }
    let mut fragment = false;
    let mut i = at;
    while i < b.len() {
        let c = b[i];
        if AFTER_AUTHORITY[c as usize] {
            i += 1;
            continue;
        }
        match c {
            b'%' if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) =>
            {
                i += 3;
            }
            b'#' if !fragment => {
                fragment = true;
                i += 1;
            }
            _ => return None,
        }
    }
    Some((s.get(..colon)?, s.get(colon + 3..colon + 3 + host_len)?))
}

/// The bytes of the hosts the fast path takes: letters, digits, `.` and `-`.
static HOST: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
        c += 1;
    }
    t
};

/// The bytes RFC 3986 allows anywhere in a path, query or fragment: unreserved, sub-delims,
/// `:`, `@`, `/` and `?`.
static AFTER_AUTHORITY: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
            );
        c += 1;
    }
    t
};

/// [`scheme_and_host`] by a full RFC 3986 parse.
pub(crate) fn parsed(s: &str) -> Option<(&str, &str)> {
    let uri = fluent_uri::Uri::parse(s).ok()?;
    let scheme = uri.scheme().as_str();
    let host = uri.authority()?.host();
    if host.is_empty() {
        return None;
    }
    // Both are slices of `s` (the scheme its start); re-slice by offset so the result does not
    // borrow the temporary `uri`, without searching `s` again.
    let host_at = (host.as_ptr() as usize).checked_sub(s.as_ptr() as usize)?;
    Some((
        s.get(..scheme.len())?,
        s.get(host_at..host_at + host.len())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::{parsed, plain, scheme_and_host};

    #[test]
    fn the_fast_path_says_what_the_full_parse_says() {
        let mut seen = 0;
        let parts = [
            "",
            "https",
            "http",
            "HTTPS",
            "ftp",
            "a1",
            ":",
            "://",
            ":/",
            "//",
            "example.com",
            "exa_mple.com",
            "a-b.c",
            "[::1]",
            "1.2.3.4",
            ":8080",
            ":",
            ":x",
            "@",
            "u@",
            "/",
            "/a/b",
            "/a b",
            "?",
            "?q=1&r=2",
            "#",
            "#f",
            "#f#g",
            "%",
            "%2",
            "%2F",
            "%zz",
            "é",
            "\\",
            "~",
            "|",
            "{",
            "'",
            "(x)",
            "*",
            "+",
            ",",
            ";",
            "=",
            "!",
            "$",
            "\"",
            "<",
        ];
        for a in &parts[..6] {
            for b in ["://", ":", ":/", ""] {
                for c in &parts {
                    for d in &parts {
                        for e in &parts {
                            let s = format!("{a}{b}{c}{d}{e}");
                            if let Some(fast) = plain(&s) {
                                assert_eq!(Some(fast), parsed(&s), "{s:?}");
                                seen += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(seen > 10_000, "{seen}");
    }

    #[test]
    fn accepts_absolute_http_urls_and_rejects_the_rest() {
        assert_eq!(
            scheme_and_host("https://www.example.com/a?b#c"),
            Some(("https", "www.example.com"))
        );
        assert_eq!(
            scheme_and_host("http://youtu.be/x"),
            Some(("http", "youtu.be"))
        );
        assert_eq!(
            scheme_and_host("HTTPS://Example.com"),
            Some(("HTTPS", "Example.com"))
        );
        for bad in [
            "not a url",
            "",
            "example.com",
            "/relative",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "mailto:a@b.c",
        ] {
            assert_eq!(scheme_and_host(bad), None, "{bad:?}");
        }
    }
}
