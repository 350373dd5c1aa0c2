//! The message catalogue: one English message per error code, with `{param}` placeholders.
//!
//! Every message the validator produces comes from [`template`], so translating formwork means
//! replacing this table. A spec may override a field's message per code (`messages:`) and a
//! check's or rule's message (`message:`); overrides use the same placeholders.

use crate::report::Param;

/// The English template for an error code. `{label}` is the field's label.
pub fn template(code: &str) -> &'static str {
    match code {
        "required" => "Enter {label}",
        "required_choice" => "Select {label}",
        "required_file" => "Upload {label}",
        "must_be_true" => "Check \u{201c}{label}\u{201d} to continue",
        "type" => "{label} must be {expected}",
        "unknown_field" => "{field} is not a field of this form",
        "min_length" => "{label} must be {min} characters or more (it has {actual})",
        "max_length" => "{label} must be {max} characters or fewer (it has {actual})",
        "pattern" => "{label} is not in the expected format",
        "control_characters" => {
            "{label} must be one line of text, without control characters (it has {character})"
        }
        "control_characters_long" => {
            "{label} may hold line breaks and tabs, but no other control characters (it has {character})"
        }
        "email" => "Enter an email address in the correct format, like name@example.com",
        "url" => "Enter {label} as a full web address, like https://www.example.com",
        "scheme" => "{label} must start with {schemes}",
        "host" => "{label} must be a link to {hosts}",
        "json" => "{label} is not valid JSON: {error} (line {line}, column {column})",
        "json_type" => "{label} must be a JSON {expected}",
        "minimum" => "{label} must be {min} or more",
        "maximum" => "{label} must be {max} or less",
        "integer" => "{label} must be a whole number",
        "choice" => "\u{201c}{value}\u{201d} is not one of the allowed values of {label}",
        "min_items" => "Select or add at least {min} for {label}",
        "max_items" => "{label} can have at most {max} (it has {actual})",
        "distinct" => "\u{201c}{value}\u{201d} is listed more than once in {label}",
        "media_type" => "{label} must be one of: {allowed} (the file is {actual})",
        "max_bytes" => "{label} must be at most {max_human} (the file is {actual_human})",
        "min_width" => "{label} must be at least {min} pixels wide (it is {actual})",
        "min_height" => "{label} must be at least {min} pixels high (it is {actual})",
        "max_width" => "{label} must be at most {max} pixels wide (it is {actual})",
        "max_height" => "{label} must be at most {max} pixels high (it is {actual})",
        "aspect_ratio" => "{label} must have an aspect ratio of {ratio} (it is {width}x{height})",
        "size" => "{label} must be one of these sizes: {allowed} (it is {width}x{height})",
        "sentence_case" => {
            "{label} should be in sentence case, like \u{201c}Add to email list\u{201d}"
        }
        "file_metadata" => "{label} is missing its {key}",
        "hidden" => "{label} does not apply here, so its value is ignored",
        "check" => "{label} does not pass the check {expr}",
        "max_per_value" => "{value} is used by {count} {items}; at most {max} are allowed",
        "max_total" => "{items} are used {count} times in total; at most {max} are allowed",
        "rule" => "The submission breaks the rule {rule}",
        "rule_error" => "The rule {rule} could not be evaluated: {error}",
        "truncated" => "{count} more problems not shown",
        _ => "{label} is not valid",
    }
}

/// Fills `{name}` placeholders of `template` from `params` (unknown placeholders stay as written).
pub fn fill(template: &str, params: &[(&'static str, Param)]) -> String {
    fill_labelled(template, None, params)
}

/// [`fill`], with `{label}` taken from `label` when given (without copying it into `params`).
pub(crate) fn fill_labelled(
    template: &str,
    label: Option<&str>,
    params: &[(&'static str, Param)],
) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match (name, label) {
                    ("label", Some(label)) => out.push_str(label),
                    _ => match params.iter().find(|(k, _)| *k == name) {
                        Some((_, Param::Text(t))) => out.push_str(t),
                        Some((_, v)) => {
                            use std::fmt::Write;
                            let _ = write!(out, "{v}");
                        }
                        None => {
                            out.push('{');
                            out.push_str(name);
                            out.push('}');
                        }
                    },
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `10485760` → `10 MB` (binary megabytes, as the Pipedrive form counts them).
pub fn human_bytes(n: u64) -> String {
    const MB: u64 = 1024 * 1024;
    const KB: u64 = 1024;
    if n >= MB && n.is_multiple_of(MB) {
        format!("{} MB", n / MB)
    } else if n >= MB {
        format!("{:.1} MB", n as f64 / MB as f64)
    } else if n >= KB {
        format!("{} KB", n.div_ceil(KB))
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_placeholders_and_keeps_unknown_ones() {
        let p = vec![
            ("label", Param::from("App name")),
            ("max", Param::from(30u32)),
        ];
        assert_eq!(
            fill("{label} max {max} {nope}", &p),
            "App name max 30 {nope}"
        );
        assert_eq!(fill("no braces", &p), "no braces");
        assert_eq!(fill("open { only", &p), "open { only");
    }

    #[test]
    fn human_bytes_reads_like_the_form() {
        assert_eq!(human_bytes(10_485_760), "10 MB");
        assert_eq!(human_bytes(11_000_000), "10.5 MB");
        assert_eq!(human_bytes(2048), "2 KB");
        assert_eq!(human_bytes(12), "12 bytes");
    }
}
