#!/usr/bin/env bash
# Load figures for the store backends (a benchmark, not a test), on loopback: saves per second
# (`POST /api/records?stage=save`, a small record, each one a transaction with its history) and
# `GET /records/{id}` per second (the full Pipedrive record rendered for its signed-in owner: a
# session lookup and a record read), with p99 latency, for
#   1 replica on SQLite, 1 replica on PostgreSQL, 2 replicas on one PostgreSQL.
# With two replicas, one wrk per replica runs at the same time with half the connections each;
# their requests/s add up and the worse p99 is shown. PostgreSQL is a throwaway cluster
# (tests/pg.sh). On a 2-core machine wrk, the replicas and PostgreSQL share the cores: the point
# is the cost per request, not scaling.
# Needs: wrk (apt-get install wrk), postgresql. Bounded: each run lasts DURATION seconds.
#   bash benches/replicas.sh [DURATION=10] [CONNECTIONS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
conns=${2:-16}
work=$(mktemp -d)
# shellcheck source=tests/pg.sh
source tests/pg.sh
trap 'kill $(jobs -p) 2>/dev/null || true; stop_test_pg; rm -rf "$work"' EXIT
start_test_pg >/dev/null

cargo build --release -q -p formwork
bin=target/release/formwork
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

python3 - "$work/save.lua" <<'PY'
import json, sys
body = json.dumps({"app_name": "Load test app", "callback_url": "https://example.com/cb"})
open(sys.argv[1], "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' % json.dumps(body))
PY
python3 - > "$work/full.json" <<'PY'
import json
s = json.load(open("tests/cases/pipedrive/review-full.json"))["submission"]
is_file = lambda v: isinstance(v, dict) and "media_type" in v
print(json.dumps({k: v for k, v in s.items() if not (is_file(v) or (isinstance(v, list) and v and all(map(is_file, v))))}))
PY

# wrk against each address at once (CONNECTIONS split between them): total req/s, worst p99.
load() {
  local path=$1; shift
  local n=$#
  local i=0 pids=()
  for addr in "$@"; do
    wrk -t1 -c$((conns / n)) -d"${duration}s" --latency "${wrk_args[@]}" "http://$addr$path" >"$work/wrk.$i" &
    pids+=($!)
    i=$((i + 1))
  done
  wait "${pids[@]}"
  cat "$work"/wrk.* | awk '
    /Requests\/sec/ { rps += $2 }
    $1 == "99%" { v = $2; ms = v + 0; if (v ~ /us$/) ms /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) ms *= 1000; if (ms > p99) p99 = ms }
    / [0-9]+ requests in / { }
    /Non-2xx or 3xx responses/ { bad += $5 }
    END { printf "%8.0f req/s   p99 %7.2f ms%s\n", rps, p99, (bad ? "   (" bad " non-2xx!)" : "") }'
  rm -f "$work"/wrk.*
}

bench() {
  local name=$1 db=$2 replicas=$3
  local key="$work/$name.key" addrs=() pids=()
  echo "load test password" | $bin users add load@example.com --db "$db" >/dev/null
  local token
  token=$($bin tokens create load@example.com --db "$db")
  for _ in $(seq "$replicas"); do
    local port
    port=$(free_port)
    $bin serve specs/pipedrive-app.yaml --addr "127.0.0.1:$port" --db "$db" --key-file "$key" 2>>"$work/$name.log" &
    pids+=($!)
    addrs+=("127.0.0.1:$port")
    # The first replica creates the key file the others read: start them one after the other.
    for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:$port/sign-in" && break; sleep 0.05; done
  done
  local first=${addrs[0]}
  curl -fs -c "$work/jar" -o "$work/signin.html" "http://$first/sign-in"
  local csrf
  csrf=$(sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' "$work/signin.html" | head -n 1)
  curl -fs -b "$work/jar" -c "$work/jar" -o /dev/null --data "_csrf=$csrf&email=load%40example.com&password=load+test+password&next=%2F" "http://$first/sign-in"
  local cookie id
  cookie=$(awk '$6 == "fw_session" || $6 == "fw_csrf" { printf "%s=%s; ", $6, $7 }' "$work/jar")
  id=$(curl -fs -H "Authorization: Bearer $token" -H "Content-Type: application/json" --data @"$work/full.json" \
    "http://$first/api/records?stage=save" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  printf '%-28s %-22s ' "$name" "saves"
  wrk_args=(-s "$work/save.lua" -H "Authorization: Bearer $token")
  load "/api/records?stage=save" "${addrs[@]}"
  printf '%-28s %-22s ' "" "GET /records/{id}"
  wrk_args=(-H "Cookie: $cookie")
  load "/records/$id" "${addrs[@]}"
  kill "${pids[@]}"
  wait "${pids[@]}" 2>/dev/null || true
}

new_pg() {
  local name=$1
  psql -q "$FORMWORK_TEST_PG" -c "CREATE DATABASE $name" >/dev/null
  echo "${FORMWORK_TEST_PG%/postgres}/$name"
}

echo "$(nproc) cores; $duration s per run, $conns connections"
bench "1 replica, SQLite" "$work/load.db" 1
bench "1 replica, PostgreSQL" "$(new_pg load_one)" 1
bench "2 replicas, one PostgreSQL" "$(new_pg load_two)" 2
