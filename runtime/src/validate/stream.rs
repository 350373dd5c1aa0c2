//! Validating while reading: bytes in, report out, in one pass over the JSON tokens.
//!
//! The submission is never built as a tree. Each value is checked as the parser meets it,
//! against the compiled plan, with strings borrowed from the input where they hold no escapes.
//! Only what cross-field rules read is kept: the top-level fields CEL rules read, and the
//! values counting rules count. The report is the one [`Validator::validate`] gives for the
//! parsed value, issue for issue and in the same order.
//!
//! Three rare cases are read as a tree instead (the same report, by construction): a key given
//! twice in one object (the tree keeps the last value, in the first one's place), a report that
//! grows past [`MAX_ISSUES`] (which issues are listed depends on their order), and a CEL rule
//! that reads the whole submission.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{
    BitSet, FileMeta, MAX_ISSUES, Meta, Path, Run, Seg, StageRef, Tally, Validator, checked,
};
use crate::compile::{CChoice, CField, CFile, CKind, CObject, Plan};
use crate::json::{Bounded, ReadError, read_error, take};
use crate::report::Report;

const FALLBACK: &str = "formwork: read as a tree";

impl Validator {
    /// Validates a JSON submission from its bytes at a stage, in one pass and without building
    /// it as a tree: the report of [`Validator::validate`] on the parsed value, faster than
    /// parsing alone. Reading fails as [`crate::json::from_slice`] does: not JSON, or more than
    /// [`crate::json::MAX_JSON_VALUES`] values.
    pub fn validate_json(&self, bytes: &[u8], stage: StageRef) -> Result<Report, ReadError> {
        let plan = &self.inner.plan;
        if plan.stream.whole {
            return crate::json::from_slice(bytes).map(|v| self.validate(&v, stage));
        }
        let mut st = Stream {
            run: Run::new(stage.index),
            plan,
            left: crate::json::MAX_JSON_VALUES,
            fallback: false,
            captured: Map::new(),
            tallies: plan
                .rules
                .iter()
                .map(|r| r.aggregate().map(Tally::new))
                .collect(),
        };
        // Checking UTF-8 once, up front, is cheaper than string by string.
        let Ok(text) = std::str::from_utf8(bytes) else {
            return crate::json::from_slice(bytes).map(|v| self.validate(&v, stage));
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let read = Root { st: &mut st }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        if st.fallback || st.run.omitted > 0 {
            return crate::json::from_slice(bytes).map(|v| self.validate(&v, stage));
        }
        read.map_err(read_error)?;
        let Stream {
            mut run,
            captured,
            tallies,
            ..
        } = st;
        let submission = Value::Object(captured);
        for (rule, tally) in plan.rules.iter().zip(&tallies) {
            run.rule(rule, tally.as_ref(), &submission);
        }
        if run.omitted > 0 {
            return crate::json::from_slice(bytes).map(|v| self.validate(&v, stage));
        }
        Ok(run.finish(&self.inner.form, stage.index))
    }
}

/// The state of one reading.
struct Stream<'p> {
    run: Run,
    plan: &'p Plan,
    /// Values left before [`crate::json::MAX_JSON_VALUES`].
    left: usize,
    /// The submission must be read as a tree (see the module's documentation).
    fallback: bool,
    /// The top-level fields CEL rules read.
    captured: Map<String, Value>,
    /// By rule: the counts of a counting rule.
    tallies: Vec<Option<Tally>>,
}

