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
script_dir=$(cd "${BASH_SOURCE[0]%/*}" && pwd -P)  # no dirname process: start-up time counts
readonly script_dir

usage() {
  cat <<USAGE
Usage: scripts/run_pipeline.sh [options] URLS_FILE
       scripts/run_pipeline.sh [options] --resume --out OUT [URLS_FILE]
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
  --resume              continue a stopped or crashed run in OUT: what its report accounts is
                        not done again, finished downloads are not fetched again, partial ones
                        continue (the URL list is kept in OUT/.dupipe; giving it again is optional)
  --max-restarts N      restarts of a dead stage process, per role (default 5); then the run
                        stops with a partial report
  --refeeds N           extra passes that re-feed records lost with a dead stage (default 3);
                        what the last pass still misses is reported as a failure
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

Exit status: 0 done (per-URL failures are in the report), 1 a stage failed beyond its restart
budget or could not be restarted (named on stderr; partial report written), 2 bad usage or
missing build, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (partial report written).
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
printf -v run_id '%s-%08x' "$$" "$SRANDOM"  # SRANDOM: getrandom(2), bash 5.1 and later
cleanup_only=0
keep_run_dir=0
resume=0
max_restarts=5
refeeds=3
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
    --compressed) fetcher_args+=("$1"); shift ;;
    --resume) resume=1; shift ;;
    --max-restarts) need_value "$@"; [[ $2 =~ ^[0-9]+$ ]] || die_usage "$1 needs a count, got '$2'"; max_restarts=$2; shift 2 ;;
    --refeeds) need_value "$@"; [[ $2 =~ ^[0-9]+$ ]] || die_usage "$1 needs a count, got '$2'"; refeeds=$2; shift 2 ;;
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
[[ -n $urls_file || $resume -eq 1 ]] || die_usage "missing URLS_FILE"
[[ -z $urls_file || $urls_file == - || -r $urls_file ]] || die_usage "cannot read URL list '$urls_file'"
for stage in producer fetcher hasher aggregator dupipe-shm; do
  [[ -x $bin_dir/$stage ]] || die_usage "$bin_dir/$stage is missing: build first (scripts/test.sh or scripts/demo.sh)"
done

mkdir -p -- "$out/files"
out=$(cd -- "$out" && pwd -P)

export DUPIPE_ALGO=$algo  # for stand-in commands

# shellcheck source=lib/url_run.sh
source "$script_dir/lib/url_run.sh"
prepare_state "$urls_file"

# --- run directory, links, and cleanup on every exit path ----------------------------------
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-run.XXXXXX")  # mode 0700, unpredictable name

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
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

# The aggregator, stopped too, writes a partial report ("complete": false) that --resume continues.
on_signal() {
  log "received SIG$1; stopping every stage"
  stop_children
  log "partial report: $out/report.json; continue with: scripts/run_pipeline.sh --resume --out $out"
  case $1 in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP  # the terminal closed (e.g. under --monitor): clean up as for SIGTERM

stand_in_links=()
[[ -z $producer_cmd ]] || stand_in_links+=(urls)
[[ -z $hasher_cmd ]] || stand_in_links+=(paths digests)
resolve_links "$transport" "${stand_in_links[@]}"
# Every pass starts each stage once more, and each restart takes a slot of its own.
create_stats_area $(( (fetchers + hashers + 2) * (refeeds + 1) + 4 * max_restarts ))
observe_prepare

# A stand-in reads stdin and writes stdout; packet mode would hand a shell 'read' a broken line,
# so the link read by a stand-in carries a plain byte stream.
paths_mode=packet
# shellcheck disable=SC2034  # read by scripts/lib/url_run.sh
[[ -z $hasher_cmd ]] || paths_mode=fifo

run_url_pipeline

observe_stop 0
echo "Report: $out/report.json (text: $out/report.txt)"
observe_report
sed -n '2p' "$out/report.txt"
