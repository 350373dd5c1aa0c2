//! CEL expressions are costed at load from the sizes the spec declares, and checked against the
//! spec's names and the evaluator's functions: over-budget, unbounded or misspelt expressions are
//! spec errors at the expression's line and column.

use formwork_schema::expr::{self, MAX_EXPR_COST, MAX_SPEC_COST, Shape};
use formwork_schema::load_str;

/// A spec with a bounded group `items` (max 24) and an unbounded group `rows`, then `rules`.
fn spec(rules: &str, item_check: &str) -> String {
    format!(
        r#"form: {{id: t, title: T}}
stages: [{{id: s, label: S}}]
sections:
  - id: a
    title: A
    fields:
      - {{id: note, label: Note, kind: long_text}}
      - id: items
        label: Items
        kind: group
        max_items: 24
        fields:
          - {{id: name, label: Name, kind: text, max_length: 50}}
          - {{id: tags, label: Tags, kind: choice, multiple: true, values: [{{id: x, label: X}}, {{id: y, label: Y}}]}}
      - id: rows
        label: Rows
        kind: group
        fields:
          - id: cell
            label: Cell
            kind: text
            max_length: 20
{item_check}
rules:
{rules}"#
    )
}

fn load_err(text: &str) -> Vec<(u32, u32, String, String)> {
    match load_str("t.yaml", text) {
        Ok(_) => panic!("spec should be invalid:\n{text}"),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| {
                (
                    d.pos.line,
                    d.pos.column,
                    d.message.clone(),
                    d.help.clone().unwrap_or_default(),
                )
            })
            .collect(),
    }
}

fn rule(expr: &str) -> String {
    format!("  - id: r\n    cel: \"{expr}\"\n")
}

/// Line of the `cel:` of the first rule (the `rules:` line is the last of the head).
fn rule_line(text: &str) -> u32 {
    text.lines()
        .position(|l| l.contains("    cel: "))
        .expect("a rule") as u32
        + 1
}

