//! The `formwork` command end to end: generate (and --check), schema, check, spec-schema, validate.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_formwork"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pipedrive() -> PathBuf {
    root().join("specs/pipedrive-app.yaml")
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("formwork runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn read_dir_sorted(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("prefix").display().to_string();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn generate_writes_every_artefact_deterministically_and_check_detects_staleness() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    for dir in [a.path(), b.path()] {
        let o = run(bin().arg("generate").arg(pipedrive()).arg("--out").arg(dir));
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let files = read_dir_sorted(a.path());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "pipedrive_app.rs",
        "pipedrive_app.save.schema.json",
        "pipedrive_app.review.schema.json",
        "pipedrive_app.hbs",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert_eq!(files, read_dir_sorted(b.path()), "same spec, same bytes");

    let check = || {
        run(bin()
            .arg("generate")
            .arg(pipedrive())
            .arg("--out")
            .arg(a.path())
            .arg("--check"))
    };
    let o = check();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    std::fs::write(a.path().join("pipedrive_app.review.schema.json"), "{}").expect("write");
    std::fs::remove_file(a.path().join("pipedrive_app.hbs")).expect("rm");
    let before = read_dir_sorted(a.path());
    let o = check();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("stale: pipedrive_app.review.schema.json")
            && err.contains("stale: pipedrive_app.hbs"),
        "{err}"
    );
    assert!(!err.contains("stale: pipedrive_app.rs"), "{err}");
    assert_eq!(before, read_dir_sorted(a.path()), "--check writes nothing");
}

#[test]
fn bad_spec_exits_2_with_file_line_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = dir.path().join("bad.yaml");
    std::fs::write(
        &spec,
        "form: {id: x, title: X}\nstages: [{id: a, label: A}]\nsections:\n  - id: s\n    title: S\n    fields:\n      - {id: f, label: F, kind: txt}\n      - {id: f, label: G, kind: text}\n",
    )
    .expect("write");
    for args in [
        vec!["check"],
        vec!["generate", "--out"],
        vec!["schema", "--stage", "a"],
        vec!["validate", "--stage", "a"],
    ] {
        let mut cmd = bin();
        cmd.arg(args[0]).arg(&spec).args(&args[1..]);
        if args[0] == "generate" {
            cmd.arg(dir.path().join("out"));
        }
        let o = run(cmd.stdin(Stdio::null()));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = text(&o.stderr);
        assert!(
            err.contains("bad.yaml:7:33: unknown field kind `txt`"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("bad.yaml:8:14: duplicate field id `f`"),
            "{args:?}: {err}"
        );
        assert!(o.stdout.is_empty());
    }
    let o = run(bin().arg("check").arg(dir.path().join("missing.yaml")));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("missing.yaml: cannot read spec"));
}

#[test]
fn check_accepts_the_bundled_specs() {
    let o = run(bin()
        .arg("check")
        .arg(pipedrive())
        .arg(root().join("specs/contact.yaml")));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("form `pipedrive_app`, 2 stages, 7 sections"),
        "{out}"
    );
    // The contact form has one stage and one rule: singular nouns.
    assert!(out.contains("form `contact`, 1 stage, "), "{out}");
    assert!(
        !out.contains(" 1 stages") && !out.contains(" 1 rules"),
        "{out}"
    );
}

