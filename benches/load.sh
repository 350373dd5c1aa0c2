#!/usr/bin/env bash
# Load check of `formwork serve` on loopback (a benchmark, not a test): requests/s for GET /new,
# GET /records/{id} (the full Pipedrive record, rendered for its owner), a form post re-rendered
# with its errors (422) and POST /api/validate with the full Pipedrive submission, next to nginx
# serving a static file of the same size as /new (the floor cost of an HTTP response of that size
# on this machine).
# Needs: wrk and nginx (apt-get install wrk nginx-light). Bounded: each run lasts DURATION seconds.
#   bash benches/load.sh [DURATION=10] [CONNECTIONS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
conns=${2:-16}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p formwork
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "load test password" | target/release/formwork users add load@example.com --db "$work/load.db" >/dev/null
target/release/formwork serve specs/pipedrive-app.yaml --addr "127.0.0.1:$port" --db "$work/load.db" 2>"$work/serve.log" &
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/sign-in" -c "$work/jar" -o "$work/signin.html" && break; sleep 0.1; done
# Sign in once; every request below carries the session cookie.
csrf=$(sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' "$work/signin.html" | head -n 1)
curl -fs -b "$work/jar" -c "$work/jar" -o /dev/null --data "_csrf=$csrf&email=load%40example.com&password=load+test+password&next=%2F" "http://127.0.0.1:$port/sign-in"
cookie=$(awk '$6 == "fw_session" || $6 == "fw_csrf" { printf "%s=%s; ", $6, $7 }' "$work/jar")
curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$port/new" -o "$work/new.html"
# A full record of the signed-in account (through the JSON API), for GET /records/{id}.
token=$(target/release/formwork tokens create load@example.com --db "$work/load.db")
# The API takes no files (they are uploaded through the form): the submission without them.
python3 - > "$work/full.json" <<'PY'
import json
s = json.load(open("tests/cases/pipedrive/review-full.json"))["submission"]
is_file = lambda v: isinstance(v, dict) and "media_type" in v
print(json.dumps({k: v for k, v in s.items() if not (is_file(v) or (isinstance(v, list) and v and all(map(is_file, v))))}))
PY
id=$(curl -fs -H "Authorization: Bearer $token" -H "Content-Type: application/json" --data @"$work/full.json" \
  "http://127.0.0.1:$port/api/records?stage=save" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
size=$(stat -c %s "$work/new.html")

python3 - "$work/post.lua" <<'PY'
import json, sys
case = json.load(open("tests/cases/pipedrive/review-full.json"))
body = json.dumps(case["submission"])
open(sys.argv[1], "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' % json.dumps(body))
PY
# A form post that fails at review (422): the page re-rendered with the values and every error.
form_csrf=$(sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' "$work/new.html" | head -n 1)
python3 - "$work/invalid.lua" "$form_csrf" <<'PY'
import json, sys, urllib.parse
body = urllib.parse.urlencode({"_csrf": sys.argv[2], "_stage": "review", "app_name": "Random app",
                               "callback_url": "not a url", "description": "A short one"})
open(sys.argv[1], "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.body = %s\n' % json.dumps(body))
PY
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" -H "Content-Type: application/x-www-form-urlencoded" \
  --data "$(python3 -c 'import sys; print(open(sys.argv[1]).read().split("wrk.body = ")[1].strip().strip(chr(34)))' "$work/invalid.lua")" \
  "http://127.0.0.1:$port/new")
[ "$status" = 422 ] || { echo "the invalid form post answered $status, not 422" >&2; exit 1; }

# nginx serving a static file of the same size.
static_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www" "$work/nginx"
head -c "$size" /dev/urandom | base64 -w 0 | head -c "$size" > "$work/www/static.html"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$static_port; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf" &
sleep 0.5

echo "GET /new is $size bytes; $duration s per run, $conns connections, 2 wrk threads"
run() { printf '%-34s ' "$1"; shift; wrk -t2 -c"$conns" -d"${duration}s" "$@" | awk '/Requests\/sec/ {printf "%s req/s", $2} /Latency/ {lat=$2} END {print "  (mean latency " lat ")"}'; }
run "formwork GET /new (signed in)" -H "Cookie: $cookie" "http://127.0.0.1:$port/new"
run "formwork GET /records/{id} (owner)" -H "Cookie: $cookie" "http://127.0.0.1:$port/records/$id"
run "formwork POST /new, 422 re-render" -H "Cookie: $cookie" -s "$work/invalid.lua" "http://127.0.0.1:$port/new"
run "formwork POST /api/validate?stage=review" -s "$work/post.lua" "http://127.0.0.1:$port/api/validate?stage=review"
run "nginx static file (same size)" "http://127.0.0.1:$static_port/static.html"
