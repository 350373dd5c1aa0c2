//! Reading a JSON submission with bounded memory: at most [`MAX_JSON_VALUES`] values.
//!
//! A parsed value costs far more memory than its text (`{}` is 2 bytes of JSON and 80 bytes of
//! `serde_json::Value`), so a body limit alone does not bound memory: 1 MiB of empty objects
//! becomes 28 MiB. Counting values while parsing refuses such a document before it grows.

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The most values (objects, arrays, strings, numbers, booleans, nulls; object keys count with
/// their value) one submission may hold: a few MiB of memory at most. A full Pipedrive
/// submission holds about 500.
pub const MAX_JSON_VALUES: usize = 16_384;

/// Why a submission could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON.
    #[error("not valid JSON: {0}")]
    Syntax(serde_json::Error),
    /// More values than [`MAX_JSON_VALUES`].
    #[error("the submission holds more than {MAX_JSON_VALUES} JSON values")]
    TooManyValues,
}

/// Parses `bytes` as one JSON document of at most [`MAX_JSON_VALUES`] values.
pub fn from_slice(bytes: &[u8]) -> Result<Value, ReadError> {
    let mut left = MAX_JSON_VALUES;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Bounded { left: &mut left }
        .deserialize(&mut de)
        .map_err(read_error)?;
    de.end().map_err(ReadError::Syntax)?;
    Ok(value)
}

/// The reading error for a serde_json error raised while counting values.
pub(crate) fn read_error(e: serde_json::Error) -> ReadError {
    if e.to_string().starts_with(TOO_MANY) {
        ReadError::TooManyValues
    } else {
        ReadError::Syntax(e)
    }
}

const TOO_MANY: &str = "formwork: too many values";

/// Counts one value down from `left`: an error once none are left.
pub(crate) fn take<E: serde::de::Error>(left: &mut usize) -> Result<(), E> {
    match left.checked_sub(1) {
        Some(n) => {
            *left = n;
            Ok(())
        }
        None => Err(E::custom(TOO_MANY)),
    }
}

/// A `Value` seed (and, once its value is counted, visitor) that counts down the values left.
pub(crate) struct Bounded<'a> {
    pub left: &'a mut usize,
}

impl Bounded<'_> {
    fn take<E: serde::de::Error>(&mut self) -> Result<(), E> {
        take(self.left)
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(mut self, d: D) -> Result<Value, D::Error> {
        self.take()?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Bounded {
            left: &mut *self.left,
        })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Bounded {
                left: &mut *self.left,
            })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads_within_the_bound() {
        for text in [
            r#"{"a": [1, -2, 3.5, true, null, "x\u00e9"], "b": {"c": {}}, "d": []}"#,
            "[]",
            "0",
            r#""s""#,
            "18446744073709551615",
        ] {
            let want: Value = serde_json::from_str(text).expect("json");
            assert_eq!(from_slice(text.as_bytes()).expect("reads"), want, "{text}");
        }
    }

    #[test]
    fn refuses_more_values_than_the_bound_and_bad_json() {
        let at = format!("[{}]", vec!["{}"; MAX_JSON_VALUES - 1].join(","));
        assert!(from_slice(at.as_bytes()).is_ok());
        let over = format!("[{}]", vec!["{}"; MAX_JSON_VALUES].join(","));
        assert!(matches!(
            from_slice(over.as_bytes()),
            Err(ReadError::TooManyValues)
        ));
        let keys: Vec<String> = (0..MAX_JSON_VALUES)
            .map(|i| format!("\"k{i}\": 0"))
            .collect();
        let over = format!("{{{}}}", keys.join(","));
        assert!(matches!(
            from_slice(over.as_bytes()),
            Err(ReadError::TooManyValues)
        ));
        assert!(matches!(
            from_slice(b"{\"a\": }"),
            Err(ReadError::Syntax(_))
        ));
        assert!(matches!(from_slice(b"{} x"), Err(ReadError::Syntax(_))));
    }
}
