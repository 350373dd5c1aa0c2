// Independent check of formwork's per-stage JSON Schemas with Ajv, in both JSON Schema dialects
// formwork emits: draft 2020-12 (Ajv2020) and draft-07 (Ajv's default class), formats asserted.
//
// Run from this folder after building the CLI (`cargo build` at the repo root):
//   npm ci && node --test
// The schemas come from `formwork schema specs/pipedrive-app.yaml --stage STAGE --dialect D`, run
// with $FORMWORK_BIN or <repo>/target/debug/formwork (the spec: $FORMWORK_SPEC, e.g.
// tests/conditions/spec.yaml with its cases, and its stage ids in $FORMWORK_STAGES). The Pipedrive acceptance cases are read from
// $FORMWORK_CASES or <repo>/tests/cases/pipedrive; a missing binary or folder fails the test.
// A rule a dialect cannot express is listed in x-formwork-rules instead; an invalid case whose
// expected errors lie at such a rule's path is not expected to be rejected in that dialect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import Ajv2020 from "ajv/dist/2020.js";
import Ajv07 from "ajv";
import addFormats from "ajv-formats";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const bin = process.env.FORMWORK_BIN ?? join(root, "target/debug/formwork");
const spec = process.env.FORMWORK_SPEC ?? join(root, "specs/pipedrive-app.yaml");
const casesDir = process.env.FORMWORK_CASES ?? join(root, "tests/cases/pipedrive");

/** The dialects checked here: name on the CLI, `$schema`, and the Ajv class for it. */
const dialects = [
  { name: "2020-12", uri: "https://json-schema.org/draft/2020-12/schema", Ajv: Ajv2020 },
  { name: "draft-07", uri: "http://json-schema.org/draft-07/schema#", Ajv: Ajv07 },
];

/** The schema the CLI prints for a stage in a dialect. */
function schemaFor(stage, dialect) {
  assert.ok(existsSync(bin), `formwork binary not found at ${bin} (build it, or set FORMWORK_BIN)`);
  const args = ["schema", spec, "--stage", stage, "--dialect", dialect];
  const out = execFileSync(bin, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return JSON.parse(out);
}

/** A strict Ajv of the dialect that asserts formats and knows formwork's annotation keywords. */
function newAjv(dialect) {
  const ajv = new dialect.Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: "x-formwork-rules", schemaType: "array" });
  return ajv;
}

/** `x-formwork-rules` entries as `id path` strings. */
function rules(schema) {
  return new Set((schema["x-formwork-rules"] ?? []).map((r) => `${r.id} ${r.path}`));
}

/** Whether JSON Pointer `reported` is `expected` or lies under it. */
function covers(expected, reported) {
  return reported === expected || expected === "" || reported.startsWith(expected + "/");
}

/** Every acceptance case, sorted by file name. */
function loadCases() {
  assert.ok(existsSync(casesDir), `acceptance cases not found at ${casesDir} (set FORMWORK_CASES)`);
  const files = readdirSync(casesDir).filter((f) => f.endsWith(".json")).sort();
  assert.ok(files.length > 0, `no acceptance cases in ${casesDir}`);
  return files.map((f) => JSON.parse(readFileSync(join(casesDir, f), "utf8")));
}

const cases = loadCases();
const stages = [...new Set(cases.map((c) => c.stage))].sort();

// The spec's stages, sorted ($FORMWORK_STAGES, comma-separated; the Pipedrive spec's by default).
const specStages = (process.env.FORMWORK_STAGES ?? "review,save").split(",").sort();

test("cases cover every stage of the spec", () => {
  assert.deepEqual(stages, specStages);
});

for (const dialect of dialects) {
  for (const stage of stages) {
    const schema = schemaFor(stage, dialect.name);
    const base = rules(schemaFor(stage, "2020-12"));
    // Paths of the rules this dialect could not express (moved to x-formwork-rules).
    const moved = [...rules(schema)].filter((r) => !base.has(r)).map((r) => r.split(" ")[1]);

    test(`${dialect.name} ${stage}: schema declares its dialect and compiles under strict Ajv`, () => {
      assert.equal(schema.$schema, dialect.uri);
      const ajv = newAjv(dialect);
      assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
      ajv.compile(schema);
    });

    const validate = newAjv(dialect).compile(schema);
    for (const c of cases.filter((c) => c.stage === stage)) {
      if (c.expect.valid) {
        test(`${dialect.name} ${stage}: accepts valid case ${c.name}`, () => {
          const ok = validate(c.submission);
          assert.ok(ok, JSON.stringify(validate.errors, null, 1));
        });
      } else if (c.schema_expressible) {
        // Expected at a moved rule's path (or above it): the dialect may not see it.
        const lost = moved.some((p) => (c.expect.errors ?? []).some((e) => covers(e, p)));
        if (!lost) {
          test(`${dialect.name} ${stage}: rejects invalid case ${c.name}`, () => {
            assert.equal(validate(c.submission), false);
          });
        }
      }
    }
  }
}
