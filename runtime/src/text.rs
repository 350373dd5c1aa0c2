//! Text checks that no regex expresses well.

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
}
