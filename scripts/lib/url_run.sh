# shellcheck shell=bash
# shellcheck disable=SC2154  # the launcher's globals (bin_dir, out, run_dir, fetchers, ...)
# URL mode of scripts/run_pipeline.sh: one or more passes of the pipeline, each supervised, over
# the links of scripts/lib/links.sh. docs/RECOVERY.md explains the design; in short:
#  - a stage process that dies is restarted with backoff, at most --max-restarts times per role;
#  - what a dead process held is found end to end, not per hop: the producer lists what it sent
#    (OUT/.dupipe/manifest), the aggregator journals what it accounted (OUT/.dupipe/journal) and
#    says in the report whether everything arrived ("complete"); if not, another pass re-feeds
#    only what is missing (the fetchers' journal OUT/.dupipe/fetched lets a finished download go
#    straight to the hashers); the last pass reports what still never arrived as failures;
#  - --resume starts from the same state after SIGINT/SIGTERM or a crash of the whole run.

# shellcheck source=lib/processes.sh
source "${BASH_SOURCE[0]%/*}/processes.sh"

declare -A role_of=()    # pid -> stage role, for every child still running
declare -A running=()    # role -> processes of that role still to finish in this pass
declare -A restarts=()   # role -> restarts so far (the budget is per role, for the whole run)
pass=0

# --- the recovery state in OUT/.dupipe ------------------------------------------------------
# prepare_state URLS_FILE: a fresh run starts from nothing, --resume from what is there; the URL
# list is copied in either way, so a resumed or re-fed pass reads the very same lines (also when
# they came from stdin).
prepare_state() {
  local list=$1
  state_dir=$out/.dupipe
  if [[ $resume -eq 0 ]]; then
    rm -rf -- "$state_dir"
  elif [[ ! -d $state_dir ]]; then
    die_usage "--resume: $state_dir does not exist: no run to resume in $out"
  fi
  [[ -d $state_dir ]] || mkdir -m 0700 -- "$state_dir"
  if [[ -n $list ]]; then
    local problem
    if ! problem=$({ if [[ $list == - ]]; then cat; else cat -- "$list"; fi; } 2>&1 >"$state_dir/urls.tmp"); then
      rm -f -- "$state_dir/urls.tmp"
      log "cannot write $state_dir/urls: ${problem#cat: }"
      exit 1
    fi
    mv -f -- "$state_dir/urls.tmp" "$state_dir/urls"
  fi
  [[ -r $state_dir/urls ]] || die_usage "--resume: $state_dir/urls is missing; give the URL list again"
}

# --- starting stages ------------------------------------------------------------------------
# spawn ROLE CMD...: starts a stage in the background without the launcher's keeper descriptors.
# The explicit '<&0' keeps the stdin the caller redirected: bash gives background commands
# /dev/null otherwise. The subshell execs the stage, so $! is the stage's pid. setpriv (util-linux)
# asks the kernel for SIGTERM when the launcher dies, even by SIGKILL: no stage outlives its run
# (the aggregator still writes its partial report, and --resume continues).
spawn() {
  local role=$1
  shift
  (close_keepers; exec setpriv --pdeathsig TERM -- "$@") <&0 &
  role_of[$!]=$role
  echo "$role $!" >>"$run_dir/pids"
}

last_pass() { ((pass == refeeds + 1)); }

start_aggregator() {
  local recovery=(--journal "$state_dir/journal")
  [[ -n $producer_cmd ]] || recovery+=(--manifest "$state_dir/manifest")
  last_pass && recovery+=(--lost-are-failures)
  spawn aggregator "$bin_dir/aggregator" "${stage_args[@]}" --out "$out" --algo "$algo" \
    "${recovery[@]}" --in "$(reader_endpoint digests)" <"$(reader_stdin digests)"
}

start_hasher() {
  if [[ -n $hasher_cmd ]]; then
    spawn hasher bash -c "$hasher_cmd" <"$run_dir/paths" >"$run_dir/digests"
  else
    spawn hasher "$bin_dir/hasher" "${stage_args[@]}" --algo "$algo" --in "$(reader_endpoint paths)" \
      --out "$(writer_endpoint digests fifo)" <"$(reader_stdin paths)"
  fi
}