#[test]
fn a_comprehension_over_a_list_without_max_items_is_refused_at_the_expression() {
    let text = spec(
        &rule("self.rows.all(a, self.rows.all(b, a.cell != b.cell))"),
        "",
    );
    let errs = load_err(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let (line, col, msg, help) = &errs[0];
    assert_eq!((*line, *col), (rule_line(&text), 10));
    assert!(
        msg.contains("`self.rows` is a list without `max_items`"),
        "{msg}"
    );
    assert!(help.contains("declare `max_items`"), "{help}");
}

#[test]
fn nested_comprehensions_multiply_and_are_refused_over_the_budget_with_the_estimate() {
    // 24 × 24 × 24 items, each step comparing texts of up to 50 characters.
    let text = spec(
        &rule(
            "self.items.all(a, self.items.all(b, self.items.all(c, a.name != b.name || b.name != c.name)))",
        ),
        "",
    );
    let errs = load_err(&text);
    let (_, _, msg, _) = &errs[0];
    assert!(
        msg.contains(&format!("over the budget of {MAX_EXPR_COST}")),
        "{msg}"
    );
    let cost: u64 = msg
        .split("may cost ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("the estimate is in the message");
    assert!(cost > 24 * 24 * 24, "{cost}");
    // Literal lists count too: five nested comprehensions over ten numbers each, reading a long
    // text at the core, are 100,000 × its length.
    let ten = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
    let text = spec(
        &rule(&format!(
            "{ten}.all(a, {ten}.all(b, {ten}.all(c, {ten}.all(d, {ten}.all(e, self.note.contains(string(a + b + c + d + e)))))))"
        )),
        "",
    );
    let errs = load_err(&text);
    assert!(errs[0].2.contains("over the budget"), "{errs:?}");
    // Two levels fit.
    let text = spec(
        &rule("self.items.all(a, self.items.all(b, a == b || a.name != b.name))"),
        "",
    );
    load_str("t.yaml", &text).expect("two nested comprehensions over 24 items fit the budget");
}

#[test]
fn map_builds_lists_whose_size_the_estimate_follows() {
    // Each `map` over 24 items builds a list of 24; mapping over the mapped list again and
    // nesting multiplies: the estimate must grow with the built lists, not stay constant.
    let form = load_str("t.yaml", &spec(&rule("self.items.size() < 9"), "")).expect("loads");
    let scope = Shape::of_form(&form);
    let cost = |e: &str| {
        let p = cel::Program::compile(e).expect("compiles");
        expr::estimate(&p, "self", &scope).expect("estimates").cost
    };
    let one = cost("self.items.map(a, a.name).size() > 0");
    let twice = cost("self.items.map(a, self.items.map(b, b.name)).size() > 0");
    assert!(twice > one * 20, "{one} {twice}");
    let filtered = cost("self.items.filter(a, a.name == 'x').all(a, a.name == 'x')");
    assert!(filtered > 2 * 24, "{filtered}");
}

#[test]
fn unknown_functions_fields_and_names_are_spec_errors_with_a_suggestion() {
    let cases = [
        (
            "self.items.sum() > 1",
            "calls `sum`, which formwork's CEL does not have",
            "the functions are: size",
        ),
        (
            "self.items.size() > 0 && self.note.startWith('a')",
            "calls `startWith`",
            "did you mean `startsWith`?",
        ),
        (
            "has(self.no_such_field)",
            "`self` has no field `no_such_field`",
            "its fields are: note, items, rows",
        ),
        (
            "self.itmes.size() < 3",
            "has no field `itmes`",
            "did you mean `items`?",
        ),
        (
            "self.items.all(a, a.nmae != '')",
            "`a` has no field `nmae`",
            "did you mean `name`?",
        ),
        (
            "self.items.all(a, b.name != '')",
            "unknown name `b`",
            "did you mean `a`?",
        ),
        (
            "self.items.all(a, item.name != '')",
            "unknown name `item`",
            "the names in scope are: self, lists, a",
        ),
        (
            "self.note.size()",
            "yields a number, not a boolean",
            "that yields a bool",
        ),
        (
            "self.note.name == ''",
            "`self.note` is a text, which has no field `name`",
            "",
        ),
    ];
    for (e, want, want_help) in cases {
        let text = spec(&rule(e), "");
        let errs = load_err(&text);
        assert_eq!(errs.len(), 1, "{e}: {errs:?}");
        let (line, _, msg, help) = &errs[0];
        assert_eq!(*line, rule_line(&text), "{e}");
        assert!(msg.contains(want), "{e}: {msg}");
        assert!(help.contains(want_help), "{e}: {help}");
    }
}

#[test]
fn checks_inside_groups_count_once_per_item_toward_the_spec_budget() {
    // Fine once per item of `items` (24); the same check on `rows` (no max_items: up to 10,000
    // items) makes the spec's total exceed its budget.
    let check = "value.contains('a') && value.contains('b') && value.contains('c')";
    let bounded = spec(
        "  - {id: r, cel: \"self.items.size() < 100\"}\n",
        &format!("            checks:\n              - cel: \"{check}\""),
    );
    load_str("t.yaml", &bounded).expect("a cheap check per row of an unbounded group fits");
    let heavy =
        "value.matches('^[a-z]+$') && value.matches('^[a-z0-9]+$') && value.matches('^[0-9a-z]+$')";
    let text = spec(
        "  - {id: r, cel: \"self.items.size() < 100\"}\n",
        &format!("            checks:\n              - cel: \"{heavy}\""),
    );
    let errs = load_err(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].2.contains(&format!(
            "per submission, over the budget of {MAX_SPEC_COST}"
        )),
        "{}",
        errs[0].2
    );
    assert!(errs[0].3.contains("lower `max_items`"), "{}", errs[0].3);
}

#[test]
fn every_listed_function_really_runs_in_the_evaluator() {
    let calls = [
        ("size", "size('ab') == 2 && 'ab'.size() == 2"),
        ("contains", "'abc'.contains('b')"),
        ("startsWith", "'abc'.startsWith('a')"),
        ("endsWith", "'abc'.endsWith('c')"),
        ("matches", "'abc'.matches('^a') && matches('abc', 'c$')"),
        ("string", "string(1) == '1'"),
        ("bytes", "bytes('a') == b'a'"),
        ("int", "int('2') == 2"),
        ("uint", "uint(2) == 2u"),
        ("double", "double(2) == 2.0"),
        ("bool", "bool('true')"),
        ("dyn", "dyn(1) == 1"),
        ("type", "type(1) == int"),
    ];
    assert_eq!(
        calls.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        expr::FUNCTIONS
    );
    for (_, e) in calls {
        let p = cel::Program::compile(e).expect("compiles");
        assert_eq!(
            p.execute(&cel::Context::default()),
            Ok(cel::Value::Bool(true)),
            "{e}"
        );
        expr::estimate(&p, "x", &Shape::Null).expect("the estimator knows it");
    }
}
