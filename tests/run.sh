#!/usr/bin/env bash
# Runs formwork's whole test suite on a fresh machine: installs what the tests need, then runs them.
#   - Debian: chromium + chromium-driver (end-to-end browser test)
#   - PyPI: jsonschema[format] (the shared acceptance script's independent schema check)
#   - npm: ajv 8 + ajv-formats (tests/ajv), axe-core (tests/e2e)
# Idempotent: what is already installed is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_missing=()
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_missing+=(chromium-driver)
if ((${#apt_missing[@]})); then
  echo "installing ${apt_missing[*]} (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

if ! python3 -c 'import jsonschema, rfc3987' >/dev/null 2>&1; then
  echo "installing jsonschema[format] (pip)"
  python3 -m pip install -q 'jsonschema[format]'
fi

for dir in tests/ajv tests/e2e; do
  if [ -f "$dir/package.json" ] && [ ! -d "$dir/node_modules" ]; then
    echo "installing npm packages in $dir"
    (cd "$dir" && npm ci --silent --no-audit --no-fund)
  fi
done

cargo test --workspace --all-features