impl Stream<'_> {
    fn fall_back<E: Error>(&mut self) -> E {
        self.fallback = true;
        E::custom(FALLBACK)
    }

    /// Stops reading once the report is full: it is read again as a tree.
    fn check_full<E: Error>(&mut self) -> Result<(), E> {
        if self.run.omitted > 0 || self.run.listed() >= MAX_ISSUES {
            Err(self.fall_back())
        } else {
            Ok(())
        }
    }

    /// Counts the next value and skips it.
    fn skip<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        Skip {
            left: &mut self.left,
        }
        .deserialize(d)
    }

    /// Counts the rest of an array (whose value is counted) and skips it.
    fn skip_seq<'de, A: SeqAccess<'de>>(&mut self, seq: A) -> Result<(), A::Error> {
        Skip {
            left: &mut self.left,
        }
        .visit_seq(seq)
    }

    /// Counts the rest of an object (whose value is counted) and skips it.
    fn skip_map<'de, A: MapAccess<'de>>(&mut self, map: A) -> Result<(), A::Error> {
        Skip {
            left: &mut self.left,
        }
        .visit_map(map)
    }

    /// Reads the next value (already counted) as a tree.
    fn tree<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(Bounded {
            left: &mut self.left,
        })
    }
}

/// A JSON scalar, as the visitors meet it.
enum Scalar<'a> {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(&'a str),
    Null,
}

/// The scalar methods of a visitor whose `scalar` method takes them all.
macro_rules! scalars {
    () => {
        fn visit_bool<E: Error>(self, v: bool) -> Result<(), E> {
            self.scalar(Scalar::Bool(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<(), E> {
            self.scalar(Scalar::Int(v))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<(), E> {
            self.scalar(Scalar::UInt(v))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<(), E> {
            self.scalar(Scalar::Float(v))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<(), E> {
            self.scalar(Scalar::Text(v))
        }
        fn visit_unit<E: Error>(self) -> Result<(), E> {
            self.scalar(Scalar::Null)
        }
        fn visit_none<E: Error>(self) -> Result<(), E> {
            self.scalar(Scalar::Null)
        }
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
    };
}

/// Any value, counted and skipped.
struct Skip<'s> {
    left: &'s mut usize,
}

impl<'de> DeserializeSeed<'de> for Skip<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        take(self.left)?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip<'_> {
    type Value = ();
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Skip {
                left: &mut *self.left,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Skip {
                left: &mut *self.left,
            })?;
        }
        Ok(())
    }
}

impl Skip<'_> {
    fn scalar<E: Error>(self, _: Scalar<'_>) -> Result<(), E> {
        Ok(())
    }
}

/// An object key, borrowed from the input unless it holds escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// The submission: an object.
struct Root<'s, 'p> {
    st: &'s mut Stream<'p>,
}

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        take(&mut self.st.left)?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.st.run.not_an_object();
        self.st.skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let root = &self.st.plan.root;
        read_object(self.st, root, None, Role::Root, map)
    }
}

impl Root<'_, '_> {
    fn scalar<E: Error>(self, _: Scalar<'_>) -> Result<(), E> {
        self.st.run.not_an_object();
        Ok(())
    }
}

/// Where an object sits, for what the rules keep of it.
#[derive(Clone, Copy)]
enum Role<'p> {
    /// The submission.
    Root,
    /// Item `index` of a top-level group whose sub-fields counting rules count (`taps`).
    Counted {
        taps: &'p [(Box<str>, usize)],
        index: usize,
    },
    /// Anything else.
    Plain,
}

