#!/usr/bin/env bash
# Peak memory of `formwork serve` for the largest requests its limits allow (a measurement, not a
# test): a fresh release server per request, its peak RSS (VmHWM) before and after, the growth as a
# multiple of the body size, and the response size.
#   - POST /api/validate?stage=review, 1 MiB (the JSON limit) of empty group items: the report
#     amplification case (each item misses every required sub-field);
#   - the same with 1 MiB of unknown keys;
#   - the largest accepted: 16,000 empty group items (just under the 16,384 values a body may hold);
#   - POST /new (the HTML form, multipart), at the review stage, re-rendered with 422: the most
#     text a form may carry (4 MiB, in 1 MiB inputs), then the most files (six 10 MiB images, the
#     Pipedrive form's per-file limit, under the 64 MiB body limit).
# The peak is reset (/proc/PID/clear_refs) just before each request, so start-up does not hide it.
#   bash benches/rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release -q -p formwork
bin=target/release/formwork

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
limit = 1024 * 1024
items = []
body = '{"app_actions": []}'
n = (limit - len(body)) // 3
open(f"{work}/items.json", "w").write('{"app_actions": [' + ",".join(["{}"] * n) + "]}")
keys, size, i = [], 2, 0
while True:
    k = f'"k{i}": 0'
    if size + len(k) + 1 > limit:
        break
    keys.append(k); size += len(k) + 1; i += 1
open(f"{work}/keys.json", "w").write("{" + ",".join(keys) + "}")
open(f"{work}/accepted.json", "w").write('{"app_actions": [' + ",".join(["{}"] * 16000) + "]}")
PY

hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }
reset() { echo 5 > "/proc/$1/clear_refs"; sleep 0.2; }

start() {
  local db="$work/$1.db"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "rss check password" | $bin users add rss@example.com --db "$db" >/dev/null
  $bin serve specs/pipedrive-app.yaml --addr "127.0.0.1:$port" --db "$db" 2>"$work/$1.log" &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/sign-in" -c "$work/jar" -o "$work/signin.html" && break; sleep 0.1; done
  csrf=$(sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' "$work/signin.html" | head -n 1)
  curl -fs -b "$work/jar" -c "$work/jar" -o /dev/null --data "_csrf=$csrf&email=rss%40example.com&password=rss+check+password&next=%2F" "http://127.0.0.1:$port/sign-in"
  cookie=$(awk '$6 == "fw_session" || $6 == "fw_csrf" { printf "%s=%s; ", $6, $7 }' "$work/jar")
  csrf=$(awk '$6 == "fw_csrf" { print $7 }' "$work/jar")
  # Warm up: one ordinary request of each kind.
  curl -fs -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$port/new"
  curl -fs -o /dev/null -H "Content-Type: application/json" --data '{}' "http://127.0.0.1:$port/api/validate?stage=review"
}

report() { # name body-bytes before after response-bytes status
  awk -v n="$1" -v b="$2" -v x="$3" -v y="$4" -v r="$5" -v s="$6" 'BEGIN {
    g = (y - x) * 1024; printf "%-44s body %6.2f MiB  peak RSS %6.1f → %6.1f MiB  growth %5.2f× body  response %8.1f KiB  (HTTP %s)\n",
      n, b / 1048576, x / 1024, y / 1024, g / b, r / 1024, s }'
}

for payload in items keys accepted; do
  start "$payload"
  reset "$pid"
  before=$(hwm "$pid")
  status=$(curl -s -o "$work/out" -w '%{http_code}' -H "Content-Type: application/json" --data-binary @"$work/$payload.json" "http://127.0.0.1:$port/api/validate?stage=review")
  report "POST /api/validate ($payload)" "$(stat -c %s "$work/$payload.json")" "$before" "$(hwm "$pid")" "$(stat -c %s "$work/out")" "$status"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

form_post() { # name body-file
  reset "$pid"
  before=$(hwm "$pid")
  status=$(curl -s -o "$work/out" -w '%{http_code}' -H "Cookie: $cookie" -H "Content-Type: multipart/form-data; boundary=fwrss" --data-binary @"$2" "http://127.0.0.1:$port/new")
  report "$1" "$(stat -c %s "$2")" "$before" "$(hwm "$pid")" "$(stat -c %s "$work/out")" "$status"
}

start form
python3 - "$work" "$csrf" <<'PY'
import struct, sys, zlib
work, csrf = sys.argv[1], sys.argv[2]
boundary = "fwrss"
def body(path, parts):
    with open(path, "wb") as f:
        for name, v, filename in parts:
            disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
            ctype = "\r\nContent-Type: image/png" if filename else ""
            f.write(f"--{boundary}\r\nContent-Disposition: {disp}{ctype}\r\n\r\n".encode() + v + b"\r\n")
        f.write(f"--{boundary}--\r\n".encode())
head = [("_csrf", csrf.encode(), None), ("_stage", b"review", None)]
texts = ["app_name", "company", "short_summary", "description"]
value = b"a" * (1024 * 1024 - 1024)
body(f"{work}/text.body", head + [(t, value, None) for t in texts])
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
def png(w, h, size):
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    end = chunk(b"IEND", b"")
    pad = size - 8 - len(ihdr) - len(idat) - len(end) - 12
    return b"\x89PNG\r\n\x1a\n" + ihdr + chunk(b"zTXt", b"p" * pad) + idat + end
big = 10 * 1024 * 1024 - 4096
body(f"{work}/files.body", head + [("app_icon", png(256, 256, big), "icon.png")]
     + [("listing_images", png(1280, 800, big), f"{i}.png") for i in range(5)])
PY
form_post "POST /new (multipart: 4 MiB of text)" "$work/text.body"
form_post "POST /new (multipart: six 10 MiB images)" "$work/files.body"