#[test]
fn schema_prints_the_stage_schema_and_rejects_unknown_stages() {
    let o = run(bin()
        .arg("schema")
        .arg(pipedrive())
        .args(["--stage", "review"]));
    assert!(o.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let o = run(bin()
        .arg("schema")
        .arg(pipedrive())
        .args(["--stage", "publish"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("unknown stage `publish`; this form's stages are: save, review")
    );
}

#[test]
fn spec_schema_describes_the_spec_language() {
    let o = run(bin().arg("spec-schema"));
    assert!(o.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(
        jsonschema::meta::is_valid(&schema),
        "spec-schema is a valid JSON Schema"
    );
    let props = schema["properties"].as_object().expect("properties");
    for key in ["form", "stages", "lists", "sections", "rules", "issued"] {
        assert!(props.contains_key(key), "{key}");
    }
    let committed = std::fs::read_to_string(root().join("specs/formwork-spec.schema.json"))
        .expect("committed spec schema");
    assert_eq!(
        text(&o.stdout),
        committed,
        "specs/formwork-spec.schema.json is stale: run `formwork spec-schema > specs/formwork-spec.schema.json`"
    );
}

fn validate(stage: &str, input: &str, extra: &[&str]) -> Output {
    let mut child = bin()
        .arg("validate")
        .arg(pipedrive())
        .args(["--stage", stage])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

#[test]
fn validate_reports_as_json_with_exit_codes() {
    let o = validate(
        "save",
        r#"{"app_name": "Random", "callback_url": "https://example.com/cb"}"#,
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("report");
    assert_eq!(
        (r["valid"].as_bool(), r["stage"].as_str()),
        (Some(true), Some("save"))
    );

    let o = validate(
        "save",
        r#"{"app_name": "", "callback_url": "nope", "foo": 1}"#,
        &["-"],
    );
    assert_eq!(o.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("report");
    let paths: Vec<&str> = r["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(paths, ["/app_name", "/callback_url", "/foo"]);
    for e in r["errors"].as_array().expect("errors") {
        assert!(e["code"].is_string() && e["message"].is_string());
    }
}

#[test]
fn validate_text_format_groups_by_section() {
    let o = validate(
        "save",
        r#"{"app_name": "", "callback_url": "nope"}"#,
        &["--format", "text"],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.starts_with("invalid at stage save: 2 error(s), 0 warning(s)\n"),
        "{out}"
    );
    assert!(
        out.contains("General information\n  /app_name: error: Enter App name\n"),
        "{out}"
    );
    assert!(
        out.contains("OAuth and access scopes\n  /callback_url: error: "),
        "{out}"
    );
}

#[test]
fn unreadable_input_exits_2() {
    let o = validate("save", "{not json", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("stdin: not valid JSON: key must be a string at line 1 column 2"),
        "{}",
        text(&o.stderr)
    );
    let o = validate("final", "{}", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown stage `final`"));
    let o =
        run(bin()
            .arg("validate")
            .arg(pipedrive())
            .args(["--stage", "save", "/nonexistent.json"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("/nonexistent.json: cannot read submission"));
}

#[test]
fn help_is_complete_for_every_subcommand() {
    let o = run(bin().arg("--help"));
    let out = text(&o.stdout);
    for sub in [
        "generate",
        "schema",
        "check",
        "spec-schema",
        "validate",
        "serve",
        "diff",
        "openapi",
    ] {
        assert!(out.contains(sub), "{sub} missing from --help");
        let o = run(bin().arg(sub).arg("--help"));
        assert!(o.status.success(), "{sub} --help");
        assert!(text(&o.stdout).contains("Usage: formwork"), "{sub}");
    }
}

/// The project's Python: `.venv/bin/python3` (made by `tests/run.sh`) when present, else `python3`.
fn python() -> Command {
    let venv = root().join(".venv/bin/python3");
    Command::new(if venv.is_file() {
        venv.into_os_string()
    } else {
        "python3".into()
    })
}

/// The acceptance script (`tests/acceptance/check.py`) on the repository's cases, with independent
/// validators for every dialect: Python `jsonschema` (2020-12, draft-07), the OpenAPI 3.0
/// validators, and the OpenAPI 3.1 document of the JSON API.
#[test]
fn acceptance_cases_pass_including_the_external_schema_checks() {
    let script = root().join("tests/acceptance/check.py");
    let o = run(python()
        .arg(&script)
        .arg("--external")
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_formwork"))
        .arg("--spec")
        .arg(pipedrive()));
    let out = text(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}\n(tests/run.sh installs the Python packages into .venv)",
        text(&o.stderr)
    );
    let last = out.lines().last().unwrap_or("");
    let passed: usize = last
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    // 47 cases, 3 external dialect checks and the API document, at least.
    assert!(passed >= 51, "{last}");
}

/// `schema --dialect`: draft-07 and OpenAPI 3.0 output, what they cannot express named on stderr.
#[test]
fn schema_dialects_say_what_moved_to_x_formwork_rules() {
    let o = run(bin().arg("schema").arg(pipedrive()).args([
        "--stage",
        "review",
        "--dialect",
        "draft-07",
    ]));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let err = text(&o.stderr);
    for rule in ["actions_per_view", "panels_per_location"] {
        assert!(
            err.contains(&format!("rule `{rule}`")) && err.contains("maxContains"),
            "{err}"
        );
    }

    let o = run(bin().arg("schema").arg(pipedrive()).args([
        "--stage",
        "save",
        "--dialect",
        "openapi-3.0",
    ]));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["components"]["schemas"]["PipedriveAppSave"].is_object());

    let o = run(bin()
        .arg("schema")
        .arg(pipedrive())
        .args(["--stage", "review"]));
    assert!(o.status.success());
    assert!(text(&o.stderr).is_empty(), "2020-12 expresses everything");

    let o = run(bin().arg("schema").arg(pipedrive()).args([
        "--stage",
        "review",
        "--dialect",
        "draft-04",
    ]));
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("2020-12, draft-07, openapi-3.0"),
        "lists the dialects: {err}"
    );
}

/// The independent Node check: ajv 8 (2020-12 and draft-07, ajv-formats) on the schemas the CLI prints.
#[test]
fn ajv_agrees_with_the_acceptance_cases() {
    let dir = root().join("tests/ajv");
    assert!(
        dir.join("node_modules/ajv").is_dir(),
        "run `npm ci` in tests/ajv (tests/run.sh does it)"
    );
    // The Pipedrive spec and its cases, the spec with conditions (if/then) and its cases, and
    // the GitHub Marketplace listing (variants as oneOf) and its cases.
    let conditions = root().join("tests/conditions");
    for (spec, cases, stages) in [
        (
            pipedrive(),
            root().join("tests/cases/pipedrive"),
            "review,save",
        ),
        (
            conditions.join("spec.yaml"),
            conditions.join("cases"),
            "review,save",
        ),
        (
            root().join("specs/github-marketplace.yaml"),
            root().join("tests/cases/github-marketplace"),
            "draft,publish",
        ),
    ] {
        let o = run(Command::new("node")
            .arg("--test")
            .arg("schema.test.mjs")
            .current_dir(&dir)
            .env("FORMWORK_BIN", env!("CARGO_BIN_EXE_formwork"))
            .env("FORMWORK_SPEC", &spec)
            .env("FORMWORK_CASES", &cases)
            .env("FORMWORK_STAGES", stages));
        let out = text(&o.stdout);
        assert!(o.status.success(), "{out}{}", text(&o.stderr));
        assert!(out.contains("# fail 0"), "{out}");
    }
}

/// The last line of the acceptance script (`N passed, N failed`) run with `--external` on
/// `spec` and its `cases`, after checking that it succeeded.
fn acceptance_script(spec: &Path, cases: &Path) -> String {
    let o = run(python()
        .arg(root().join("tests/acceptance/check.py"))
        .arg("--external")
        .arg("--bin")
        .arg(env!("CARGO_BIN_EXE_formwork"))
        .arg("--spec")
        .arg(spec)
        .arg("--cases")
        .arg(cases));
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    out.lines().last().unwrap_or("").to_string()
}

/// The acceptance script on the spec with conditions and its cases: the CLI's verdicts, and
/// Python `jsonschema` agreeing wherever the exported schemas can state the condition.
#[test]
fn condition_cases_pass_including_the_external_schema_checks() {
    let dir = root().join("tests/conditions");
    // 15 cases, 3 dialects and the API document.
    assert_eq!(
        acceptance_script(&dir.join("spec.yaml"), &dir.join("cases")),
        "19 passed, 0 failed"
    );
}

/// The second flagship spec, the GitHub Marketplace listing (variants and conditions), and its
/// acceptance cases: the CLI's verdicts, and Python `jsonschema` agreeing in every dialect.
#[test]
fn github_marketplace_cases_pass_including_the_external_schema_checks() {
    // 28 cases, 3 dialects and the API document.
    assert_eq!(
        acceptance_script(
            &root().join("specs/github-marketplace.yaml"),
            &root().join("tests/cases/github-marketplace")
        ),
        "32 passed, 0 failed"
    );
}

/// `formwork serve` answers on the address it prints, creates its database, and stops cleanly on SIGTERM.
#[test]
fn serve_starts_answers_and_shuts_down_gracefully_on_sigterm() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("records.db");
    let (mut child, addr, lines) = support::spawn_serve(&db);
    assert!(db.is_file(), "database created on first start");
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    stream
        .write_all(b"GET /sign-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        &response[..response.len().min(200)]
    );
    assert!(
        response.contains("content-security-policy"),
        "CSP header present"
    );
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().expect("exits");
    assert!(status.success(), "exit status {status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

/// The sample submissions the README points newcomers to give the verdicts it promises.
#[test]
fn example_submissions_give_the_documented_verdicts() {
    let dir = root().join("examples/submissions");
    for (file, stage, exit, errors) in [
        ("pipedrive-draft.json", "save", 0, &[][..]),
        (
            "pipedrive-draft.json",
            "review",
            1,
            &["/short_summary", "/partner_agreement"][..],
        ),
        ("pipedrive-review.json", "review", 0, &[][..]),
        (
            "pipedrive-invalid.json",
            "review",
            1,
            &[
                "/categories/1",
                "/app_icon",
                "/callback_url",
                "/support_email",
                "/privacy_policy_url",
                "/partner_agreement",
                "/app_actions",
            ][..],
        ),
    ] {
        let o = run(bin()
            .arg("validate")
            .arg(pipedrive())
            .args(["--stage", stage])
            .arg(dir.join(file)));
        assert_eq!(
            o.status.code(),
            Some(exit),
            "{file} at {stage}: {}",
            text(&o.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
        let paths: Vec<&str> = report["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["path"].as_str())
            .collect();
        for want in errors {
            assert!(
                paths.contains(want),
                "{file} at {stage}: {want} not in {paths:?}"
            );
        }
        if exit == 0 {
            assert!(paths.is_empty(), "{file} at {stage}: {paths:?}");
        }
    }
}

/// Passing an acceptance case file (the submission wrapped with its verdict) gets a hint.
#[test]
fn validate_hints_when_given_a_wrapped_acceptance_case() {
    let case = root().join("tests/cases/pipedrive/review-full.json");
    let o = run(bin()
        .arg("validate")
        .arg(pipedrive())
        .args(["--stage", "review"])
        .arg(&case));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("looks like an acceptance case"), "{err}");
    let o = run(bin()
        .arg("validate")
        .arg(pipedrive())
        .args(["--stage", "review"])
        .arg(root().join("examples/submissions/pipedrive-invalid.json")));
    assert!(text(&o.stderr).is_empty(), "no hint for a real submission");
}

fn v2() -> PathBuf {
    root().join("tests/evolution/pipedrive-app.v2.yaml")
}

/// `formwork diff OLD NEW`: grouped text with a summary, JSON, exit codes and `--allow`.
#[test]
fn diff_classifies_changes_with_exit_codes() {
    let o = run(bin().arg("diff").arg(pipedrive()).arg(v2()));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("breaking (6)\n"), "{out}");
    assert!(
        out.contains("FIELD_REMOVED: field `/documentation_url` removed"),
        "{out}"
    );
    let v1 = std::fs::read_to_string(pipedrive()).expect("v1");
    let line = v1
        .lines()
        .position(|l| l.contains("id: product_details"))
        .expect("the value in v1")
        + 1;
    assert!(
        out.contains(&format!(
            "pipedrive-app.yaml:{line}:15: CHOICE_VALUE_REMOVED"
        )),
        "removals point into the old spec, at the value: {out}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap_or("")
            .contains("6 breaking, 0 potentially breaking, 2 compatible, 3 info"),
        "{out}"
    );

    let o = run(bin().arg("diff").arg(pipedrive()).arg(pipedrive()));
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("nothing breaking"));

    // Compatible changes only (v2 → v2 plus an optional field) exit 0.
    let o = run(bin()
        .args(["diff", "--format", "json"])
        .arg(pipedrive())
        .arg(v2())
        .args([
            "--allow",
            "FIELD_REMOVED",
            "--allow",
            "MAX_LENGTH_TIGHTENED",
        ])
        .args([
            "--allow",
            "CHOICE_VALUE_REMOVED",
            "--allow",
            "RULE_MAX_TIGHTENED",
        ]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["summary"]["breaking"], 6);
    assert_eq!(report["summary"]["blocking"], 0);
    assert_eq!(report["changes"].as_array().map(Vec::len), Some(11));

    let o = run(bin()
        .arg("diff")
        .arg(pipedrive())
        .arg(v2())
        .args(["--allow", "NO_SUCH_RULE"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown rule `NO_SUCH_RULE`"));

    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "form: {id: x\n").expect("write");
    let o = run(bin().arg("diff").arg(pipedrive()).arg(&bad));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("bad.yaml:"), "{}", text(&o.stderr));
}

/// `formwork diff NEW --against REV` reads OLD from git, as CI would run it.
#[test]
fn diff_against_a_git_revision() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = dir.path();
    let git = |args: &[&str]| {
        let o = run(Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args));
        assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
    };
    git(&["init", "-q"]);
    std::fs::create_dir(repo.join("specs")).expect("mkdir");
    let spec = repo.join("specs/app.yaml");
    std::fs::copy(pipedrive(), &spec).expect("copy v1");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "v1"]);
    std::fs::copy(v2(), &spec).expect("copy v2");

    let o = run(bin().arg("diff").arg(&spec).args(["--against", "HEAD"]));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("HEAD:"),
        "removals point into the old revision: {out}"
    );
    assert!(out.contains("FIELD_REMOVED"), "{out}");

    let o = run(bin()
        .arg("diff")
        .arg(&spec)
        .args(["--against", "no-such-rev"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("git cannot show"),
        "{}",
        text(&o.stderr)
    );

    let o = run(bin().arg("diff").arg(&spec));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--against"));
}

/// `formwork records check`: every record of a previous release's database under the new spec.
#[test]
fn records_check_reports_what_no_longer_conforms_and_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("v1.db");
    std::fs::copy(root().join("tests/evolution/v1.db"), &db).expect("copy");

    let o = run(bin()
        .args(["records", "check"])
        .arg(v2())
        .arg("--db")
        .arg(&db));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(
        out.lines().last(),
        Some(
            "4 of 4 records need attention; 3 records in status hidden are no longer valid at save; \
             1 record in status in_review is no longer valid at review"
        ),
        "{out}"
    );
    assert!(
        out.contains("[removed field]") && out.contains("[removed value]"),
        "{out}"
    );
    assert!(
        out.contains("at most 2 are allowed [tightened limit]"),
        "{out}"
    );

    let o = run(bin()
        .args(["records", "check", "--format", "json"])
        .arg(v2())
        .arg("--db")
        .arg(&db));
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["summary"]["need_attention"], 4);
    let records = report["records"].as_array().expect("records");
    let a = records
        .iter()
        .find(|r| r["status"] == "in_review")
        .expect("record in review");
    assert_eq!(a["stages"]["review"]["valid"], false);
    let whys: Vec<&str> = a["stages"]["review"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["why"].as_str())
        .collect();
    assert!(
        whys.contains(&"tightened_limit") && whys.contains(&"removed_field"),
        "{whys:?}"
    );
    assert!(a["orphans"].as_array().is_some_and(|o| o.len() == 2));

    // Under the spec they were written with, the drafts are fine and the record in review is
    // valid at review: nothing fails at the stage of its status.
    let o = run(bin()
        .args(["records", "check"])
        .arg(pipedrive())
        .arg("--db")
        .arg(&db));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("0 of 4 records need attention"),
        "{}",
        text(&o.stdout)
    );

    let o = run(bin()
        .args(["records", "check"])
        .arg(v2())
        .arg("--db")
        .arg(dir.path().join("missing.db")));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no such database"));
}

/// Regeneration after a spec change: files no longer emitted are reported by --check and removed
/// by generate (through the manifest); the diff of the generated files shows the change and
/// little else (lists in declaration order, the embedded IR one JSON line per line).
#[test]
fn regeneration_removes_what_is_no_longer_generated_and_diffs_stay_small() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let spec = dir.path().join("app.yaml");
    let v1 = std::fs::read_to_string(pipedrive()).expect("v1");
    std::fs::write(&spec, &v1).expect("write");
    let generate = |check: bool| {
        let mut cmd = bin();
        cmd.arg("generate").arg(&spec).arg("--out").arg(&out);
        if check {
            cmd.arg("--check");
        }
        run(&mut cmd)
    };
    assert!(generate(false).status.success());
    let manifest = std::fs::read_to_string(out.join(".formwork-generated")).expect("manifest");
    assert!(
        manifest
            .lines()
            .any(|l| l == "pipedrive_app.review.schema.json"),
        "{manifest}"
    );
    let before = std::fs::read_to_string(out.join("pipedrive_app.rs")).expect("rs");
    assert!(
        before.lines().any(|l| l == "  \"id\": \"pipedrive_app\","),
        "the embedded IR is pretty JSON, one member per line"
    );

    // Rename the review stage: its schema file is no longer generated.
    let v2 = v1
        .replace(
            "  - id: review\n    label: Send to review",
            "  - id: submit\n    label: Send to review",
        )
        .replace("required: review", "required: submit")
        .replace("must_be_true: review", "must_be_true: submit")
        .replace("stage: review", "stage: submit");
    std::fs::write(&spec, &v2).expect("write");
    let o = generate(true);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("stale: pipedrive_app.review.schema.json (no longer generated"),
        "{}",
        text(&o.stderr)
    );
    let o = generate(false);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("removed 1 no longer generated"));
    assert!(!out.join("pipedrive_app.review.schema.json").exists());
    assert!(out.join("pipedrive_app.submit.schema.json").exists());
    assert_eq!(generate(true).status.code(), Some(0));

    // A field that starts using another list does not move any enum: the Rust diff is a handful
    // of lines around the change.
    std::fs::write(&spec, &v1).expect("write");
    assert!(generate(false).status.success());
    let before = std::fs::read_to_string(out.join("pipedrive_app.rs")).expect("rs");
    let v3 = v1.replace(
        "      - id: company\n        label: Company name\n",
        "      - id: panel_spot\n        label: Preferred panel spot\n        kind: choice\n        list: panel_locations\n      - id: company\n        label: Company name\n",
    );
    std::fs::write(&spec, &v3).expect("write");
    assert!(generate(false).status.success());
    let after = std::fs::read_to_string(out.join("pipedrive_app.rs")).expect("rs");
    let enums = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("pub enum "))
            .map(String::from)
            .collect()
    };
    assert_eq!(enums(&before), enums(&after), "enums keep their order");
    let changed = after.lines().filter(|l| !before.contains(l)).count();
    assert!(changed < 40, "{changed} new lines for one new field");
    let schema =
        std::fs::read_to_string(out.join("pipedrive_app.review.schema.json")).expect("schema");
    assert!(schema.contains("\"$id\": \"urn:formwork:pipedrive_app:1.0.0:review\""));
}

