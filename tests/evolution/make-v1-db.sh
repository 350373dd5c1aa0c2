#!/usr/bin/env bash
# Makes tests/evolution/v1.db: a database written by `formwork serve` on specs/pipedrive-app.yaml
# (version 1.0.0) through its HTML form, as people would fill it in. It was made once with the
# formwork of the commit that added it (database schema version 1, before records knew their spec)
# and is committed as a fixture: later releases must open and migrate it without losing anything.
# Re-running it with a newer formwork makes a database of the newer schema, which is not the point.
#   bash tests/evolution/make-v1-db.sh [FORMWORK_BIN]
# Needs curl and python3. Four records, all of which version 2 of the spec changes something for:
#   A  in_review: a complete app; its company name (70 characters) is longer than v2 allows, it
#      places an app action on the Product details view (removed in v2) and has a documentation URL.
#   B  hidden (draft): three app actions on Deal details (v2 allows 2) and an issue tracker URL.
#   C  hidden: name and callback only, plus a documentation URL (a field v2 removes).
#   D  hidden: a short summary of 95 characters (v2: at most 80).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/debug/formwork}
out=tests/evolution/v1.db
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
rm -f "$out" "$out-wal" "$out-shm"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve specs/pipedrive-app.yaml --addr "127.0.0.1:$port" --db "$work/v1.db" 2>"$work/serve.log" &
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/new" -o /dev/null && break; sleep 0.1; done

# Images of the sizes the form asks for (uncompressed PNGs, written with the standard library).
python3 - "$work" <<'PY'
import struct, sys, zlib
def png(path, w, h):
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * w for _ in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)
png(sys.argv[1] + "/icon.png", 256, 256)
png(sys.argv[1] + "/listing.png", 1280, 800)
PY
printf '{"type": "object", "properties": {"visits": {"type": "number"}}}' > "$work/panel.json"

# Posts the form with a fresh CSRF cookie and token; prints the record id it was redirected to.
submit() {
  local jar="$work/jar" token
  rm -f "$jar"
  token=$(curl -fs -c "$jar" "$base/new" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
  curl -s -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}\n' -F "_csrf=$token" "$@" "$base/new" |
    awk '$1 != 303 { print "submit failed: " $0 > "/dev/stderr"; exit 1 } { sub(/\?.*/, "", $2); n = split($2, p, "/"); print p[n] }'
}

long_company="Random Incorporated Worldwide Holdings for Marketplace Apps and Friends"
a=$(submit -F _stage=review -F "app_name=Random" -F "company=$long_company" \
  -F "short_summary=Awesome random app that helps you manage tasks" \
  -F "description=Discover this awesome app that will help to manage your tasks in Pipedrive." \
  -F categories=task_workflow_management -F "app_icon=@$work/icon.png;type=image/png" \
  -F "listing_images=@$work/listing.png;type=image/png" \
  -F callback_url=https://www.randomawesomeapp.com/API/v2/callback \
  -F access_scopes=base -F "access_scopes=deals:read" \
  -F "app_actions.0.name=Add to email list" -F app_actions.0.url=https://www.randomawesomeapp.com/a \
  -F app_actions.0.locations=deal_details -F app_actions.0.locations=product_details \
  -F "app_panels.0.name=Visits" -F app_panels.0.api_endpoint=https://www.randomawesomeapp.com/visits \
  -F app_panels.0.http_auth_username=pipedrive -F app_panels.0.http_auth_password=s3cret-Pa55 \
  -F "app_panels.0.json_data_structure=@$work/panel.json;type=application/json" \
  -F app_panels.0.location=deal_details \
  -F "installation_instructions=Create an account, then click Install." \
  -F website_url=https://www.randomawesomeapp.com -F terms_of_service_url=https://www.randomawesomeapp.com/tos \
  -F privacy_policy_url=https://www.randomawesomeapp.com/privacy \
  -F documentation_url=https://www.randomawesomeapp.com/help \
  -F main_contact_email=dev@randomawesomeapp.com \
  -F installation_scenarios.no_account=true -F installation_scenarios.account_logged_out=true \
  -F installation_scenarios.account_logged_in=true -F partner_agreement=true)
b=$(submit -F _stage=save -F "app_name=Three on deals" -F callback_url=https://b.example/cb \
  -F "app_actions.0.name=First action" -F app_actions.0.url=https://b.example/1 -F app_actions.0.locations=deal_details \
  -F "app_actions.1.name=Second action" -F app_actions.1.url=https://b.example/2 -F app_actions.1.locations=deal_details \
  -F "app_actions.2.name=Third action" -F app_actions.2.url=https://b.example/3 -F app_actions.2.locations=deal_details \
  -F issue_tracker_url=https://b.example/issues)
c=$(submit -F _stage=save -F "app_name=Docs only" -F callback_url=https://c.example/cb \
  -F documentation_url=https://c.example/docs)
d=$(submit -F _stage=save -F "app_name=Wordy" -F callback_url=https://d.example/cb \
  -F "short_summary=A summary that says a great deal more than a short summary of an app really should say")
echo "A=$a B=$b C=$c D=$d"

kill %1
wait 2>/dev/null || true
python3 - "$work/v1.db" "$out" <<'PY'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1])
src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
dst = sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.execute("PRAGMA journal_mode = DELETE")
dst.close()
PY
printf '%s\n%s\n%s\n%s\n' "$a" "$b" "$c" "$d" > tests/evolution/v1.records
echo "wrote $out ($(stat -c %s "$out") bytes) and tests/evolution/v1.records"
