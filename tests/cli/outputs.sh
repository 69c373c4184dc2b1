#!/usr/bin/env bash
# Output rules through the CLI (docs/cli.md, "Outputs"): devices and FIFOs are written through
# and stay what they are, symlinks are followed, an unwritable or missing folder is exit 2 with
# nothing written, SIGINT/SIGTERM/SIGHUP leave no temporary and exit 128 + signo (training
# writes its checkpoint first), several outputs are written all or nothing, reads are bounded.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/lib.sh"

fail() {
  echo "FAIL $*"
  fails=$((fails + 1))
}

"$medgen" fit "$src/data/pbc.csv" -s copula -o "$tmp/pbc.medgen" -q || { echo "FAIL: cannot fit pbc"; exit 1; }

# Devices: /dev/full is a write error (exit 2), /dev/null takes the bytes; both stay devices.
expect_error "sample -o /dev/full" "/dev/full.*No space left on device" \
  "$medgen" sample "$tmp/pbc.medgen" -n 100 -o /dev/full -q
expect_error "schema -o /dev/full" "/dev/full.*No space left on device" \
  "$medgen" schema "$src/data/pbc.csv" -o /dev/full -q
expect_error "fit -o /dev/full" "/dev/full.*No space left on device" \
  "$medgen" fit "$src/data/pbc.csv" -s copula -o /dev/full -q
[ -c /dev/full ] || fail "/dev/full is no longer a character device"
expect_ok "sample -o /dev/null" "$medgen" sample "$tmp/pbc.medgen" -n 100 -o /dev/null -q
[ -c /dev/null ] || fail "/dev/null is no longer a character device"

# /dev/stdout (a pipe here): written through.
"$medgen" sample "$tmp/pbc.medgen" -n 5 -o /dev/stdout -q 2>/dev/null | cat >"$tmp/via-stdout.csv"
[ "$(wc -l <"$tmp/via-stdout.csv")" -eq 6 ] || fail "-o /dev/stdout: $(wc -l <"$tmp/via-stdout.csv") lines (want 6)"

# A FIFO: written through to its reader, and still a FIFO.
mkfifo "$tmp/fifo"
cat "$tmp/fifo" >"$tmp/fifo.csv" &
reader=$!
expect_ok "sample -o FIFO" "$medgen" sample "$tmp/pbc.medgen" -n 20 -o "$tmp/fifo" -q
wait "$reader"
[ -p "$tmp/fifo" ] || fail "the FIFO was replaced"
[ "$(wc -l <"$tmp/fifo.csv")" -eq 21 ] || fail "FIFO reader got $(wc -l <"$tmp/fifo.csv") lines (want 21)"

# Symlinks: the link stays, its target is replaced (or created, when the link dangles).
echo old >"$tmp/real.csv"
ln -s real.csv "$tmp/link.csv"
expect_ok "sample -o symlink" "$medgen" sample "$tmp/pbc.medgen" -n 10 -o "$tmp/link.csv" -q
[ -L "$tmp/link.csv" ] || fail "the symlink was replaced by a file"
[ "$(wc -l <"$tmp/real.csv")" -eq 11 ] || fail "the symlink's target was not written"
ln -s made.csv "$tmp/dangling.csv"
expect_ok "sample -o dangling symlink" "$medgen" sample "$tmp/pbc.medgen" -n 10 -o "$tmp/dangling.csv" -q
[ -L "$tmp/dangling.csv" ] && [ "$(wc -l <"$tmp/made.csv" 2>/dev/null)" = 11 ] || fail "dangling symlink: target not created"

# Missing folder, and a folder as the output.
expect_error "missing folder" "out-missing/x.csv.*No such file or directory" \
  "$medgen" sample "$tmp/pbc.medgen" -n 10 -o "$tmp/out-missing/x.csv" -q
mkdir "$tmp/folder"
expect_error "folder as output" "folder.*Is a directory" "$medgen" sample "$tmp/pbc.medgen" -n 10 -o "$tmp/folder" -q
[ -z "$(ls -A "$tmp/folder")" ] || fail "folder as output: wrote into it"
rmdir "$tmp/folder"

