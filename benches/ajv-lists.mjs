// How Ajv's speed on formwork's schema depends on how value lists are encoded (a benchmark, not a
// test): `oneOf: [{const, title}]` (today; rjsf reads the titles as labels), `anyOf: [{const,
// title}]` (rjsf reads it the same way), and `enum` (no labels in the schema). Each encoding is
// compiled once, then validates the full and the large Pipedrive submission with allErrors, in
// 7 rounds after a warm-up; the spread across rounds is the steadiness asked about.
//   node benches/ajv-lists.mjs   (after `cargo build`; uses tests/ajv/node_modules)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "tests/ajv/package.json"));
const Ajv2020 = require("ajv/dist/2020.js").default;
const addFormats = require("ajv-formats").default;
const bin = process.env.FORMWORK_BIN ?? join(root, "target/debug/formwork");
const schema = JSON.parse(
  execFileSync(bin, ["schema", join(root, "specs/pipedrive-app.yaml"), "--stage", "review"], { encoding: "utf8" }),
);
const full = JSON.parse(readFileSync(join(root, "tests/cases/pipedrive/review-full.json"), "utf8")).submission;
const large = structuredClone(full);
const views = schema.$defs.views.oneOf.map((o) => o.const);
large.app_actions = Array.from({ length: 24 }, (_, i) => ({
  name: `Open record ${i}`,
  url: `https://www.randomawesomeapp.com/action/${i}`,
  locations: [views[i % views.length]],
}));
large.listing_images = Array(5).fill(full.listing_images[0]);

/** The schema with every `oneOf` of consts rewritten by `f`. */
function recode(s, f) {
  if (Array.isArray(s)) return s.map((x) => recode(x, f));
  if (s && typeof s === "object") {
    const out = {};
    for (const [k, v] of Object.entries(s)) out[k] = recode(v, f);
    if (Array.isArray(out.oneOf) && out.oneOf.every((o) => "const" in o)) return f(out);
    return out;
  }
  return s;
}
const encodings = {
  oneOf: schema,
  anyOf: recode(schema, ({ oneOf, ...rest }) => ({ ...rest, anyOf: oneOf })),
  enum: recode(schema, ({ oneOf, ...rest }) => ({ ...rest, enum: oneOf.map((o) => o.const) })),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, s] of Object.entries(encodings)) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(s);
  for (const [label, sub] of [["full", full], ["large", large]]) {
    if (!validate(sub)) throw new Error(`${name}/${label}: ${JSON.stringify(validate.errors)}`);
    const rounds = [];
    for (let r = -1; r < 7; r++) {
      const n = 20000;
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) validate(sub);
      if (r >= 0) rounds.push(Number(process.hrtime.bigint() - t) / n / 1000); // round -1 warms up
    }
    const lo = Math.min(...rounds), hi = Math.max(...rounds);
    console.log(`${name.padEnd(6)} ${label.padEnd(6)} median ${median(rounds).toFixed(2)} µs  rounds ${lo.toFixed(2)}–${hi.toFixed(2)} µs (spread ${(hi / lo).toFixed(2)}×)`);
  }
}
