#!/usr/bin/env python3
"""Runs acceptance cases against the formwork CLI and, optionally, independent schema validators.

Usage (from anywhere; paths default to this repository):
  python3 tests/acceptance/check.py [--bin target/debug/formwork] [--spec specs/pipedrive-app.yaml]
                                    [--cases DIR]... [--external] [--dialect D]...

Cases come from tests/cases/pipedrive (see tests/cases/README.md for their format), plus every folder
given with --cases or listed in $FORMWORK_EXTRA_CASES (separated by ':'), an optional extra. With
another --spec, only the --cases folders are read (e.g. tests/conditions/cases with
tests/conditions/spec.yaml).

Contract checked, per case file:
  formwork validate SPEC --stage STAGE FILE   ->  exit 0 valid / 1 invalid, JSON report on stdout:
  {"valid": bool, "errors": [{"path": "/json/pointer", "message": "...", ...}], "warnings": [...]}
Every expected error (warning) pointer must be a prefix, at a segment boundary, of a reported one;
with exact_warnings, no other warning may be reported.

--external: for each dialect (default: all three), `formwork schema SPEC --stage STAGE --dialect D`
must print a schema that passes its meta-schema and that an independent validator (formats asserted)
accepts for every valid case and, where the case says schema_expressible, rejects for every invalid
one:
  2020-12      python jsonschema, Draft202012Validator
  draft-07     python jsonschema, Draft7Validator
  openapi-3.0  openapi-spec-validator (the document), openapi-schema-validator OAS30WriteValidator (cases)
and the OpenAPI 3.1 document of the JSON API (`formwork openapi SPEC`, served at /openapi.json) must
pass openapi-spec-validator, its stage schemas judging the cases as the 2020-12 schemas do.
A rule that a dialect cannot express is moved to x-formwork-rules (the CLI says so on stderr); an
invalid case whose expected errors lie at such a moved rule's path is not expected to be rejected there.

Prints one line per failing case and ends with 'N passed, N failed'. Exit 1 if any failed.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DIALECTS = ("2020-12", "draft-07", "openapi-3.0")


def covers(expected, reported):
    return reported == expected or expected == "" or reported.startswith(expected + "/")


def at_rule(expected, rule_path):
    """Whether an error expected at `expected` lies at or above a rule's path, whose `*` segments
    stand for any item index (`/actions/*/schema` is at `/actions/1/schema`)."""
    a, b = expected.split("/")[1:], rule_path.split("/")[1:]
    return len(a) <= len(b) and all(x == y or y == "*" for x, y in zip(a, b))


def run_case(args, case, tmp):
    path = os.path.join(tmp, "submission.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(case["submission"], f, ensure_ascii=False)
    cmd = [args.bin, "validate", args.spec, "--stage", case["stage"], path]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    want = case["expect"]
    if p.returncode not in (0, 1):
        return f"exit {p.returncode}: {p.stderr.strip()[:300]}"
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        return f"stdout is not JSON ({e}): {p.stdout[:200]!r}"
    valid = report.get("valid")
    if valid is not want["valid"]:
        return f"valid={valid}, expected {want['valid']}; errors: {[e.get('path') for e in report.get('errors', [])]}"
    if (p.returncode == 0) != want["valid"]:
        return f"exit code {p.returncode} disagrees with valid={valid}"
    for kind in ("errors", "warnings"):
        got = [e.get("path", None) for e in report.get(kind, [])]
        for exp in want.get(kind, []):
            if not any(isinstance(g, str) and covers(exp, g) for g in got):
                return f"expected {kind[:-1]} at {exp!r}, reported {got}"
    if want.get("exact_warnings"):
        extra = [w.get("path") for w in report.get("warnings", [])
                 if not any(covers(exp, w.get("path", "")) for exp in want.get("warnings", []))]
        if extra:
            return f"unexpected warnings at {extra}"
    if want["valid"] and report.get("errors"):
        return f"valid but errors listed: {report['errors']}"
    return None


def schema_of(args, stage, dialect):
    p = subprocess.run([args.bin, "schema", args.spec, "--stage", stage, "--dialect", dialect],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"schema --stage {stage} --dialect {dialect}: exit {p.returncode}: {p.stderr.strip()[:300]}")
    return json.loads(p.stdout)


def rules_of(schema):
    return {(r["id"], r["path"]) for r in schema.get("x-formwork-rules", [])}


def json_schema_validator(schema, dialect):
    """A python-jsonschema validator of the dialect (formats asserted), after the meta-schema check."""
    import jsonschema
    cls = {"2020-12": jsonschema.Draft202012Validator, "draft-07": jsonschema.Draft7Validator}[dialect]
    if jsonschema.validators.validator_for(schema) is not cls:
        raise RuntimeError(f"$schema is {schema.get('$schema')!r}, not {dialect}")
    cls.check_schema(schema)
    return schema, cls(schema, format_checker=cls.FORMAT_CHECKER)


def openapi_validator(document):
    """OAS30WriteValidator (a submission is a request) over the document's form schema, after the whole document is validated."""
    from openapi_spec_validator import validate
    from openapi_schema_validator import OAS30WriteValidator, oas30_format_checker
    validate(document)
    schemas = document["components"]["schemas"]
    names = [n for n, s in schemas.items() if s.get("type") == "object"]
    if len(names) != 1:
        raise RuntimeError(f"expected one object schema in components.schemas, found {names}")
    # The document itself is the root resource, so `#/components/schemas/...` references resolve.
    wrapper = dict(document)
    wrapper["$ref"] = f"#/components/schemas/{names[0]}"
    return schemas[names[0]], OAS30WriteValidator(wrapper, format_checker=oas30_format_checker)