/// `formwork records migrate`: a dry run writes nothing; the real run applies the spec's steps,
/// and every migrated record keeps its previous version in its history.
#[test]
fn records_migrate_applies_the_specs_steps_and_keeps_history() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("v1.db");
    std::fs::copy(root().join("tests/evolution/v1.db"), &db).expect("copy");
    let bytes = std::fs::read(&db).expect("read");

    let o = run(bin()
        .args(["records", "migrate", "--dry-run"])
        .arg(v2())
        .arg("--db")
        .arg(&db));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("would migrate 3 of 4 record(s); dry run: nothing was written"),
        "{out}"
    );
    assert!(
        out.contains("/app_actions/0/locations: `product_details` became `deal_details`"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&db).expect("read"),
        bytes,
        "a dry run leaves the file as it was"
    );
    let o = run(bin()
        .args(["records", "check"])
        .arg(v2())
        .arg("--db")
        .arg(&db));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read(&db).expect("read"),
        bytes,
        "a check leaves the file as it was"
    );

    let o = run(bin()
        .args(["records", "migrate", "--format", "json"])
        .arg(v2())
        .arg("--db")
        .arg(&db));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["summary"]["migrated"], 3);

    let store = formwork_server::Store::open(&db).expect("db");
    let a = std::fs::read_to_string(root().join("tests/evolution/v1.records"))
        .expect("ids")
        .lines()
        .next()
        .expect("A")
        .to_string();
    let record = store.get(&a).expect("read").expect("A");
    assert!(record.data.get("documentation_url").is_none());
    assert_eq!(
        record.data["app_actions"][0]["locations"],
        serde_json::json!(["deal_details"])
    );
    assert_eq!(record.status, "in_review", "a migration keeps the status");
    let history = store.versions(&a).expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[0].data["documentation_url"],
        "https://www.randomawesomeapp.com/help"
    );
    assert_eq!(history[1].event, "migrate");
    assert_eq!(history[1].spec_version.as_deref(), Some("2.0.0"));
    assert!(
        history[1]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("/documentation_url"))
    );

    // Migrated records hold nothing the form has no place for; a second run has nothing to do.
    let o = run(bin()
        .args(["records", "check"])
        .arg(v2())
        .arg("--db")
        .arg(&db));
    let out = text(&o.stdout);
    assert!(!out.contains("kept, no longer in the form"), "{out}");
    let o = run(bin()
        .args(["records", "migrate"])
        .arg(v2())
        .arg("--db")
        .arg(&db));
    assert!(
        text(&o.stdout).contains("migrated 0 of 4 record(s)"),
        "{}",
        text(&o.stdout)
    );
}

