#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), with seed corpora from the acceptance cases
# and the bundled specs, and prints executions and crashes per target.
#   bash fuzz/run.sh [SECONDS]
# Needs cargo-fuzz (cargo install cargo-fuzz); works on the stable toolchain with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz

# Seed corpora: submissions from the acceptance cases, specs from specs/, a few posted forms.
mkdir -p corpus/validate corpus/spec corpus/form
python3 - <<'PY'
import glob, json, os
for f in glob.glob("../tests/cases/pipedrive/*.json"):
    case = json.load(open(f))
    open("corpus/validate/" + os.path.basename(f), "w").write(json.dumps(case["submission"]))
for f in glob.glob("../specs/*.yaml") + glob.glob("../tests/evolution/*.yaml"):
    open("corpus/spec/" + os.path.basename(f), "w").write(open(f).read())
open("corpus/form/minimal", "w").write("_stage=save&app_name=Random&callback_url=https%3A%2F%2Fa.example%2Fcb")
open("corpus/form/groups", "w").write("app_actions.0.name=A&app_actions.0.locations=deal_details&app_actions.3.url=x&installation_scenarios.no_account=true")
PY

status=0
for target in validate spec form; do
  log=$(mktemp)
  if RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    result="0 crashes"
  else
    result="CRASH (see fuzz/artifacts/$target)"
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -n 1)
  echo "$target: ${execs:-?} executions in ${seconds} s, $result"
  rm -f "$log"
done
exit "$status"