fn read_object<'de, 'p, A: MapAccess<'de>>(
    st: &mut Stream<'p>,
    obj: &'p CObject,
    path: Option<&Path<'_>>,
    role: Role<'p>,
    mut map: A,
) -> Result<(), A::Error> {
    let plan = st.plan;
    let mut seen = BitSet::new(obj.fields.len());
    let mut next = 0;
    let mut unknown: Vec<Cow<'de, str>> = Vec::new();
    while let Some(key) = map.next_key_seed(Key)? {
        let child = Path {
            parent: path,
            seg: Seg::Key(&key),
        };
        let Some(i) = obj.find(&key, &mut next) else {
            if unknown.contains(&key) {
                return Err(st.fall_back());
            }
            st.run.unknown_field(&key, &child);
            map.next_value_seed(Skip { left: &mut st.left })?;
            unknown.push(key);
            continue;
        };
        if seen.get(i) {
            return Err(st.fall_back());
        }
        seen.set(i);
        let f = &obj.fields[i];
        match role {
            Role::Root if plan.stream.capture[i] => {
                let v = map.next_value_seed(Tree { st: &mut *st })?;
                st.run.field(f, &v, &child);
                for (_, r) in &plan.stream.taps[i] {
                    if let (Some(t), Some(agg)) = (&mut st.tallies[*r], plan.rules[*r].aggregate())
                        && let Value::Array(items) = &v
                    {
                        for (n, item) in items.iter().enumerate() {
                            t.add_item(agg, n, item);
                        }
                    }
                }
                st.captured.insert(key.into_owned(), v);
            }
            Role::Root if !plan.stream.taps[i].is_empty() => map.next_value_seed(FieldSeed {
                st: &mut *st,
                f,
                path: &child,
                taps: &plan.stream.taps[i],
            })?,
            Role::Counted { taps, index } if taps.iter().any(|(sub, _)| **sub == *key) => {
                let v = map.next_value_seed(Tree { st: &mut *st })?;
                st.run.field(f, &v, &child);
                for (sub, r) in taps {
                    if **sub == *key
                        && let (Some(t), Some(agg)) =
                            (&mut st.tallies[*r], plan.rules[*r].aggregate())
                    {
                        t.add_value(agg, index, &v);
                    }
                }
            }
            _ => map.next_value_seed(FieldSeed {
                st: &mut *st,
                f,
                path: &child,
                taps: &[],
            })?,
        }
    }
    st.check_full()?;
    st.run.missing_fields(obj, &seen, path);
    Ok(())
}

/// A value read as a tree (counted).
struct Tree<'s, 'p> {
    st: &'s mut Stream<'p>,
}

impl<'de> DeserializeSeed<'de> for Tree<'_, '_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        take(&mut self.st.left)?;
        self.st.tree(d)
    }
}

/// The value of field `f` at `path`; `taps` when `f` is a counted top-level group.
struct FieldSeed<'s, 'p, 'a> {
    st: &'s mut Stream<'p>,
    f: &'p CField,
    path: &'a Path<'a>,
    taps: &'p [(Box<str>, usize)],
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        take(&mut self.st.left)?;
        if self.f.cel_checks {
            let v = self.st.tree(d)?;
            self.st.run.field(self.f, &v, self.path);
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_, '_> {
    type Value = ();
    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (st, f, path) = (self.st, self.f, self.path);
        let required = f.required.contains(st.run.stage);
        // Counts are reported before the items' problems, as when validating a tree: the items
        // are read first, so the count's issues are moved in front of theirs.
        let mark = st.run.errors.len();
        let (n, min, max) = match &f.kind {
            CKind::Choice(c) if c.multiple => {
                let mut seen = BitSet::new(c.len);
                let mut n = 0;
                while seq
                    .next_element_seed(ChoiceItem {
                        st: &mut *st,
                        f,
                        c,
                        seen: &mut seen,
                        path: &Path {
                            parent: Some(path),
                            seg: Seg::Index(n),
                        },
                        check: n < checked(c.max_items),
                    })?
                    .is_some()
                {
                    n += 1;
                }
                (n, c.min_items, c.max_items)
            }
            CKind::File(c) if c.rules.multiple => {
                let mut n = 0;
                while seq
                    .next_element_seed(FileSeed {
                        st: &mut *st,
                        f,
                        c,
                        path: &Path {
                            parent: Some(path),
                            seg: Seg::Index(n),
                        },
                        check: n < checked(c.rules.max_items),
                    })?
                    .is_some()
                {
                    n += 1;
                }
                (n, c.rules.min_items, c.rules.max_items)
            }
            CKind::Group(g) => {
                let mut n = 0;
                while seq
                    .next_element_seed(ItemSeed {
                        st: &mut *st,
                        f,
                        obj: &g.object,
                        path: &Path {
                            parent: Some(path),
                            seg: Seg::Index(n),
                        },
                        check: n < checked(g.max_items),
                        taps: self.taps,
                        index: n,
                    })?
                    .is_some()
                {
                    n += 1;
                    st.check_full()?;
                }
                (n, g.min_items, g.max_items)
            }
            _ => {
                st.run.mismatch(f, path);
                st.skip_seq(seq)?;
                if !f.checks.is_empty() {
                    st.run.text_checks(f, None, path);
                }
                return Ok(());
            }
        };
        let before = st.run.errors.len();
        st.run.count(f, n, min, max, required, path);
        let added = st.run.errors.len() - before;
        st.run.errors[mark..].rotate_right(added);
        if !f.checks.is_empty() {
            st.run.text_checks(f, None, path);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let (st, f, path) = (self.st, self.f, self.path);
        match &f.kind {
            CKind::Object(o) => read_object(st, o, Some(path), Role::Plain, map)?,
            CKind::File(c) if !c.rules.multiple => read_file(st, f, c, path, map)?,
            _ => {
                st.run.mismatch(f, path);
                st.skip_map(map)?;
            }
        }
        if !f.checks.is_empty() {
            st.run.text_checks(f, None, path);
        }
        Ok(())
    }
}

