#!/usr/bin/env bash
# run_pipeline.sh: starts a dupipe pipeline over named FIFOs or shared-memory queues (per link) in a
# private run directory, supervises the stage processes, and removes the FIFOs, the segments and
# the run directory on every exit path.
#
#   producer --urls--> fetcher x N --paths--> hasher x M --digests--> aggregator --> OUT/report.*
#
# Why the launcher holds each FIFO link open (O_RDWR "keepers"): a FIFO reader sees EOF as soon as no
# writer has it open, which could happen between one fetcher finishing and another starting. The
# launcher keeps a write end open until every process writing that link has exited, then closes
# it so the readers drain the FIFO and see end of stream exactly once.
# Why the launcher opens each reader's input itself (stdin redirection): a reader that opened its
# FIFO only after the keeper was closed would block forever in open(2), or, had nobody held the
# FIFO open at that moment, the kernel would already have discarded the buffered records.
set -euo pipefail

readonly program=run_pipeline
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly script_dir

usage() {
  cat <<USAGE
Usage: scripts/run_pipeline.sh [options] URLS_FILE
       scripts/run_pipeline.sh [options] --dir DIR [--dir DIR2 ...]
Downloads every URL of URLS_FILE ('-' for stdin) with parallel fetchers, hashes the files with
parallel hashers and writes the duplicate report to OUT/report.json and OUT/report.txt.
With --dir (directory mode) the files under DIR are searched instead, no fetcher runs.

Options:
  --fetchers N          fetcher processes (default 4)
  --hashers M           hasher processes (default: number of cores, $(nproc))
  --algo A              sha256 (default), sha1, md5, blake2b or xxh128
  --out DIR             output directory (default ./dupipe-out); files go to DIR/files
  --transport T         fifo (default) or shm: the transport of every link
  --link LINK=T         override one link (urls, paths, digests), e.g. --link paths=shm
  --shm-capacity BYTES  ring size of each shm link (default 1048576)
  --run-id ID           names the run's shm segments dupipe-ID-LINK (default PID-RANDOM);
                        letters, digits, '_' and '-' only
  --cleanup             list dupipe's shared-memory segments, remove those whose run is dead,
                        and exit
  --keep-run-dir        keep the run directory (FIFOs, pids, links) for inspection
  --allow-file          accept file:// URLs
  --max-filesize BYTES  largest download accepted (default 1 GiB)
  --timeout S           seconds per transfer (default 600)
  --connect-timeout S   seconds to connect (default 10)
  --insecure            do not verify TLS certificates
  --transfers K         concurrent transfers per fetcher (default 8); total = N x K
  --per-host P          concurrent transfers per fetcher to one host (default 6)
  --segments S          ranges of one large file fetched in parallel (default 8)
  --segment-threshold B smallest file split into ranges (default 8 MiB)
  --retries R           retries of a transient failure (default 3)
  --min-speed B, --min-speed-time S  abort a transfer below B bytes/s for S seconds (1, 30)
  --compressed          ask for compressed transfers (limits apply to the decoded bytes)
  --resume              continue partial downloads left in OUT/files by an interrupted run
  --save-interval-ms MS how often resume control files are saved (default 5000)
  --producer-cmd CMD    run CMD (via bash -c) instead of the producer: URL list on its stdin,
                        records or bare URL lines on its stdout (e.g. 'cat')
  --hasher-cmd CMD      run CMD instead of each hasher: P records on stdin, H records on stdout;
                        copies sharing the FIFO must read one line at a time under 'flock 0'
                        (see scripts/examples/sha256_hasher.sh)
  --bin-dir DIR         where the dupipe executables are (default: build/bin of this checkout)
Watching a run (URL mode; docs/LAB.md):
  --monitor             show dupipe-top in this terminal until the run ends; the stages'
                        messages go to OUT/run.log meanwhile
  --progress, --no-progress  the one-line progress bar (URLs done/total, bytes, rates, ETA) on
                        stdout, by default shown only when stdout is a terminal
  --trace FILE          write a Chrome trace-event JSON of the run to FILE (Perfetto,
                        chrome://tracing): a track per process, a span per record per stage,
                        blocked-on-read/write spans
  Every URL-mode run also writes OUT/timeline.jsonl (the counters every 100 ms) and
  OUT/report.html (summary, duplicate groups, failures, a timeline of each process).
  -v, --verbose         stages log every record
Directory mode:
  --dir DIR             walk DIR (repeatable); report paths, hard links and OUT/actions.sh
  --follow-links        follow symbolic links (default: skipped)
  --include-empty       group zero-length files too
  --verify              compare each group byte by byte before reporting it
  --format F[,F]        extra OUT/report.F files: nul, fdupes, csv (json and text always)
  --action A            what OUT/actions.sh would do: link (default) or delete; never run by dupipe
  -h, --help            this help

Exit status: 0 done (per-URL failures are in the report), 1 a stage failed (named on stderr),
2 bad usage or missing build, 130/143 interrupted by SIGINT/SIGTERM.
USAGE
}

die_usage() { echo "$program: $*" >&2; echo "Try 'scripts/run_pipeline.sh --help'." >&2; exit 2; }
log() { echo "$program: $*" >&2; }

fetchers=4
transfers=8
hashers=$(nproc)
algo=sha256
out=dupipe-out
transport=fifo
shm_capacity=1048576
run_id=$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
cleanup_only=0
keep_run_dir=0
bin_dir=${DUPIPE_BIN_DIR:-$script_dir/../build/bin}
producer_cmd=""
hasher_cmd=""
urls_file=""
producer_args=()
fetcher_args=()
stage_args=()
dir_roots=()        # directory mode (scripts/lib/dir_mode.sh)
dir_walk_args=()
dir_group_args=()
dir_report_args=()

need_value() { [[ $# -ge 2 && -n $2 ]] || die_usage "option $1 needs a value"; }
need_count() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die_usage "$1 needs a positive integer, got '$2'"; }
# shellcheck source=lib/links.sh
source "$script_dir/lib/links.sh"
# shellcheck source=lib/observe.sh
source "$script_dir/lib/observe.sh"

# shellcheck disable=SC2034  # shm_capacity and run_id are read by scripts/lib/links.sh
while [[ $# -gt 0 ]]; do
  case $1 in
    --fetchers) need_value "$@"; need_count "$1" "$2"; fetchers=$2; shift 2 ;;
    --hashers) need_value "$@"; need_count "$1" "$2"; hashers=$2; shift 2 ;;
    --algo) need_value "$@"; algo=$2; shift 2 ;;
    --out) need_value "$@"; out=$2; shift 2 ;;
    --transport) need_value "$@"; check_transport "$1" "$2"; transport=$2; shift 2 ;;
    --link) need_value "$@"; parse_link_override "$2"; shift 2 ;;
    --shm-capacity) need_value "$@"; need_count "$1" "$2"; shm_capacity=$2; shift 2 ;;
    --run-id) need_value "$@"; [[ $2 =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die_usage "bad --run-id '$2'"; run_id=$2; shift 2 ;;
    --cleanup) cleanup_only=1; shift ;;
    --keep-run-dir) keep_run_dir=1; shift ;;
    --allow-file) producer_args+=(--allow-file); fetcher_args+=(--allow-file); shift ;;
    --max-filesize|--timeout|--connect-timeout) need_value "$@"; fetcher_args+=("$1" "$2"); shift 2 ;;
    --insecure) fetcher_args+=(--insecure); shift ;;
    --transfers) need_value "$@"; need_count "$1" "$2"; transfers=$2; fetcher_args+=("$1" "$2"); shift 2 ;;
    --per-host|--segments|--segment-threshold|--retries|--min-speed|--min-speed-time|--save-interval-ms)
      need_value "$@"; fetcher_args+=("$1" "$2"); shift 2 ;;
    --compressed|--resume) fetcher_args+=("$1"); shift ;;
    --producer-cmd) need_value "$@"; producer_cmd=$2; shift 2 ;;
    --hasher-cmd) need_value "$@"; hasher_cmd=$2; shift 2 ;;
    --bin-dir) need_value "$@"; bin_dir=$2; shift 2 ;;
    -v|--verbose) stage_args+=(--verbose); shift ;;
    --monitor) monitor=1; shift ;;
    --progress) progress=on; shift ;;
    --no-progress) progress=off; shift ;;
    --trace) need_value "$@"; trace_file=$2; shift 2 ;;
    --dir) need_value "$@"; dir_roots+=("$2"); shift 2 ;;
    --follow-links) dir_walk_args+=("$1"); shift ;;
    --include-empty) dir_group_args+=("$1"); shift ;;
    --verify) dir_report_args+=("$1"); shift ;;
    --format|--action) need_value "$@"; dir_report_args+=("$1" "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -?*) die_usage "unknown option '$1'" ;;
    *) [[ -z $urls_file ]] || die_usage "only one URLS_FILE, got '$urls_file' and '$1'"; urls_file=$1; shift ;;
  esac
