#!/usr/bin/env bash
# Screenshots of the served Pipedrive form, taken by the end-to-end browser test as it goes:
# blank form, saved record with credentials, review errors, in review. Usage:
#   bash tests/e2e/screenshots.sh [OUT_DIR]     (default: out/screenshots)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-out/screenshots}")
[ -d tests/e2e/node_modules ] || (cd tests/e2e && npm ci --silent --no-audit --no-fund)
FORMWORK_SCREENSHOTS="$out" cargo test -p formwork --test e2e -- --nocapture
ls -1 "$out"
