#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `source tests/pg.sh` (tests/run.sh does) starts
# one from Debian's `postgresql` (installed by tests/run.sh when missing) in a temporary folder,
# on a free loopback port, trusting loopback connections, and exports
#   FORMWORK_TEST_PG=postgres://postgres@127.0.0.1:PORT/postgres
# The store tests create one database per test in it. `stop_test_pg` (called on exit by
# tests/run.sh) stops the cluster and removes its folder. Run alone (`bash tests/pg.sh`), it
# starts a cluster, prints the URL and keeps it running until Ctrl-C.

start_test_pg() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || {
    echo "tests/pg.sh: PostgreSQL's initdb not found (apt-get install postgresql)" >&2
    return 1
  }
  # initdb refuses to run as root: as root, the cluster belongs to the `postgres` user.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    as=(runuser -u postgres --)
  fi
  TEST_PG_DIR=$(mktemp -d /tmp/formwork-pg.XXXXXX)
  chmod 755 "$TEST_PG_DIR"
  [ "${#as[@]}" -eq 0 ] || chown postgres "$TEST_PG_DIR"
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as[@]}" "$bin/initdb" -D "$TEST_PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$TEST_PG_DIR/initdb.log" 2>&1 || {
    cat "$TEST_PG_DIR/initdb.log" >&2
    return 1
  }
  # Durability settings stay on (fsync): the tests check that acknowledged saves survive.
  "${as[@]}" "$bin/pg_ctl" -D "$TEST_PG_DIR/data" -l "$TEST_PG_DIR/server.log" -w -t 60 \
    -o "-p $port -k $TEST_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null || {
    cat "$TEST_PG_DIR/server.log" >&2
    return 1
  }
  TEST_PG_BIN=$bin
  TEST_PG_AS=("${as[@]}")
  export FORMWORK_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
  echo "tests/pg.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $FORMWORK_TEST_PG (cluster in $TEST_PG_DIR)"
}

stop_test_pg() {
  [ -n "${TEST_PG_DIR:-}" ] || return 0
  "${TEST_PG_AS[@]}" "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$TEST_PG_DIR"
  TEST_PG_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  start_test_pg
  trap stop_test_pg EXIT
  echo "Ctrl-C to stop"
  while sleep 3600; do :; done
fi