impl FieldSeed<'_, '_, '_> {
    fn scalar<E: Error>(self, v: Scalar<'_>) -> Result<(), E> {
        let (run, f, path) = (&mut self.st.run, self.f, self.path);
        let mut text = None;
        match (&f.kind, v) {
            (CKind::Text(t), Scalar::Text(s)) => {
                if !run.text_field(f, t, s, path) {
                    return Ok(());
                }
                text = Some(s);
            }
            (CKind::Number(n), Scalar::Int(i)) => run.number(f, n, i as f64, true, path),
            (CKind::Number(n), Scalar::UInt(u)) => run.number(f, n, u as f64, true, path),
            (CKind::Number(n), Scalar::Float(x)) => run.number(f, n, x, false, path),
            (CKind::Boolean(must), Scalar::Bool(b)) => run.boolean(f, *must, b, path),
            (CKind::Choice(c), Scalar::Text(s)) if !c.multiple => {
                run.choice(f, c, s, path);
                text = Some(s);
            }
            (_, s) => {
                run.mismatch(f, path);
                if let Scalar::Text(s) = s {
                    text = Some(s);
                }
            }
        }
        if !f.checks.is_empty() {
            run.text_checks(f, text, path);
        }
        Ok(())
    }
}

/// One item of a multiple choice; past the checked items (`check` false), counted only.
struct ChoiceItem<'s, 'p, 'a> {
    st: &'s mut Stream<'p>,
    f: &'p CField,
    c: &'p CChoice,
    seen: &'s mut BitSet,
    path: &'a Path<'a>,
    check: bool,
}

impl<'de> DeserializeSeed<'de> for ChoiceItem<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if !self.check {
            return self.st.skip(d);
        }
        take(&mut self.st.left)?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ChoiceItem<'_, '_, '_> {
    type Value = ();
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.st
            .run
            .choice_item(self.f, self.c, None, self.seen, self.path);
        self.st.skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.st
            .run
            .choice_item(self.f, self.c, None, self.seen, self.path);
        self.st.skip_map(map)
    }
}

impl ChoiceItem<'_, '_, '_> {
    fn scalar<E: Error>(self, v: Scalar<'_>) -> Result<(), E> {
        let text = match v {
            Scalar::Text(s) => Some(s),
            _ => None,
        };
        self.st
            .run
            .choice_item(self.f, self.c, text, self.seen, self.path);
        Ok(())
    }
}

/// One file; past the checked items of a list (`check` false), counted only.
struct FileSeed<'s, 'p, 'a> {
    st: &'s mut Stream<'p>,
    f: &'p CField,
    c: &'p CFile,
    path: &'a Path<'a>,
    check: bool,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if !self.check {
            return self.st.skip(d);
        }
        take(&mut self.st.left)?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_, '_, '_> {
    type Value = ();
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.st.run.type_error(self.path, self.f, "a file");
        self.st.skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        read_file(self.st, self.f, self.c, self.path, map)
    }
}

