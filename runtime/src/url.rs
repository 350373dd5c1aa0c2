//! URL checks: an absolute RFC 3986 URI with an authority (`scheme://host...`), parsed without allocating.

/// The scheme and host of an absolute URL with a non-empty host, or `None` when `s` is not one.
pub fn scheme_and_host(s: &str) -> Option<(&str, &str)> {
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
    use super::scheme_and_host;

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