# A folder without write permission: exit 2, nothing written. Root ignores permissions, so the
# command runs as nobody there.
chmod 755 "$tmp"
chmod 644 "$tmp/pbc.medgen"
mkdir "$tmp/ro"
if [ "$(id -u)" = 0 ]; then
  as_user=(runuser -u nobody --)
else
  as_user=()
  chmod 555 "$tmp/ro"
fi
expect_error "unwritable folder" "ro/x.csv.*Permission denied" \
  "${as_user[@]}" "$medgen" sample "$tmp/pbc.medgen" -n 10 -o "$tmp/ro/x.csv" -q
[ -z "$(ls -A "$tmp/ro")" ] || fail "unwritable folder: left $(ls -A "$tmp/ro")"
chmod 755 "$tmp/ro"

# evaluate writes --report and --json-out all or nothing: a JSON path in a missing folder
# leaves no report.
if "$medgen" evaluate --help >/dev/null 2>&1; then
  "$medgen" sample "$tmp/pbc.medgen" -n 300 -o "$tmp/syn.csv" -q
  expect_error "evaluate: unwritable --json-out leaves no --report" "out-missing/r.json.*No such file" \
    "$medgen" evaluate --real "$src/data/pbc.csv" --synthetic "$tmp/syn.csv" \
    --report "$tmp/out-report.html" --json-out "$tmp/out-missing/r.json" -q
else
  echo "note: the eval module is not built (MEDGEN_SKIP_MODULES): evaluate not checked"
fi

# Unbounded inputs are refused, not read until memory runs out.
expect_error "info /dev/zero" "/dev/zero: larger than [0-9]+ bytes" "$medgen" info /dev/zero

# Signals during a long sample: exit 128 + signo, no out.csv or temporary left. Background jobs
# of a script ignore SIGINT; env --default-signal gives it back.
wait_for() {  # wait_for PID GLOB: until a file matching GLOB exists or PID has ended
  local pid="$1" glob="$2"
  while kill -0 "$pid" 2>/dev/null; do
    compgen -G "$glob" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}
mkdir "$tmp/sig"
for s in INT:130 TERM:143 HUP:129; do
  name=${s%%:*}
  want=${s##*:}
  env --default-signal="$name" "$medgen" sample "$tmp/pbc.medgen" -n 50000000 -o "$tmp/sig/out.csv" -q \
    2>"$tmp/sig.err" &
  pid=$!
  wait_for "$pid" "$tmp/sig/out.csv.tmp-*" || fail "SIG$name: sample ended before its temporary appeared"
  kill -s "$name" "$pid"
  wait "$pid" 2>/dev/null
  rc=$?
  [ "$rc" -eq "$want" ] || fail "SIG$name: exit $rc (want $want): $(cat "$tmp/sig.err")"
  left=$(ls -A "$tmp/sig")
  [ -z "$left" ] || fail "SIG$name: left $left"
  [ "$rc" -eq "$want" ] && [ -z "$left" ] && echo "ok   SIG$name during sample: exit $rc, nothing left"
  rm -f "$tmp/sig"/*
done

# SIGTERM during training: a checkpoint, exit 143, no model and no temporary.
env --default-signal=TERM "$medgen" fit "$src/data/pbc.csv" -s tvae --epochs 100000 --checkpoint-every 1 \
  -o "$tmp/sig/m.medgen" -q 2>"$tmp/sig.err" &
pid=$!
if wait_for "$pid" "$tmp/sig/m.medgen.ckpt"; then
  kill -s TERM "$pid"
  wait "$pid"
  rc=$?
  left=$(cd "$tmp/sig" && ls -A)
  if [ "$rc" -eq 143 ] && [ "$left" = "m.medgen.ckpt" ] && grep -q "checkpoint saved" "$tmp/sig.err"; then
    echo "ok   SIGTERM during fit: exit 143, checkpoint kept"
  else
    fail "SIGTERM during fit: exit $rc (want 143), files '$left', stderr: $(cat "$tmp/sig.err")"
  fi
else
  wait "$pid"
  fail "fit ended (exit $?) before its first checkpoint: $(cat "$tmp/sig.err")"
fi

[ "$fails" -eq 0 ] && echo "all output checks passed"
exit $((fails > 0))
