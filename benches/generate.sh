#!/usr/bin/env bash
# `formwork generate`, whole process (a benchmark, not a test), with hyperfine: the bundled
# Pipedrive spec and synthetic specs of 1,000, 5,000 and 10,000 fields (benches/synthetic_spec.py),
# to see that the time stays linear in the number of fields. Needs hyperfine and python3.
#   bash benches/generate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p formwork
bin=target/release/formwork
for n in 1000 5000 10000; do
    python3 benches/synthetic_spec.py "$n" > "$work/s$n.yaml"
done
hyperfine --warmup 2 --runs 10 -N \
    --prepare "rm -rf $work/out" \
    -n pipedrive "$bin generate specs/pipedrive-app.yaml --out $work/out" \
    -n 1000-fields "$bin generate $work/s1000.yaml --out $work/out" \
    -n 5000-fields "$bin generate $work/s5000.yaml --out $work/out" \
    -n 10000-fields "$bin generate $work/s10000.yaml --out $work/out"