done
if [[ $cleanup_only -eq 1 ]]; then
  [[ -x $bin_dir/dupipe-shm ]] || die_usage "$bin_dir/dupipe-shm is missing: build first"
  exec "$bin_dir/dupipe-shm" cleanup
fi
[[ $# -eq 0 || -z $urls_file ]] || die_usage "only one URLS_FILE"
case $algo in sha256|sha1|md5|blake2b|xxh128) ;; *) die_usage "unsupported --algo '$algo' (sha256, sha1, md5, blake2b, xxh128)" ;; esac
observe_check "${#dir_roots[@]}"
if [[ ${#dir_roots[@]} -gt 0 ]]; then
  [[ $# -eq 0 && -z $urls_file ]] || die_usage "--dir and a URLS_FILE exclude each other"
  # shellcheck disable=SC2154  # link_override is declared in scripts/lib/links.sh
  [[ $transport == fifo && ${#link_override[@]} -eq 0 ]] ||
    die_usage "directory mode runs its links over FIFOs; --transport shm and --link are for URL mode"
  # shellcheck source=lib/dir_mode.sh
  source "$script_dir/lib/dir_mode.sh"
  run_dir_pipeline
  exit 0
fi
[[ $((${#dir_walk_args[@]} + ${#dir_group_args[@]} + ${#dir_report_args[@]})) -eq 0 ]] ||
  die_usage "--follow-links, --include-empty, --verify, --format and --action need --dir"
[[ $# -eq 0 ]] || urls_file=$1
[[ -n $urls_file ]] || die_usage "missing URLS_FILE"
[[ $urls_file == - || -r $urls_file ]] || die_usage "cannot read URL list '$urls_file'"
for stage in producer fetcher hasher aggregator dupipe-shm; do
  [[ -x $bin_dir/$stage ]] || die_usage "$bin_dir/$stage is missing: build first (scripts/test.sh or scripts/demo.sh)"
done

mkdir -p -- "$out/files"
out=$(cd -- "$out" && pwd -P)

export DUPIPE_ALGO=$algo  # for stand-in commands

# --- run directory, FIFOs and the keepers --------------------------------------------------
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-run.XXXXXX")  # mode 0700, unpredictable name
declare -A role_of=()   # pid -> stage role, for every child still running

# SIGTERM is repeated every half second: a signal that lands between a stage's last look at its
# stop flag and its next blocking call is only noticed when the next one interrupts that call.
stop_children() {
  local pid round
  for ((round = 0; round < 100 && ${#role_of[@]} > 0; round++)); do
    if ((round % 10 == 0)); then
      for pid in "${!role_of[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    fi
    for pid in "${!role_of[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; unset "role_of[$pid]"; fi
    done
    sleep 0.05
  done
  for pid in "${!role_of[@]}"; do
    log "${role_of[$pid]} (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "role_of[$pid]"
  done
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_children
  observe_stop "$status"
  save_stage_counters "$out/stages.jsonl"
  observe_merge_trace
  remove_shm_links
  if [[ $keep_run_dir -eq 1 ]]; then
    log "run directory kept: $run_dir"
  else
    rm -rf -- "$run_dir"
  fi
  exit "$status"
}
trap cleanup EXIT

on_signal() {
  log "received SIG$1; stopping every stage"
  stop_children
  [[ $1 == INT ]] && exit 130
  exit 143
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

stand_in_links=()
[[ -z $producer_cmd ]] || stand_in_links+=(urls)
[[ -z $hasher_cmd ]] || stand_in_links+=(paths digests)
resolve_links "$transport" "${stand_in_links[@]}"
create_link urls 1
create_link paths "$fetchers"
create_link digests "$hashers"
create_stats_area $((fetchers + hashers + 2))
observe_prepare
exec {launcher_stdin}<&0

# Starts a stage in the background without the launcher's keeper descriptors (close_keepers).
# The explicit '<&0' keeps the stdin the caller redirected: bash gives background commands
# /dev/null otherwise. The subshell execs the stage, so $! is the stage's pid.
spawn() {
  local role=$1
  shift
  (close_keepers; exec {launcher_stdin}<&-; exec "$@") <&0 &
  role_of[$!]=$role
  echo "$role $!" >>"$run_dir/pids"
}

# A stand-in reads stdin and writes stdout; packet mode would hand a shell 'read' a broken line,
# so the link read by a stand-in carries a plain byte stream.
paths_mode=packet
[[ -z $hasher_cmd ]] || paths_mode=fifo

spawn aggregator "$bin_dir/aggregator" "${stage_args[@]}" --out "$out" --algo "$algo" \
  --in "$(reader_endpoint digests)" <"$(reader_stdin digests)"
for ((i = 0; i < hashers; i++)); do
  if [[ -n $hasher_cmd ]]; then
    spawn hasher bash -c "$hasher_cmd" <"$run_dir/paths" >"$run_dir/digests"
  else
    spawn hasher "$bin_dir/hasher" "${stage_args[@]}" --algo "$algo" --in "$(reader_endpoint paths)" \
      --out "$(writer_endpoint digests fifo)" <"$(reader_stdin paths)"
  fi
done
for ((i = 0; i < fetchers; i++)); do
  spawn fetcher "$bin_dir/fetcher" "${stage_args[@]}" "${fetcher_args[@]}" --files-dir "$out/files" \
    --in "$(reader_endpoint urls)" --out "$(writer_endpoint paths "$paths_mode")" <"$(reader_stdin urls)"
done
producer_input=$urls_file
[[ $urls_file == - ]] && producer_input=/dev/stdin
if [[ -n $producer_cmd ]]; then
  spawn producer bash -c "$producer_cmd" <"$producer_input" >"$run_dir/urls"
else
  spawn producer "$bin_dir/producer" "${stage_args[@]}" "${producer_args[@]}" "$producer_input" \
    --out "$(writer_endpoint urls packet)" <&"$launcher_stdin"
fi
log "run directory $run_dir; $(describe_links)"
log "started producer, $fetchers fetchers, $hashers hashers, aggregator (pids in $run_dir/pids)"
log "download concurrency: $fetchers fetchers x $transfers transfers = $((fetchers * transfers))"
observe_start

# --- supervision: close each link once its writers are gone; fail fast on a failed stage ----
declare -A running=([producer]=1 [fetcher]=$fetchers [hasher]=$hashers [aggregator]=1)

# finished PID STATUS: bookkeeping for a stage that exited.
finished() {
  local pid=$1 status=$2 role=${role_of[$1]}
  unset "role_of[$pid]"
  if [[ $status -ne 0 ]]; then
    log "stage $role (pid $pid) failed with exit status $status; stopping the run"
    exit 1
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

ticker=""
while [[ ${#role_of[@]} -gt 0 ]]; do
  for pid in "${!role_of[@]}"; do  # sweep: stages that exited without 'wait -n' reporting them
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" || status=$?
      finished "$pid" "$status"
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
    finished "$done_pid" "$status"
  fi
done
# '|| true' after kill too: a ticker that exited just now makes kill fail, which 'set -e' would
# turn into a silent exit 1 of a finished run.
[[ -z $ticker ]] || { kill "$ticker" 2>/dev/null || true; wait "$ticker" 2>/dev/null || true; }

observe_stop 0
echo "Report: $out/report.json (text: $out/report.txt)"
observe_report
sed -n '2p' "$out/report.txt"
