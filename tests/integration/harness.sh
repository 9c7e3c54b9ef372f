# shellcheck shell=bash
# Shared by the integration tests: a private work directory, the demo corpus served by the
# project's test server on a free loopback port, and cleanup on every exit path.
# Needs DUPIPE_BIN_DIR (set by ctest) and DUPIPE_SOURCE_DIR. DUPIPE_TEST_TRANSPORT (fifo, shm or
# mixed; default fifo) picks the links' transport, so each test runs over every transport.
set -euo pipefail
: "${DUPIPE_BIN_DIR:?}" "${DUPIPE_SOURCE_DIR:?}"
# shellcheck source=../../scripts/lib/urls.sh
source "$DUPIPE_SOURCE_DIR/scripts/lib/urls.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-test.XXXXXX")
export TMPDIR=$work/tmp  # the launcher's run directories go here, so a test can see leftovers
mkdir -p "$TMPDIR"
on_exit() {
  stop_test_server
  test_segments | while read -r name; do rm -f -- "/dev/shm/$name"; done
  rm -rf -- "$work"
}
trap on_exit EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# is_running PID: the process exists and is not a zombie. kill -0 also succeeds on a zombie: a
# stage that died while the launcher sleeps its restart backoff stays one until it is reaped, and
# a test that "kills" it again counts a death that never happens.
is_running() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1  # no fork: chaos loops call it often
  stat=${stat##*) }  # the fields after "(comm) "
  [[ ${stat%% *} != Z ]]
}

serve_demo_corpus() {
  "$DUPIPE_SOURCE_DIR/scripts/make_demo_corpus.sh" "$work/corpus"
  start_test_server "$DUPIPE_BIN_DIR" "$work/corpus" "$work"
  export base_url=http://127.0.0.1:$TEST_SERVER_PORT
}

# The launcher options of the transport under test, and a run id naming this test's segments
# (call next_run first: this runs in a subshell and cannot count; its own pid keeps the ids of
# runs started from background subshells apart too).
transport_args() {
  case ${DUPIPE_TEST_TRANSPORT:-fifo} in
    fifo) printf '%s\n' --transport fifo ;;
    shm) printf '%s\n' --transport shm ;;
    mixed) printf '%s\n' --transport shm --link paths=fifo ;;
    *) fail "unknown DUPIPE_TEST_TRANSPORT '$DUPIPE_TEST_TRANSPORT'" ;;
  esac
  printf '%s\n' --run-id "$test_run_id-$test_runs-$BASHPID"
}
test_run_id=itest-$$
test_runs=0
next_run() { test_runs=$((test_runs + 1)); }

# Runs the launcher in the foreground (a background run needs the script itself as its pid).
run_pipeline() {
  local args
  next_run
  mapfile -t args < <(transport_args)
  "$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" "${args[@]}" "$@" \
    2> >(tee "$work/launcher.stderr" >&2)
}

# expect_links_used: the last run reported the transports DUPIPE_TEST_TRANSPORT asks for.
expect_links_used() {
  local expected
  case ${DUPIPE_TEST_TRANSPORT:-fifo} in
    fifo) expected="urls=fifo paths=fifo digests=fifo" ;;
    shm) expected="urls=shm paths=shm digests=shm" ;;
    mixed) expected="urls=shm paths=fifo digests=shm" ;;
  esac
  local reported
  reported=$(grep -o '[a-z]*=\(fifo\|shm\) (' "$work/launcher.stderr" | tr -d ' (' | paste -sd ' ')
  [[ $reported == "$expected" ]] || fail "links used: '$reported', expected '$expected'"
}

# sleep_until_next_tick: sleeps until the next multiple of 200 ms since the first call, so a loop
# keeps its cadence however long its body takes on a loaded machine (tick counts the calls).
tick=0
tick_start=""
sleep_until_next_tick() {
  [[ -n $tick_start ]] || tick_start=$EPOCHREALTIME
  tick=$((tick + 1))
  local wait_s
  wait_s=$(awk -v start="$tick_start" -v now="$EPOCHREALTIME" -v n="$tick" \
    'BEGIN { w = start + n * 0.2 - now; printf "%.3f", (w > 0 ? w : 0) }')
  sleep "$wait_s"
}

# kill_random_stage: SIGKILL one live stage process of the run under TMPDIR (the test's only
# run); fails when none is running (not started yet, or between passes).
kill_random_stage() {
  local run_dir live
  run_dir=$(compgen -G "$TMPDIR/dupipe-run.*" | head -n 1 || true)
  [[ -n $run_dir && -s $run_dir/pids ]] || return 1
  mapfile -t live < <(while read -r _ pid; do is_running "$pid" && echo "$pid"; done <"$run_dir/pids")
  ((${#live[@]} > 0)) || return 1
  kill -KILL "${live[RANDOM % ${#live[@]}]}" 2>/dev/null
}

# The segments in /dev/shm that runs of this test created.
test_segments() { find /dev/shm -maxdepth 1 -name "dupipe-$test_run_id-*" -printf '%f\n' 2>/dev/null; }

expect_no_leftovers() {
  [[ -z $(ls -A "$TMPDIR") ]] || fail "run directory left behind: $(ls -A "$TMPDIR")"
  local left i
  for ((i = 0; i < 20; i++)); do  # a process substitution (run_pipeline's tee) may still be ending
    left=$(pgrep -af -- "$work" | grep -v -e pgrep -e dupipe-testserver || true)
    [[ -n $left ]] || break
    sleep 0.1
  done
  [[ -z $left ]] || fail "processes left behind: $left"
  left=$(test_segments)
  [[ -z $left ]] || fail "shared-memory segments left behind: $left"
}
