# shellcheck shell=bash
# Watching a URL-mode run (docs/LAB.md): --trace FILE, --monitor, the progress line and the
# timeline behind OUT/report.html. One helper process, 'dupipe-top --record', samples the run's
# live counters every 100 ms into OUT/timeline.jsonl and, when stdout is a terminal, redraws the
# progress line there; with --monitor the ncurses dupipe-top takes the terminal instead and the
# stages' stderr goes to OUT/run.log. Neither helper is a stage: the supervision loop never
# waits for them, they hold no FIFO keeper, and the launcher stops them once the stages are done.
# Uses from the launcher: run_dir, out, bin_dir, log, close_keepers.
# shellcheck disable=SC2154  # those variables are the launcher's

trace_file=""   # --trace FILE: Chrome trace-event JSON of the run
monitor=0       # --monitor: dupipe-top in this terminal
progress=auto   # --progress / --no-progress; auto: when stdout is a terminal
sampler_pid=""
monitor_pid=""
saved_stderr=""

# observe_check DIR_ROOTS: usage errors of these options, before anything starts.
observe_check() {
  if [[ $1 -gt 0 ]]; then
    [[ -z $trace_file && $monitor -eq 0 ]] || die_usage "--trace and --monitor are for URL mode, not --dir"
    return 0
  fi
  if [[ $monitor -eq 1 ]] && ! [[ -t 1 && -r /dev/tty ]]; then
    die_usage "--monitor needs a terminal on stdout"
  fi
  if [[ -n $trace_file ]]; then
    [[ -d $(dirname -- "$trace_file") ]] || die_usage "--trace: no directory for '$trace_file'"
    trace_file=$(cd -- "$(dirname -- "$trace_file")" && pwd -P)/$(basename -- "$trace_file")
  fi
  local tool
  for tool in dupipe-top dupipe-html; do
    [[ -x $bin_dir/$tool ]] || die_usage "$bin_dir/$tool is missing: build first (scripts/test.sh)"
  done
}

# observe_prepare: before the stages start; they inherit DUPIPE_TRACE_DIR and stderr.
observe_prepare() {
  if [[ -n $trace_file ]]; then
    mkdir -m 0700 -- "$run_dir/trace"
    export DUPIPE_TRACE_DIR=$run_dir/trace
  fi
  if [[ $monitor -eq 1 ]]; then
    log "monitoring in this terminal; the stages' messages go to $out/run.log"
    exec {saved_stderr}>&2 2>>"$out/run.log"  # a log line would tear the ncurses screen
  fi
}

# observe_start: once the stages run.
observe_start() {
  local args=(--record "$out/timeline.jsonl" --interval-ms 100)
  if [[ $progress == on || ($progress == auto && $monitor -eq 0 && -t 1) ]]; then
    args+=(--progress)
  fi
  (close_keepers; exec "$bin_dir/dupipe-top" "${args[@]}" "$run_dir") </dev/null &
  sampler_pid=$!
  if [[ $monitor -eq 1 ]]; then
    (close_keepers; exec "$bin_dir/dupipe-top" --interval-ms 200 "$run_dir") </dev/tty 2>&"$saved_stderr" &
    monitor_pid=$!
  fi
}

# stop_helper PID: SIGTERM, then wait (the recorder takes a last sample; ncurses restores the
# terminal). Bounded: SIGKILL after 3 s.
stop_helper() {
  local pid=$1 i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# observe_stop STATUS: the stages are done (or being stopped); idempotent, also called from
# cleanup. After a failure under --monitor the log's last lines name the stage that failed.
observe_stop() {
  stop_helper "$monitor_pid"
  monitor_pid=""
  stop_helper "$sampler_pid"
  sampler_pid=""
  if [[ -n $saved_stderr ]]; then
    exec 2>&"$saved_stderr" {saved_stderr}>&-
    saved_stderr=""
    log "the stages' messages are in $out/run.log"
    [[ $1 -eq 0 ]] || tail -n 3 -- "$out/run.log" >&2
  fi
}

# observe_report: OUT/report.html from the report and the timeline, after a finished run.
observe_report() {
  if "$bin_dir/dupipe-html" --out "$out"; then
    echo "HTML report: $out/report.html"
  else
    log "could not write $out/report.html (the JSON and text reports are complete)"
  fi
}

# observe_merge_trace: one trace-event JSON file from the stages' files (each line one event).
# Only complete lines are taken: a stage killed while writing leaves at most a torn last line.
observe_merge_trace() {
  [[ -n $trace_file && -d $run_dir/trace ]] || return 0
  local tmp=$trace_file.tmp.$$ parts=()
  mapfile -t parts < <(find "$run_dir/trace" -name '*.jsonl' | sort)
  if {
    printf '{"displayTimeUnit":"ms","traceEvents":[\n'
    ((${#parts[@]} == 0)) || sed -n '/^{.*}$/p' -- "${parts[@]}" | sed '$!s/$/,/'
    printf ']}\n'
  } >"$tmp" && mv -f -- "$tmp" "$trace_file"; then
    log "trace: $trace_file (${#parts[@]} processes; open it in https://ui.perfetto.dev or chrome://tracing)"
  else
    rm -f -- "$tmp"
    log "could not write the trace to $trace_file"
  fi
}
