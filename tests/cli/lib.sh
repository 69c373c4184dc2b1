# Shared by the CLI test scripts (tests/*/cli_*.sh, tests/cli/bad_inputs.sh): source it after
# `set -u`. It makes a temporary folder $tmp (removed on exit), a failure count $fails, and:
#   expect_error NAME PATTERN CMD...  exit 2, exactly one stderr line matching PATTERN, and no
#                                     $tmp/out* left behind (file, folder or temporary)
#   expect_ok NAME CMD...             exit 0
# Commands run with stdin from /dev/null, so an interactive command cannot wait for input.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

expect_error() {
  local name="$1" pattern="$2"
  shift 2
  rm -rf "$tmp"/out*
  "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
  local rc=$?
  local lines
  lines=$(wc -l <"$tmp/stderr")
  if [ "$rc" -ne 2 ]; then
    echo "FAIL $name: exit $rc (want 2): $(cat "$tmp/stderr")"
    fails=$((fails + 1))
  elif [ "$lines" -ne 1 ]; then
    echo "FAIL $name: $lines stderr lines (want 1): $(cat "$tmp/stderr")"
    fails=$((fails + 1))
  elif ! grep -Eq -- "$pattern" "$tmp/stderr"; then
    echo "FAIL $name: message '$(cat "$tmp/stderr")' lacks /$pattern/"
    fails=$((fails + 1))
  elif ls -d "$tmp"/out* >/dev/null 2>&1; then
    echo "FAIL $name: left output: $(ls -d "$tmp"/out*)"
    fails=$((fails + 1))
  else
    echo "ok   $name: $(cat "$tmp/stderr")"
  fi
}

expect_ok() {
  local name="$1"
  shift
  if "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null; then
    echo "ok   $name"
  else
    echo "FAIL $name: exit $?: $(cat "$tmp/stderr")"
    fails=$((fails + 1))
  fi
}