start_fetcher() {
  local recovery=(--journal "$state_dir/fetched")
  # Partial downloads of a dead fetcher (or an earlier run) continue where they stopped.
  [[ $resume -eq 0 && $pass -eq 1 ]] || recovery+=(--resume)
  spawn fetcher "$bin_dir/fetcher" "${stage_args[@]}" "${fetcher_args[@]}" "${recovery[@]}" \
    --files-dir "$out/files" --in "$(reader_endpoint urls)" --out "$(writer_endpoint paths "$paths_mode")" \
    <"$(reader_stdin urls)"
}

start_producer() {
  if [[ -n $producer_cmd ]]; then
    spawn producer bash -c "$producer_cmd" <"$state_dir/urls" >"$run_dir/urls"
  else
    spawn producer "$bin_dir/producer" "${stage_args[@]}" "${producer_args[@]}" \
      --skip-done "$state_dir/journal" --manifest "$state_dir/manifest" --fetched "$state_dir/fetched" \
      "$state_dir/urls" --out "$(writer_endpoint urls packet)" </dev/null
  fi
}

# --- deaths and restarts --------------------------------------------------------------------
describe_status() {
  if (($1 > 128)); then printf 'was killed by SIG%s' "$(kill -l "$(($1 - 128))" 2>/dev/null || echo "$(($1 - 128))")"
  else printf 'exited with status %s' "$1"; fi
}

# held_by PID: what the live counters last showed the process working on (empty if nothing).
held_by() {
  [[ -s $run_dir/stats ]] || return 0
  "$bin_dir/dupipe-shm" stages --json "$(<"$run_dir/stats")" 2>/dev/null |
    grep -F "\"pid\":$1," | grep -o '"current_item":"[^"]*"' | head -n 1 | cut -d'"' -f4 || true
}

# on_stage_death ROLE PID STATUS: restart it, or stop the run with a partial report once the
# role's budget is spent (or the stage cannot be restarted: bad usage, a stand-in command).
on_stage_death() {
  local role=$1 pid=$2 status=$3 held how
  how=$(describe_status "$status")
  held=$(held_by "$pid")
  [[ -z $held ]] || how+="; it was working on: $held"
  local count=${restarts[$role]:-0}
  if [[ $status -eq 2 || ( $role == producer && -n $producer_cmd ) || ( $role == hasher && -n $hasher_cmd ) ]]; then
    log "stage $role (pid $pid) $how; it cannot be restarted; stopping the run"
    stop_with_partial_report
  fi
  if ((count >= max_restarts)); then
    log "stage $role (pid $pid) $how; its restart budget (--max-restarts $max_restarts) is spent; stopping the run"
    stop_with_partial_report
  fi
  restarts[$role]=$((count + 1))
  local delay_ms=$((100 << count))
  ((delay_ms <= 2000)) || delay_ms=2000
  log "stage $role (pid $pid) $how; restarting it in $delay_ms ms (restart ${restarts[$role]} of $max_restarts)"
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  "start_$role"
}

# The run cannot go on: stop every stage, then rebuild the report from the aggregator's journal
# (the aggregator may be the stage that died), marked incomplete unless nothing is missing.
stop_with_partial_report() {
  stop_children
  if [[ -z $producer_cmd ]]; then
    "$bin_dir/aggregator" --out "$out" --algo "$algo" --journal "$state_dir/journal" \
      --manifest "$state_dir/manifest" --in - </dev/null ||
      log "could not write the partial report to $out"
  fi
  log "partial report: $out/report.json; continue with: scripts/run_pipeline.sh --resume --out $out"
  exit 1
}

stop_children() { stop_processes role_of; }

