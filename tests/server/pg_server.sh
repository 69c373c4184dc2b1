#!/usr/bin/env bash
# tests/server/pg_server.sh start|stop DIR: a throwaway PostgreSQL server for the store and audit
# tests, its data, log and Unix socket in DIR (no TCP), user `medgen` without a password, fsync
# off. `start` first stops and removes what an earlier run left in DIR. Under ctest one server
# serves the whole run (the medgen_postgres fixture, cmake/server.cmake); a test program run by
# hand starts its own (tests/server/pg_test_server.h).
#
# initdb and pg_ctl come from $MEDGEN_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin
# (scripts/setup.sh installs them). PostgreSQL refuses to run as root: under root the server
# runs as the `postgres` user.
set -euo pipefail

cmd=${1:-} dir=${2:-}
if [[ -z "$dir" || ( "$cmd" != start && "$cmd" != stop ) ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
bindir=${MEDGEN_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
as_user=()
[[ $(id -u) != 0 ]] || as_user=(runuser -u postgres --)

if [[ -f "$dir/data/PG_VERSION" ]]; then
  "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true
fi
rm -rf "$dir"
[[ $cmd == start ]] || exit 0

if [[ ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
  echo "PostgreSQL tests need initdb and pg_ctl (looked in '${bindir:-/usr/lib/postgresql/*/bin}'):" \
       "install the postgresql package (scripts/setup.sh does) or set MEDGEN_PG_BINDIR" >&2
  exit 1
fi
mkdir -m 700 "$dir"
[[ ${#as_user[@]} == 0 ]] || chown postgres: "$dir"
if ! "${as_user[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U medgen -E UTF8 --locale=C --no-sync \
     >"$dir/setup.log" 2>&1 ||
   ! "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
     -o "-k $dir -p 5432 -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
     start >>"$dir/setup.log" 2>&1; then
  echo "PostgreSQL tests: the server in $dir did not start" >&2
  cat "$dir/setup.log" "$dir/server.log" >&2 2>/dev/null || true
  exit 1
fi
