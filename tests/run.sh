#!/usr/bin/env bash
# Runs formwork's whole test suite on a fresh machine: installs what the tests need, then runs them.
#
# Needs, and checks for: Rust (cargo and rustc 1.89 or newer, e.g. from rustup) and a C compiler
# (`cc`: SQLite is compiled from source). Installs what is missing:
#   - Debian/Ubuntu packages (apt-get, as root or through sudo): chromium + chromium-driver (the
#     browser test), nodejs + npm (the Ajv check), python3-venv (Debian's python needs it for venvs),
#     postgresql (the store tests run on PostgreSQL too: a throwaway cluster, tests/pg.sh);
#   - PyPI, into the project's virtual environment .venv (tests/requirements.txt): jsonschema
#     with formats, openapi-spec-validator, openapi-schema-validator (independent schema checks);
#   - npm, into tests/ajv and tests/e2e (lock files committed): ajv 8 + ajv-formats, axe-core.
# Idempotent: what is already there is not installed again. Everything it installs in the
# repository (.venv, node_modules, target) is ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "tests/run.sh: $*" >&2
  exit 1
}

# --- Rust and a C compiler: stated, not installed (rustup is the user's choice) ---------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust 1.89 or newer (https://rustup.rs), then run this again"
rust_version=$(rustc --version | awk '{print $2}')
[ "$(printf '%s\n' 1.89.0 "$rust_version" | sort -V | head -n 1)" = 1.89.0 ] ||
  die "rustc $rust_version is too old: formwork needs Rust 1.89 or newer (rustup update)"
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || command -v clang >/dev/null 2>&1 ||
  need_cc=1

# --- System packages ------------------------------------------------------------------------------
apt_missing=()
[ -z "${need_cc:-}" ] || apt_missing+=(gcc libc6-dev)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || apt_missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_missing+=(chromium-driver)
command -v node >/dev/null 2>&1 || apt_missing+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_missing+=(npm)
command -v python3 >/dev/null 2>&1 || apt_missing+=(python3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_missing+=(postgresql)
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  apt_missing+=(python3-venv)
fi

if ((${#apt_missing[@]})); then
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${apt_missing[*]} and no apt-get here: install them with your system's package manager"
  # As root directly, through sudo otherwise (it may ask for your password).
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    die "need root to install ${apt_missing[*]} (apt-get): run this as root, install sudo, or install them yourself (apt-get install ${apt_missing[*]})"
  fi
  echo "installing ${apt_missing[*]} (apt-get${as_root[*]:+ through sudo})"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

# --- Python: the project's virtual environment ----------------------------------------------------
# A stock Debian python refuses `pip install` outside a venv (PEP 668), so the packages go in .venv.
requirements=tests/requirements.txt
if [ ! -x .venv/bin/python3 ] || ! cmp -s "$requirements" .venv/requirements.installed; then
  echo "installing Python packages into .venv ($requirements)"
  python3 -m venv .venv
  .venv/bin/python3 -m pip install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" .venv/requirements.installed
fi

# --- npm packages, from the committed lock files --------------------------------------------------
for dir in tests/ajv tests/e2e; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    echo "installing npm packages in $dir"
    (cd "$dir" && npm ci --silent --no-audit --no-fund && touch node_modules)
  fi
done

# --- PostgreSQL: a throwaway cluster for this run, stopped and removed at exit -------------------
# shellcheck source=tests/pg.sh
source tests/pg.sh
log=$(mktemp)
trap 'stop_test_pg; rm -f "$log"' EXIT
start_test_pg
export FORMWORK_REQUIRE_PG=1

# The tests, then one closing line for the whole run (cargo prints one per test binary).
status=0
cargo test --workspace --all-features 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { p += $4; f += $6 } END { printf "all tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