# --- one pass -------------------------------------------------------------------------------
# stage_exited PID STATUS: bookkeeping for a stage that exited in this pass.
stage_exited() {
  local pid=$1 status=$2 role=${role_of[$1]}
  unset "role_of[$pid]"
  if [[ $status -ne 0 ]]; then
    on_stage_death "$role" "$pid" "$status"
    return
  fi
  running[$role]=$((running[$role] - 1))
  if [[ ${running[$role]} -eq 0 ]]; then
    case $role in
      producer) release_link urls ;;
      fetcher) release_link paths ;;
      hasher) release_link digests ;;
    esac
  fi
}

# A one-second sleeper in every 'wait -n': if bash ever fails to report a child that exited
# while it was not waiting, the sweep below still finds it within a second.
start_ticker() {
  (close_keepers; exec sleep 1) <&- &
  ticker=$!
}

supervise_pass() {
  local pid status done_pid
  ticker=""
  while [[ ${#role_of[@]} -gt 0 ]]; do
    for pid in "${!role_of[@]}"; do  # sweep: stages that exited without 'wait -n' reporting them
      if ! kill -0 "$pid" 2>/dev/null; then
        status=0
        wait "$pid" || status=$?
        stage_exited "$pid" "$status"
      fi
    done
    [[ ${#role_of[@]} -gt 0 ]] || break
    [[ -n $ticker ]] || start_ticker
    status=0
    done_pid=""
    wait -n -p done_pid "${!role_of[@]}" "$ticker" || status=$?
    if [[ $done_pid == "$ticker" ]]; then
      ticker=""
    elif [[ -n $done_pid && -n ${role_of[$done_pid]:-} ]]; then
      stage_exited "$done_pid" "$status"
    fi
  done
  # '|| true' after kill too: a ticker that exited just now makes kill fail, which 'set -e' would
  # turn into a silent exit 1 of a finished run.
  [[ -z $ticker ]] || { kill "$ticker" 2>/dev/null || true; wait "$ticker" 2>/dev/null || true; }
}

# mark_pass: names the pass to its stages (DUPIPE_PASS, kept in their live counters) and to
# dupipe-top (RUN_DIR/pass: "PASS ACCOUNTED", the records the aggregator's journal holds now,
# which this pass's producer skips): the progress line then counts a re-fed URL once. A stand-in
# producer skips nothing, so nothing counts as accounted before it.
mark_pass() {
  local accounted=0
  if [[ -z $producer_cmd && -s $state_dir/journal ]]; then
    accounted=$(wc -l <"$state_dir/journal")
  fi
  echo "$pass $accounted" >"$run_dir/pass.tmp" && mv -f -- "$run_dir/pass.tmp" "$run_dir/pass"
  export DUPIPE_PASS=$pass
}

# run_pass N: fresh links, every stage started, supervised until all have finished.
run_pass() {
  local i
  pass=$1
  rm -f -- "$state_dir/manifest"
  mark_pass
  : >"$run_dir/links"
  create_link urls 1
  create_link paths "$fetchers"
  create_link digests "$hashers"
  running=([producer]=1 [fetcher]=$fetchers [hasher]=$hashers [aggregator]=1)
  start_aggregator
  for ((i = 0; i < hashers; i++)); do start_hasher; done
  for ((i = 0; i < fetchers; i++)); do start_fetcher; done
  start_producer
  if ((pass == 1)); then
    log "run directory $run_dir; $(describe_links)"
    log "started producer, $fetchers fetchers, $hashers hashers, aggregator (pids in $run_dir/pids)"
    log "download concurrency: $fetchers fetchers x $transfers transfers = $((fetchers * transfers))"
    observe_start
  fi
  supervise_pass
  remove_links
}

report_is_complete() { grep -q '^  "complete": true,$' "$out/report.json" 2>/dev/null; }

# run_url_pipeline: passes until the report is complete (the last pass always makes it so).
run_url_pipeline() {
  local n
  for ((n = 1; n <= refeeds + 1; n++)); do
    run_pass "$n"
    report_is_complete && break
    log "pass $n: records were lost with a dead stage; re-feeding what is missing (pass $((n + 1)) of at most $((refeeds + 1)))"
  done
  local total=0 role
  for role in "${!restarts[@]}"; do total=$((total + restarts[$role])); done
  ((total == 0)) || log "$total stage restarts, $pass passes"
}