/// `formwork users add|list|disable` and `formwork tokens create`: passwords from stdin or
/// generated and shown once, nothing stored in the clear.
#[test]
fn users_and_tokens_are_managed_from_the_cli() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("people.db");
    let mut add = bin()
        .args(["users", "add", "Ada@Example.com", "--db"])
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(b"a long enough password\n")
        .expect("write");
    let o = add.wait_with_output().expect("ends");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "added ada@example.com\n");

    let o = run(bin()
        .args([
            "users",
            "add",
            "rev@example.com",
            "--role",
            "reviewer",
            "--db",
        ])
        .arg(&db)
        .stdin(Stdio::null()));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let generated = out
        .split("with password ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .expect("a generated password is shown once");
    assert!(generated.len() >= 16, "{out}");

    let o = run(bin()
        .args(["users", "add", "ada@example.com", "--db"])
        .arg(&db)
        .stdin(Stdio::null()));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("already has an account"));
    let o = run(bin()
        .args(["users", "add", "not-an-email", "--db"])
        .arg(&db)
        .stdin(Stdio::null()));
    assert_eq!(o.status.code(), Some(2));

    let o = run(bin()
        .args(["tokens", "create", "ada@example.com", "--db"])
        .arg(&db));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let token = text(&o.stdout).trim().to_string();
    assert_eq!(token.len(), 64);
    let o = run(bin()
        .args(["tokens", "create", "nobody@example.com", "--db"])
        .arg(&db));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("formwork users add"));

    let o = run(bin()
        .args(["users", "disable", "rev@example.com", "--db"])
        .arg(&db));
    assert!(o.status.success());
    let o = run(bin().args(["users", "list", "--db"]).arg(&db));
    assert_eq!(
        text(&o.stdout),
        "ada@example.com\t-\tactive\nrev@example.com\treviewer\tdisabled\n"
    );

    // Neither the password, the generated one nor the token is in the database file.
    let bytes = std::fs::read(&db).expect("db");
    let haystack = String::from_utf8_lossy(&bytes);
    for secret in ["a long enough password", generated, token.as_str()] {
        assert!(!haystack.contains(secret), "{secret} stored in the clear");
    }
}

