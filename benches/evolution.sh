#!/usr/bin/env bash
# Spec evolution timings, whole process (a benchmark, not a test), with hyperfine:
#   - `formwork diff` of the Pipedrive spec and its version 2 (tests/evolution);
#   - `formwork records check` of RECORDS stored records (copies of the four records of
#     tests/evolution/v1.db, a database of the previous release) under version 2.
# Needs hyperfine and python3 (apt-get install hyperfine).
#   bash benches/evolution.sh [RECORDS=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p formwork
bin=target/release/formwork

python3 - "$records" "$work/big.db" <<'PY'
import secrets, sqlite3, sys
n, path = int(sys.argv[1]), sys.argv[2]
src = sqlite3.connect("tests/evolution/v1.db")
dst = sqlite3.connect(path)
src.backup(dst)
rows = dst.execute("SELECT status, version, data, issued, created_at, updated_at FROM records").fetchall()
dst.execute("DELETE FROM records")
dst.executemany(
    "INSERT INTO records (id, status, version, data, issued, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [(secrets.token_hex(16),) + rows[i % len(rows)] for i in range(n)],
)
dst.commit()
PY

echo "formwork diff: Pipedrive v1 -> v2"
hyperfine -N --warmup 3 -i "$bin diff specs/pipedrive-app.yaml tests/evolution/pipedrive-app.v2.yaml"
echo "formwork records check: $records records of a previous release's database under v2"
hyperfine -N --warmup 1 --runs 5 -i "$bin records check tests/evolution/pipedrive-app.v2.yaml --db $work/big.db"
