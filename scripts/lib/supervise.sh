# shellcheck shell=bash
# Stage supervision over named FIFOs for a pipeline whose shape is given by the caller (used by
# directory mode, scripts/lib/dir_mode.sh; URL mode, with restarts and passes, is
# scripts/lib/url_run.sh, and both stop their children with scripts/lib/processes.sh).
# The same rules as there (docs/PROTOCOL.md, "The launcher's keepers"): each link is a FIFO of
# mode 0600 in a private run directory, held open O_RDWR by a keeper until the last process that
# writes it has exited; stages never inherit keepers; a failed stage stops the run (exit 1);
# SIGINT/SIGTERM are forwarded; the run directory is removed on every exit path.
# Callers: sv_start; sv_link NAME...; sv_writes ROLE LINK...; sv_spawn ROLE CMD... <in >out;
# sv_wait. Globals are prefixed sv_ and live only for this one run of the launcher.

declare -A sv_role_of=()   # pid -> role, every child still running
declare -A sv_keeper=()    # link -> keeper descriptor, or 'closed'
declare -A sv_writes=()    # role -> the links it writes, space-separated
declare -A sv_writers=()   # link -> processes writing it still running (released at 0)
sv_run_dir=""
sv_ticker=""
# shellcheck source=lib/processes.sh
source "${BASH_SOURCE[0]%/*}/processes.sh"

sv_log() { echo "run_pipeline: $*" >&2; }

sv_stop_children() { stop_processes sv_role_of; }

sv_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  sv_stop_children
  if [[ ${keep_run_dir:-0} -eq 1 ]]; then sv_log "run directory kept: $sv_run_dir"; else rm -rf -- "$sv_run_dir"; fi
  exit "$status"
}

sv_on_signal() {
  sv_log "received SIG$1; stopping every stage"
  sv_stop_children
  [[ $1 == INT ]] && exit 130
  exit 143
}

sv_start() {
  sv_run_dir=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-run.XXXXXX")  # mode 0700, unpredictable name
  trap sv_cleanup EXIT
  trap 'sv_on_signal INT' INT
  trap 'sv_on_signal TERM' TERM
}

sv_link() {  # sv_link NAME...: a FIFO per link, and its keeper
  local name fd
  mkfifo -m 0600 -- "${@/#/$sv_run_dir/}"  # one process for all of them: start-up time counts
  for name in "$@"; do
    exec {fd}<>"$sv_run_dir/$name"
    sv_keeper[$name]=$fd
  done
}

sv_writes() {  # sv_writes ROLE LINK...: a link is released once every process writing it exited
  local role=$1
  shift
  sv_writes[$role]="$*"
}

sv_release() {
  local fd=${sv_keeper[$1]}
  if [[ $fd != closed ]]; then exec {fd}>&-; sv_keeper[$1]=closed; fi
}

# A stage without the keepers (a reader holding a write end of its input never sees EOF); the
# explicit '<&0' keeps the caller's stdin redirection, which bash replaces with /dev/null for
# background commands otherwise.
sv_spawn() {
  local role=$1
  shift
  (
    for fd in "${sv_keeper[@]}"; do [[ $fd == closed ]] || eval "exec $fd>&-"; done
    exec "$@"
  ) <&0 &
  sv_role_of[$!]=$role
  local link
  for link in ${sv_writes[$role]:-}; do sv_writers[$link]=$((${sv_writers[$link]:-0} + 1)); done
  echo "$role $!" >>"$sv_run_dir/pids"
}

sv_finished() {  # sv_finished PID STATUS
  local pid=$1 status=$2 role=${sv_role_of[$1]}
  unset "sv_role_of[$pid]"
  if [[ $status -ne 0 ]]; then
    sv_log "stage $role (pid $pid) failed with exit status $status; stopping the run"
    exit 1
  fi
  local link
  for link in ${sv_writes[$role]:-}; do
    sv_writers[$link]=$((sv_writers[$link] - 1))
    # Releases only happen here, in sv_wait, so every writer has been counted by then.
    [[ ${sv_writers[$link]} -gt 0 ]] || sv_release "$link"
  done
}

# A one-second sleeper in every 'wait -n', so a child whose exit bash failed to report is still
# found by the sweep within a second.
sv_start_ticker() {
  (
    for fd in "${sv_keeper[@]}"; do [[ $fd == closed ]] || eval "exec $fd>&-"; done
    exec sleep 1
  ) <&- &
  sv_ticker=$!
}

sv_wait() {  # until every stage has exited; exits 1 as soon as one fails
  local pid status done_pid
  while [[ ${#sv_role_of[@]} -gt 0 ]]; do
    for pid in "${!sv_role_of[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        status=0
        wait "$pid" || status=$?
        sv_finished "$pid" "$status"
      fi
    done
    [[ ${#sv_role_of[@]} -gt 0 ]] || break
    [[ -n $sv_ticker ]] || sv_start_ticker
    status=0
    done_pid=""
    wait -n -p done_pid "${!sv_role_of[@]}" "$sv_ticker" || status=$?
    if [[ $done_pid == "$sv_ticker" ]]; then
      sv_ticker=""
    elif [[ -n $done_pid && -n ${sv_role_of[$done_pid]:-} ]]; then
      sv_finished "$done_pid" "$status"
    fi
  done
  sv_stop_ticker
}

# The ticker may have exited (and been reaped by bash) just now: kill then fails, and under
# 'set -e' that failure, silenced by 2>/dev/null, used to end a finished run with exit 1.
sv_stop_ticker() {
  [[ -n $sv_ticker ]] || return 0
  kill "$sv_ticker" 2>/dev/null || true
  wait "$sv_ticker" 2>/dev/null || true
  sv_ticker=""
}
