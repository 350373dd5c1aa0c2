//! RFC 6901 JSON Pointers, the paths every formwork report and annotation uses.

/// One pointer segment escaped (`~` → `~0`, `/` → `~1`).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Appends `/` and the escaped `segment` to `pointer`.
pub fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    if !segment.contains(['~', '/']) {
        pointer.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_tilde_then_slash() {
        assert_eq!(super::escape("a/b~c"), "a~1b~0c");
        let mut p = String::new();
        super::push_segment(&mut p, "x");
        super::push_segment(&mut p, "~/");
        assert_eq!(p, "/x/~0~1");
    }
}
