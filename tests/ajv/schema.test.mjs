// Independent check of formwork's per-stage JSON Schemas with Ajv (draft 2020-12, formats asserted).
//
// Run from this folder after building the CLI (`cargo build` at the repo root):
//   npm ci && node --test
// The schemas come from `formwork schema specs/pipedrive-app.yaml --stage STAGE`, run with
// $FORMWORK_BIN or <repo>/target/debug/formwork. The Pipedrive acceptance cases are read from
// $FORMWORK_CASES or <repo>/../shared/acceptance/pipedrive; a missing binary or folder fails the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const bin = process.env.FORMWORK_BIN ?? join(root, "target/debug/formwork");
const spec = join(root, "specs/pipedrive-app.yaml");
const casesDir = process.env.FORMWORK_CASES ?? resolve(root, "../shared/acceptance/pipedrive");

/** The schema the CLI prints for a stage. */
function schemaFor(stage) {
  assert.ok(existsSync(bin), `formwork binary not found at ${bin} (build it, or set FORMWORK_BIN)`);
  const out = execFileSync(bin, ["schema", spec, "--stage", stage], { cwd: root, encoding: "utf8" });
  return JSON.parse(out);
}

/** A strict Ajv for draft 2020-12 that asserts formats and knows formwork's annotation keywords. */
function newAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: "x-formwork-rules", schemaType: "array" });
  return ajv;
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
const schemas = Object.fromEntries(stages.map((s) => [s, schemaFor(s)]));

test("cases cover both Pipedrive stages", () => {
  assert.deepEqual(stages, ["review", "save"]);
});

for (const stage of stages) {
  test(`${stage}: schema is draft 2020-12 and compiles under strict Ajv`, () => {
    const schema = schemas[stage];
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    const ajv = newAjv();
    assert.equal(ajv.validateSchema(schema), true, ajv.errorsText(ajv.errors));
    ajv.compile(schema);
  });
}

for (const stage of stages) {
  const validate = newAjv().compile(schemas[stage]);
  for (const c of cases.filter((c) => c.stage === stage)) {
    if (c.expect.valid) {
      test(`${stage}: accepts valid case ${c.name}`, () => {
        const ok = validate(c.submission);
        assert.ok(ok, JSON.stringify(validate.errors, null, 1));
      });
    } else if (c.schema_expressible) {
      test(`${stage}: rejects invalid case ${c.name}`, () => {
        assert.equal(validate(c.submission), false);
      });
    }
  }
}