/// `formwork keys rotate`: every sealed secret moves to a new key; the old key is dropped; the
/// records still read (records check opens them with DB.key).
#[test]
fn keys_rotate_reseals_every_secret() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("v1.db");
    std::fs::copy(root().join("tests/evolution/v1.db"), &db).expect("copy");
    let key = dir.path().join("v1.db.key");
    {
        let mut store = formwork_server::Store::open(&db).expect("db");
        let vault = formwork_server::vault::Vault::load_or_create(&key).expect("key");
        let form = formwork_schema::load_file(pipedrive()).expect("spec");
        assert!(store.seal_with(vault, &form).expect("sealed") > 0);
    }
    let before = std::fs::read_to_string(&key).expect("key file");
    let o = run(bin().args(["keys", "rotate", "--db"]).arg(&db));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with("rotated: "),
        "{}",
        text(&o.stdout)
    );
    let after = std::fs::read_to_string(&key).expect("key file");
    assert_ne!(before, after);
    let keys = |s: &str| s.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(keys(&after), 1, "only the new key is kept");
    let bytes = String::from_utf8_lossy(&std::fs::read(&db).expect("db")).into_owned();
    assert!(!bytes.contains("s3cret-Pa55"));
    // The records still open with the new key.
    let o = run(bin()
        .args(["records", "check"])
        .arg(pipedrive())
        .arg("--db")
        .arg(&db));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let store = formwork_server::Store::open(&db).expect("db");
    let mut store = store;
    let vault = formwork_server::vault::Vault::load_or_create(&key).expect("key");
    let form = formwork_schema::load_file(pipedrive()).expect("spec");
    store.seal_with(vault, &form).expect("opens");
    let a = std::fs::read_to_string(root().join("tests/evolution/v1.records"))
        .expect("ids")
        .lines()
        .next()
        .expect("A")
        .to_string();
    let record = store.get(&a).expect("read").expect("A");
    assert_eq!(
        record.data["app_panels"][0]["http_auth_password"],
        "s3cret-Pa55"
    );

    let o = run(bin()
        .args(["keys", "rotate", "--db"])
        .arg(&db)
        .arg("--key-file")
        .arg(dir.path().join("missing.key")));
    assert_eq!(o.status.code(), Some(2));
}