def external_check(args, cases, dialect):
    try:
        import jsonschema  # noqa: F401
        if dialect == "openapi-3.0":
            import openapi_schema_validator  # noqa: F401
            import openapi_spec_validator  # noqa: F401
    except ImportError as e:
        return [f"{dialect}: python package missing ({e}); tests/run.sh installs them into .venv"]
    failures = []
    validators = {}
    moved = {}
    for stage in sorted({c["stage"] for c in cases}):
        try:
            base = schema_of(args, stage, "2020-12")
            emitted = schema_of(args, stage, dialect)
            if dialect == "openapi-3.0":
                root, validator = openapi_validator(emitted)
            else:
                root, validator = json_schema_validator(emitted, dialect)
        except Exception as e:  # a failing schema is one failure, not a crash
            return [f"{dialect} stage {stage}: {type(e).__name__}: {str(e)[:300]}"]
        validators[stage] = validator
        moved[stage] = [path for (_, path) in rules_of(root) - rules_of(base)]
    for c in cases:
        v = validators[c["stage"]]
        ok = v.is_valid(c["submission"])
        if c["expect"]["valid"] and not ok:
            err = next(v.iter_errors(c["submission"]))
            failures.append(f"{c['name']}: {dialect} validator rejects a valid case: {err.message[:200]}")
        elif not c["expect"]["valid"] and c.get("schema_expressible") and ok:
            # Expected at a moved rule's path (or above it): the dialect may not see it.
            lost = any(at_rule(e, p) for p in moved[c["stage"]] for e in c["expect"].get("errors", []))
            if not lost:
                failures.append(f"{c['name']}: {dialect} validator accepts an invalid case the schema can express")
    return failures


def api_check(args, cases):
    """The API document validates as OpenAPI 3.1, and each stage's request schema in it (the
    2020-12 schema with its lists under components) judges every case like the exported schema."""
    import jsonschema
    from openapi_spec_validator import validate
    p = subprocess.run([args.bin, "openapi", args.spec], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return [f"openapi: exit {p.returncode}: {p.stderr.strip()[:300]}"]
    document = json.loads(p.stdout)
    try:
        validate(document)
    except Exception as e:
        return [f"openapi-3.1 document: {type(e).__name__}: {str(e)[:300]}"]
    if not document.get("openapi", "").startswith("3.1"):
        return [f"openapi is {document.get('openapi')!r}, not 3.1"]
    failures = []
    bases = {stage: schema_of(args, stage, "2020-12") for stage in {c["stage"] for c in cases}}
    for c in cases:
        base = bases[c["stage"]]
        name = [n for n, sch in document["components"]["schemas"].items()
                if sch.get("x-formwork-id") == base["$id"]]
        if len(name) != 1:
            return [f"openapi: no single schema for stage {c['stage']} ({name})"]
        wrapper = dict(document)
        wrapper["$ref"] = f"#/components/schemas/{name[0]}"
        v = jsonschema.Draft202012Validator(wrapper, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        ok = v.is_valid(c["submission"])
        if ok != jsonschema.Draft202012Validator(base, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).is_valid(c["submission"]):
            failures.append(f"{c['name']}: the API document's schema and the exported schema disagree")
    return failures


DEFAULT_SPEC = os.path.join(ROOT, "specs", "pipedrive-app.yaml")


def case_dirs(args):
    # The repository's Pipedrive cases (and the optional extras) go with the Pipedrive spec;
    # another spec brings its own cases with --cases.
    pipedrive = os.path.realpath(args.spec) == os.path.realpath(DEFAULT_SPEC)
    dirs = [os.path.join(ROOT, "tests", "cases", "pipedrive")] if pipedrive else []
    dirs += args.cases or []
    if pipedrive:
        extra = os.environ.get("FORMWORK_EXTRA_CASES", "")
        dirs += [d for d in extra.split(":") if d]
    return dirs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "formwork"))
    ap.add_argument("--spec", default=DEFAULT_SPEC)
    ap.add_argument("--cases", action="append", help="another folder of cases (repeatable)")
    ap.add_argument("--external", action="store_true", help="also check the exported schemas")
    ap.add_argument("--dialect", action="append", choices=DIALECTS,
                    help="with --external: a dialect to check (repeatable; default all)")
    args = ap.parse_args()
    cases = []
    for d in case_dirs(args):
        files = sorted(glob.glob(os.path.join(d, "*.json")))
        if not files:
            print(f"no cases in {d}")
            return 1
        for f in files:
            with open(f, encoding="utf-8") as fh:
                cases.append(json.load(fh))
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for c in cases:
            try:
                why = run_case(args, c, tmp)
            except (OSError, subprocess.TimeoutExpired) as e:
                why = f"could not run: {e}"
            if why:
                failed += 1
                print(f"FAIL {c['name']} [{c['stage']}]: {why}")
            else:
                passed += 1
    if args.external:
        for dialect in args.dialect or DIALECTS:
            failures = external_check(args, cases, dialect)
            for why in failures:
                print(f"FAIL external: {why}")
            failed += len(failures)
            passed += 0 if failures else 1
        failures = api_check(args, cases)
        for why in failures:
            print(f"FAIL external: {why}")
        failed += len(failures)
        passed += 0 if failures else 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
