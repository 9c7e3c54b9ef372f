# shellcheck shell=bash
# Shared by the integration tests: a private work directory, the demo corpus served by the
# project's test server on a free loopback port, and cleanup on every exit path.
# Needs DUPIPE_BIN_DIR (set by ctest) and DUPIPE_SOURCE_DIR.
set -euo pipefail
: "${DUPIPE_BIN_DIR:?}" "${DUPIPE_SOURCE_DIR:?}"
# shellcheck source=../../scripts/lib/urls.sh
source "$DUPIPE_SOURCE_DIR/scripts/lib/urls.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-test.XXXXXX")
export TMPDIR=$work/tmp  # the launcher's run directories go here, so a test can see leftovers
mkdir -p "$TMPDIR"
on_exit() {
  stop_test_server
  rm -rf -- "$work"
}
trap on_exit EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

serve_demo_corpus() {
  "$DUPIPE_SOURCE_DIR/scripts/make_demo_corpus.sh" "$work/corpus"
  start_test_server "$DUPIPE_BIN_DIR" "$work/corpus" "$work"
  export base_url=http://127.0.0.1:$TEST_SERVER_PORT
}

run_pipeline() {
  "$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "$@"
}

expect_no_leftovers() {
  [[ -z $(ls -A "$TMPDIR") ]] || fail "run directory left behind: $(ls -A "$TMPDIR")"
  local left
  left=$(pgrep -af -- "$work" | grep -v -e pgrep -e dupipe-testserver || true)
  [[ -z $left ]] || fail "processes left behind: $left"
}
