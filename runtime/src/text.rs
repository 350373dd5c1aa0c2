//! Text checks that no regex expresses well: sentence case, e-mail addresses.

/// Sentence case: the first letter is upper case and no later word is Title Cased.
/// Words in capitals (acronyms like `API`, `CRM`) and words with digits are allowed anywhere.
pub fn is_sentence_case(s: &str) -> bool {
    if s.is_ascii() {
        return ascii_sentence_case(s.as_bytes());
    }
    sentence_case(s)
}

/// [`is_sentence_case`] of an ASCII text, byte by byte (what names and titles mostly are).
fn ascii_sentence_case(s: &[u8]) -> bool {
    // `char::is_whitespace` on ASCII: tab, line feed, vertical tab, form feed, carriage return, space.
    let mut words = s
        .split(|b| matches!(b, b'\t'..=b'\r' | b' '))
        .filter(|w| !w.is_empty());
    let Some(first) = words.next() else {
        return true;
    };
    if first
        .iter()
        .find(|b| b.is_ascii_alphabetic())
        .is_some_and(u8::is_ascii_lowercase)
    {
        return false;
    }
    words.all(|w| {
        let mut letters = w.iter().filter(|b| b.is_ascii_alphabetic());
        match letters.next() {
            Some(b) if b.is_ascii_uppercase() => letters.all(u8::is_ascii_uppercase),
            _ => true,
        }
    })
}

/// [`is_sentence_case`] of any text.
fn sentence_case(s: &str) -> bool {
    let mut words = s.split_whitespace();
    let Some(first) = words.next() else {
        return true;
    };
    if first
        .chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(|c| c.is_lowercase())
    {
        return false;
    }
    words.all(|w| {
        let mut letters = w.chars().filter(|c| c.is_alphabetic());
        match letters.next() {
            Some(c) if c.is_uppercase() => letters.all(|c| c.is_uppercase()),
            _ => true,
        }
    })
}

/// An e-mail address (RFC 5322 `addr-spec`) alone: `name@example.com`, not a display name with
/// the address in angle brackets (`Joe <joe@example.com>`), which the field would then store.
pub fn is_email(s: &str) -> bool {
    plain_email(s) || {
        let options = email_address::Options::default().without_display_text();
        email_address::EmailAddress::parse_with_options(s, options).is_ok()
    }
}

/// Whether `s` is an address of the shape forms mostly get, judged without the full parse:
/// ASCII `local@domain.tld`, the local part dot-separated runs of RFC 5322 `atext`, the domain
/// two or more labels of letters, digits and inner hyphens, within the length limits. `false`
/// says nothing (the full parse judges); `true` only where it would (tested).
fn plain_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atext = |c: u8| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            )
    };
    let label = |l: &[u8]| {
        (1..=63).contains(&l.len())
            && l.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
            && l[0].is_ascii_alphanumeric()
            && l[l.len() - 1].is_ascii_alphanumeric()
    };
    (1..=64).contains(&local.len())
        && local
            .as_bytes()
            .split(|&c| c == b'.')
            .all(|run| !run.is_empty() && run.iter().all(|&c| atext(c)))
        && domain.len() <= 254
        && domain.bytes().filter(|&c| c == b'.').count() >= 1
        && domain.as_bytes().split(|&c| c == b'.').all(label)
}

#[cfg(test)]
mod tests {
    use super::is_sentence_case;

    #[test]
    fn ascii_sentence_case_agrees_with_the_general_one() {
        let parts = [
            "", " ", "\t", "\u{b}", "\n", "Add", "add", "ADD", "To", "to", "API", "v2", "2x",
            "x-Y", "(a)", "Email", "CRM", "iPhone", "A", "a",
        ];
        let mut n = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    for sep in [" ", "  ", "\t", "\u{b}", ""] {
                        let s = format!("{a}{sep}{b}{sep}{c}");
                        assert!(s.is_ascii());
                        assert_eq!(
                            super::ascii_sentence_case(s.as_bytes()),
                            super::sentence_case(&s),
                            "{s:?}"
                        );
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 1000);
    }

    #[test]
    fn sentence_case_examples() {
        assert!(is_sentence_case("Add to email list"));
        assert!(is_sentence_case("Sync with CRM"));
        assert!(is_sentence_case("Open in API v2"));
        assert!(is_sentence_case(""));
        assert!(!is_sentence_case("Add To Email List"));
        assert!(!is_sentence_case("add to email list"));
        assert!(!is_sentence_case("Add to Email list"));
    }

    #[test]
    fn the_fast_path_says_what_the_full_parse_says() {
        let full = |s: &str| {
            let options = email_address::Options::default().without_display_text();
            email_address::EmailAddress::parse_with_options(s, options).is_ok()
        };
        let locals = [
            "",
            "a",
            "joe",
            "a.b",
            ".a",
            "a.",
            "a..b",
            "a+b",
            "a b",
            "\"q\"",
            "é",
            "x!#$%&'*/=?^_`{|}~-",
            &"l".repeat(64),
            &"l".repeat(65),
            "a@b",
            "(c)a",
        ];
        let domains = [
            "",
            "b",
            "b.c",
            "example.com",
            "-b.c",
            "b-.c",
            "b..c",
            ".b.c",
            "b.c.",
            "b_c.d",
            "[1.2.3.4]",
            "xn--bcher-kva.ch",
            "é.com",
            "b.c:80",
            "sub.example.co.uk",
            &format!("{}.com", "d".repeat(63)),
            &format!("{}.com", "d".repeat(64)),
            &format!("{}.c", ["ab"; 84].join(".")),
        ];
        let mut seen = 0;
        for l in &locals {
            for d in &domains {
                for s in [
                    format!("{l}@{d}"),
                    format!("{l}{d}"),
                    format!("<{l}@{d}>"),
                    format!("{l}@{d}@x"),
                ] {
                    if super::plain_email(&s) {
                        assert!(full(&s), "{s:?}");
                        seen += 1;
                    }
                }
            }
        }
        assert!(seen > 20, "{seen}");
    }

    #[test]
    fn an_email_is_the_address_alone() {
        for ok in ["joe@example.com", "a.b+c@sub.example.org"] {
            assert!(super::is_email(ok), "{ok}");
        }
        for bad in [
            "Joe <joe@example.com>",
            "<joe@example.com>",
            "joe",
            "a b@c.com",
            "",
        ] {
            assert!(!super::is_email(bad), "{bad}");
        }
    }
}