/// Input is bounded: a submission over 16 MiB (or endless stdin) is refused with a clear error;
/// a byte-order mark is accepted in submissions and specs.
#[test]
fn cli_input_is_bounded_and_accepts_a_byte_order_mark() {
    let o = run(bin()
        .arg("validate")
        .arg(pipedrive())
        .args(["--stage", "save", "/dev/zero"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("larger than 16 MiB"),
        "{}",
        text(&o.stderr)
    );

    let dir = tempfile::tempdir().expect("tmp");
    let sub = dir.path().join("bom.json");
    std::fs::write(
        &sub,
        "\u{feff}{\"app_name\": \"Random\", \"callback_url\": \"https://a.example/cb\"}",
    )
    .expect("write");
    let o = run(bin()
        .arg("validate")
        .arg(pipedrive())
        .args(["--stage", "save"])
        .arg(&sub));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let spec = dir.path().join("bom.yaml");
    let mut with_bom = "\u{feff}".to_string();
    with_bom.push_str(&std::fs::read_to_string(root().join("specs/contact.yaml")).expect("spec"));
    std::fs::write(&spec, with_bom).expect("write");
    assert!(run(bin().arg("check").arg(&spec)).status.success());
    let o = run(bin().arg("check").arg("/dev/zero"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("larger than 8 MiB"),
        "{}",
        text(&o.stderr)
    );
}
