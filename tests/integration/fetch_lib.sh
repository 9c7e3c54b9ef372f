# shellcheck shell=bash
# Shared by the fetch_*_test.sh tests: the fetcher executable run directly (no launcher) against
# the project's test server serving a fixture directory, plus checks on its output records, the
# files directory and the server's own counters (/_stats).
source "$(dirname "$0")/harness.sh"

# serve_fixtures: starts the test server on $work/root; sets base_url.
serve_fixtures() {
  mkdir -p "$work/root"
  start_test_server "$DUPIPE_BIN_DIR" "$work/root" "$work"
  export base_url=http://127.0.0.1:$TEST_SERVER_PORT
}

# random_file NAME MIB: a fixture of random bytes.
random_file() { head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$work/root/$1"; }

# fetch OUT_DIR [FETCHER OPTIONS...] < URLS: runs the fetcher; records go to $work/records.
# Fast retries by default so that tests of retrying stay short.
fetch() {
  local files=$1
  shift
  "$DUPIPE_BIN_DIR/fetcher" --files-dir "$files" --retry-wait-ms 50 "$@" >"$work/records" 2>"$work/stderr"
}

stats() { curl -s "$base_url/_stats"; }
stat_value() { stats | awk -v key="$1" '$1 == key { print $2 }'; }
reset_stats() { curl -s "$base_url/_stats/reset" >/dev/null; }

digest() { sha256sum "$1" | cut -d' ' -f1; }

# record_for PATH: the output record for the URL $base_url$PATH.
record_for() { awk -F'\t' -v url="$base_url$1" '$3 == url' "$work/records"; }

# expect_file PATH SOURCE: a P record whose file is byte-identical to SOURCE.
expect_file() {
  local record path
  record=$(record_for "$1")
  [[ $record == P$'\t'* ]] || fail "$1: expected a P record, got '$record'; stderr: $(cat "$work/stderr")"
  path=$(cut -f4 <<<"$record")
  [[ $(digest "$path") == $(digest "$2") ]] || fail "$1: $path differs from $2"
  [[ $(cut -f5 <<<"$record") == $(stat -c %s "$2") ]] || fail "$1: wrong size in '$record'"
}

# expect_failure PATH PATTERN: an F record from the fetcher whose error matches PATTERN.
expect_failure() {
  local record
  record=$(record_for "$1")
  [[ $record == F$'\t'* ]] || fail "$1: expected an F record, got '$record'"
  [[ $(cut -f4 <<<"$record") == fetcher ]] || fail "$1: not a fetcher failure: '$record'"
  grep -Eq -- "$2" <<<"$(cut -f5 <<<"$record")" || fail "$1: error '$(cut -f5 <<<"$record")' does not match '$2'"
}

# expect_no_part_files DIR: no temporary or control file survived.
expect_no_part_files() {
  local left
  left=$(find "$1" -name '.part-*')
  [[ -z $left ]] || fail "temporary files left: $left"
}
