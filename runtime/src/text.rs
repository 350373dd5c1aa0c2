//! Text checks that no regex expresses well: sentence case, e-mail addresses.

/// Sentence case: the first letter is upper case and no later word is Title Cased.
/// Words in capitals (acronyms like `API`, `CRM`) and words with digits are allowed anywhere.
pub fn is_sentence_case(s: &str) -> bool {
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
    let options = email_address::Options::default().without_display_text();
    email_address::EmailAddress::parse_with_options(s, options).is_ok()
}

#[cfg(test)]
mod tests {
    use super::is_sentence_case;

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
