//! Arbitrary text as a CEL rule over the Pipedrive form's `self`: the estimator never panics, and
//! every expression it accepts within budget really finishes quickly on the largest submission
//! the spec allows (libFuzzer's `-timeout` and `-rss_limit_mb` catch an underestimate).
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use formwork_schema::expr::{self, Shape};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

struct Fixture {
    scope: Shape,
    biggest: cel::Value,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let form = common::form();
        let scope = Shape::of_form(form);
        let biggest = cel::to_value(biggest(&scope)).expect("converts");
        Fixture { scope, biggest }
    })
}

/// The largest value of a shape: every list the spec bounds full, every text at its longest.
/// Texts stop at 1 KiB and lists without `max_items` at 100 items (a real request's body limit
/// keeps the sum of its texts and items far below every one at its maximum, and an expression
/// cannot go through an unbounded list, only measure or compare it).
fn biggest(shape: &Shape) -> Value {
    match shape {
        Shape::Text(n) => Value::String("a".repeat((*n).min(1024) as usize)),
        Shape::Bytes(_) | Shape::Dyn(_) | Shape::Type | Shape::Null => Value::Null,
        Shape::Bool => json!(true),
        Shape::Number | Shape::Double => json!(1),
        Shape::List { item, max } => {
            let one = biggest(item);
            Value::Array(vec![one; max.map_or(100, |m| m as usize)])
        }
        Shape::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, s)| (k.clone(), biggest(s)))
                .collect::<Map<_, _>>(),
        ),
        Shape::Map { value, max } => Value::Object(
            (0..*max)
                .map(|i| (i.to_string(), biggest(value)))
                .collect::<Map<_, _>>(),
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    let Ok(checked) = expr::check(text, "self", &f.scope) else {
        return;
    };
    assert!(checked.estimate.cost <= expr::MAX_EXPR_COST);
    let mut ctx = cel::Context::default();
    ctx.add_variable_as_val(
        "self",
        Box::<dyn cel::common::value::Val>::try_from(f.biggest.clone()).expect("a value"),
    );
    let _ = checked.program.execute(&ctx);
});