impl FileSeed<'_, '_, '_> {
    fn scalar<E: Error>(self, _: Scalar<'_>) -> Result<(), E> {
        self.st.run.type_error(self.path, self.f, "a file");
        Ok(())
    }
}

fn read_file<'de, A: MapAccess<'de>>(
    st: &mut Stream<'_>,
    f: &CField,
    c: &CFile,
    path: &Path<'_>,
    mut map: A,
) -> Result<(), A::Error> {
    let mut meta = FileMeta::default();
    let mut unknown: Vec<Cow<'de, str>> = Vec::new();
    while let Some(key) = map.next_key_seed(Key)? {
        let bit = FileMeta::bit(&key);
        if (bit != 0 && meta.present & bit != 0) || (bit == 0 && unknown.contains(&key)) {
            return Err(st.fall_back());
        }
        let value = map.next_value_seed(MetaSeed { left: &mut st.left })?;
        let child = Path {
            parent: Some(path),
            seg: Seg::Key(&key),
        };
        st.run.file_entry(f, c, &key, value, &mut meta, &child);
        if bit == 0 {
            unknown.push(key);
        }
    }
    st.run.file_end(f, c, &meta, path);
    Ok(())
}

/// A file's metadata value (counted).
struct MetaSeed<'s> {
    left: &'s mut usize,
}

impl<'de> DeserializeSeed<'de> for MetaSeed<'_> {
    type Value = Meta<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Meta<'de>, D::Error> {
        take(self.left)?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MetaSeed<'_> {
    type Value = Meta<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: Error>(self, _: bool) -> Result<Meta<'de>, E> {
        Ok(Meta::Other)
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<Meta<'de>, E> {
        Ok(u64::try_from(v).map_or(Meta::Other, Meta::Whole))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<Meta<'de>, E> {
        Ok(Meta::Whole(v))
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<Meta<'de>, E> {
        Ok(Meta::Other)
    }
    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Meta<'de>, E> {
        Ok(Meta::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Meta<'de>, E> {
        Ok(Meta::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_unit<E: Error>(self) -> Result<Meta<'de>, E> {
        Ok(Meta::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Meta<'de>, A::Error> {
        Skip { left: self.left }.visit_seq(seq)?;
        Ok(Meta::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Meta<'de>, A::Error> {
        Skip { left: self.left }.visit_map(map)?;
        Ok(Meta::Other)
    }
}

/// One item of a group; past the checked items (`check` false), counted only, and kept for
/// the counting rules when the group is counted.
struct ItemSeed<'s, 'p, 'a> {
    st: &'s mut Stream<'p>,
    f: &'p CField,
    obj: &'p CObject,
    path: &'a Path<'a>,
    check: bool,
    taps: &'p [(Box<str>, usize)],
    index: usize,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if !self.check {
            if self.taps.is_empty() {
                return self.st.skip(d);
            }
            let item = Tree { st: &mut *self.st }.deserialize(d)?;
            let plan = self.st.plan;
            for (_, r) in self.taps {
                if let (Some(t), Some(agg)) = (&mut self.st.tallies[*r], plan.rules[*r].aggregate())
                {
                    t.add_item(agg, self.index, &item);
                }
            }
            return Ok(());
        }
        take(&mut self.st.left)?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_, '_, '_> {
    type Value = ();
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.st.run.type_error(self.path, self.f, "an object");
        self.st.skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let role = if self.taps.is_empty() {
            Role::Plain
        } else {
            Role::Counted {
                taps: self.taps,
                index: self.index,
            }
        };
        read_object(self.st, self.obj, Some(self.path), role, map)
    }
}

impl ItemSeed<'_, '_, '_> {
    fn scalar<E: Error>(self, _: Scalar<'_>) -> Result<(), E> {
        self.st.run.type_error(self.path, self.f, "an object");
        Ok(())
    }
}
