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
use crate::compile::{Aggregate, CChoice, CField, CFile, CKind, CObject, Plan, Tap};
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
        // The rare cases read as a tree (see the module's documentation).
        let by_tree = || crate::json::from_slice(bytes).map(|v| self.validate(&v, stage));
        if plan.stream.whole {
            return by_tree();
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
            return by_tree();
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let read = Root { st: &mut st }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        if st.fallback || st.run.omitted > 0 {
            return by_tree();
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
            return by_tree();
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

impl<'p> Stream<'p> {
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

    /// The tally of counting rule `rule`, with what it counts.
    fn tally(&mut self, rule: usize) -> Option<(&mut Tally, &'p Aggregate)> {
        let plan = self.plan;
        match (
            self.tallies.get_mut(rule)?,
            plan.rules.get(rule)?.aggregate(),
        ) {
            (Some(t), Some(agg)) => Some((t, agg)),
            _ => None,
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
    Counted { taps: &'p [Tap], index: usize },
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
                for tap in &plan.stream.taps[i] {
                    if let (Some((t, agg)), Value::Array(items)) = (st.tally(tap.rule), &v) {
                        for (n, item) in items.iter().enumerate() {
                            t.add_item(agg, tap.part, n, item);
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
            Role::Counted { taps, index } if taps.iter().any(|tap| *tap.sub == *key) => {
                let v = map.next_value_seed(Tree { st: &mut *st })?;
                st.run.field(f, &v, &child);
                for tap in taps {
                    if *tap.sub == *key
                        && let Some((t, agg)) = st.tally(tap.rule)
                    {
                        t.add_value(agg, tap.part, index, &v);
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
    st.run.missing_fields(obj, &seen, path, None);
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
    taps: &'p [Tap],
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
                    .next_element_seed(Element {
                        st: &mut *st,
                        path: &Path {
                            parent: Some(path),
                            seg: Seg::Index(n),
                        },
                        check: n < checked(c.max_items),
                        kind: ChoiceItem {
                            f,
                            c,
                            seen: &mut seen,
                        },
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
                    .next_element_seed(Element {
                        st: &mut *st,
                        path: &Path {
                            parent: Some(path),
                            seg: Seg::Index(n),
                        },
                        check: n < checked(c.rules.max_items),
                        kind: FileItem { f, c },
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
                    .next_element_seed(Element {
                        st: &mut *st,
                        path: &Path {
                            parent: Some(path),
                            seg: Seg::Index(n),
                        },
                        check: n < checked(g.max_items),
                        kind: GroupItem {
                            f,
                            obj: &g.object,
                            taps: self.taps,
                            index: n,
                        },
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

/// An element of a list field, checked as its kind `K` says; past the checked elements
/// (`check` false), counted and skipped.
struct Element<'s, 'p, 'a, K> {
    st: &'s mut Stream<'p>,
    path: &'a Path<'a>,
    check: bool,
    kind: K,
}

/// What one kind of list element checks.
trait ElementKind<'p>: Sized {
    /// An element that is not an object (`text` when it is a string).
    fn other(self, st: &mut Stream<'p>, path: &Path<'_>, text: Option<&str>);

    /// An element that is an object.
    fn object<'de, A: MapAccess<'de>>(
        self,
        st: &mut Stream<'p>,
        path: &Path<'_>,
        map: A,
    ) -> Result<(), A::Error> {
        self.other(st, path, None);
        st.skip_map(map)
    }

    /// An element past the checked ones.
    fn past_limit<'de, D: Deserializer<'de>>(
        self,
        st: &mut Stream<'p>,
        d: D,
    ) -> Result<(), D::Error> {
        st.skip(d)
    }
}

impl<'de, 'p, K: ElementKind<'p>> DeserializeSeed<'de> for Element<'_, 'p, '_, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if !self.check {
            return self.kind.past_limit(self.st, d);
        }
        take(&mut self.st.left)?;
        d.deserialize_any(self)
    }
}

impl<'de, 'p, K: ElementKind<'p>> Visitor<'de> for Element<'_, 'p, '_, K> {
    type Value = ();
    scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.kind.other(self.st, self.path, None);
        self.st.skip_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.kind.object(self.st, self.path, map)
    }
}

impl<'p, K: ElementKind<'p>> Element<'_, 'p, '_, K> {
    fn scalar<E: Error>(self, v: Scalar<'_>) -> Result<(), E> {
        let text = match v {
            Scalar::Text(s) => Some(s),
            _ => None,
        };
        self.kind.other(self.st, self.path, text);
        Ok(())
    }
}

/// An item of a multiple choice; `seen` holds the values before it.
struct ChoiceItem<'s, 'p> {
    f: &'p CField,
    c: &'p CChoice,
    seen: &'s mut BitSet,
}

impl<'p> ElementKind<'p> for ChoiceItem<'_, 'p> {
    fn other(self, st: &mut Stream<'p>, path: &Path<'_>, text: Option<&str>) {
        st.run.choice_item(self.f, self.c, text, self.seen, path);
    }
}

/// A file of a list of files.
struct FileItem<'p> {
    f: &'p CField,
    c: &'p CFile,
}

impl<'p> ElementKind<'p> for FileItem<'p> {
    fn other(self, st: &mut Stream<'p>, path: &Path<'_>, _: Option<&str>) {
        st.run.type_error(path, self.f, "a file");
    }

    fn object<'de, A: MapAccess<'de>>(
        self,
        st: &mut Stream<'p>,
        path: &Path<'_>,
        map: A,
    ) -> Result<(), A::Error> {
        read_file(st, self.f, self.c, path, map)
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

/// Item `index` of a group: its items past the checked ones are kept for the counting rules
/// when the group is counted (`taps`).
struct GroupItem<'p> {
    f: &'p CField,
    obj: &'p CObject,
    taps: &'p [Tap],
    index: usize,
}

impl<'p> ElementKind<'p> for GroupItem<'p> {
    fn other(self, st: &mut Stream<'p>, path: &Path<'_>, _: Option<&str>) {
        st.run.type_error(path, self.f, "an object");
    }

    fn object<'de, A: MapAccess<'de>>(
        self,
        st: &mut Stream<'p>,
        path: &Path<'_>,
        map: A,
    ) -> Result<(), A::Error> {
        let role = if self.taps.is_empty() {
            Role::Plain
        } else {
            Role::Counted {
                taps: self.taps,
                index: self.index,
            }
        };
        read_object(st, self.obj, Some(path), role, map)
    }

    fn past_limit<'de, D: Deserializer<'de>>(
        self,
        st: &mut Stream<'p>,
        d: D,
    ) -> Result<(), D::Error> {
        if self.taps.is_empty() {
            return st.skip(d);
        }
        let item = Tree { st: &mut *st }.deserialize(d)?;
        for tap in self.taps {
            if let Some((t, agg)) = st.tally(tap.rule) {
                t.add_item(agg, tap.part, self.index, &item);
            }
        }
        Ok(())
    }
}
