#!/usr/bin/env bash
# launcher.sh: compares the old bash launcher (an older checkout's scripts/run_pipeline.sh, which
# supervised the stages itself) with this checkout's scripts/run_pipeline.sh (which execs
# dupipe-supervise), both driving the same stage binaries (--bin-dir), old and new in the same
# hyperfine -N invocation, warm caches. The old launcher runs the stages of --old-bin-dir (by
# default the same as the new one's): its directory mode starts `producer --dir`, which the
# walker replaced, so give it the build of its own checkout. Measures:
#   1. the fixed cost of a run: an empty directory-mode run (--hashers 2), and a one-URL run
#      against the loopback test server (--no-progress --fetchers 1 --hashers 1);
#   2. directory-mode throughput (--hashers 2): a generated corpus (bench/make_corpus.py, as
#      bench/dedup.sh makes it) and a real tree (/usr/share); old and new must find the same groups.
# Prints a markdown table: wall time mean ± stddev, user and system CPU (hyperfine's means; its
# JSON has no per-run CPU times), files/s, and new/old for each with the goal beside it: fixed
# cost at most a third of the old launcher's, directory mode not slower. Talks only to loopback.
# Not a timed test. Usage:
#   bench/launcher.sh --old DIR [--old-bin-dir DIR] [--bin-dir DIR] [--runs N] [--fixed-runs F] [--warmup W]
#     [--files N] [--total-mib M] [--corpus DIR] [--tree DIR] [--case-timeout S] [--keep]
# --old: a checkout whose scripts/run_pipeline.sh is the bash launcher, e.g.
#   git worktree add /work/old-launcher 0da9bd8   (the last commit with it), and for
#   --old-bin-dir its build: cmake -S /work/old-launcher -B /work/old-launcher/build
#   -DDUPIPE_BUILD_TESTS=OFF -DDUPIPE_BUILD_BENCH=OFF && cmake --build /work/old-launcher/build
# Defaults: --bin-dir build/bin of this checkout, 30 runs after 2 warm-up runs per command (F =
# 100 runs for the two fixed-cost cases, which take well under a second each), a
# corpus of 5000 files and about 512 MiB in the work directory, --tree /usr/share; a case (one
# hyperfine invocation) that takes over S = 1800 s fails the benchmark (a hung run); --keep keeps
# the work directory (hyperfine JSON, the last run's reports) instead of removing it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/lib/urls.sh
source "$root/scripts/lib/urls.sh"

old=""
bin_dir=$root/build/bin
old_bin_dir=""
runs=30
fixed_runs=100
warmup=2
files=5000
total_mib=512
corpus=""
tree=/usr/share
case_timeout=1800
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --old) old=$2; shift 2 ;;
    --bin-dir) bin_dir=$2; shift 2 ;;
    --old-bin-dir) old_bin_dir=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --fixed-runs) fixed_runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --total-mib) total_mib=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --tree) tree=$2; shift 2 ;;
    --case-timeout) case_timeout=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "launcher.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

die() { echo "launcher.sh: $*" >&2; exit 2; }
[[ -n $old ]] || die "--old DIR is required (a checkout whose scripts/run_pipeline.sh is the old launcher)"
old_launcher=$(cd "$old" && pwd -P)/scripts/run_pipeline.sh
new_launcher=$root/scripts/run_pipeline.sh
[[ -x $old_launcher ]] || die "$old_launcher is missing or not executable"
if grep -q dupipe-supervise "$old_launcher"; then
  echo "launcher.sh: warning: $old_launcher runs dupipe-supervise: is it the old bash launcher?" >&2
fi
bin_dir=$(cd "$bin_dir" && pwd -P)
old_bin_dir=$(cd "${old_bin_dir:-$bin_dir}" && pwd -P)
for exe in dupipe-supervise dupipe-testserver dupipe-shm dupipe-top dupipe-html producer walker fetcher grouper hasher aggregator; do
  [[ -x $bin_dir/$exe ]] || die "$bin_dir/$exe is missing: build first"
done
for exe in dupipe-top producer fetcher grouper hasher aggregator; do
  [[ -x $old_bin_dir/$exe ]] || die "$old_bin_dir/$exe is missing: build the old checkout first"
done
for n in "$runs" "$fixed_runs" "$warmup" "$files" "$total_mib" "$case_timeout"; do
  [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a number"
done
((runs >= 2 && fixed_runs >= 2)) || die "--runs and --fixed-runs must be at least 2 (a standard deviation needs two runs)"
[[ -d $tree ]] || die "--tree $tree is not a directory"
tree=$(cd "$tree" && pwd -P)
for tool in hyperfine python3 timeout; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install hyperfine python3 coreutils)"
done

# Loopback only: no proxy may take the test server's URL elsewhere.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY ftp_proxy FTP_PROXY
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

work=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-bench-launcher.XXXXXX")
cleanup() {
  stop_test_server
  if [[ $keep -eq 1 ]]; then echo "launcher.sh: kept $work" >&2; else rm -rf -- "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$work/tmp" "$work/out" "$work/empty" "$work/server" "$work/server-state"
export TMPDIR=$work/tmp  # both launchers make their run directories here

if [[ -z $corpus ]]; then
  corpus=$work/corpus
  echo "generating $files files, about $total_mib MiB, in $corpus" >&2
  python3 "$root/bench/make_corpus.py" "$corpus" "$files" "$total_mib" >&2
fi
corpus=$(cd "$corpus" && pwd -P)

# The one URL: a 64 KiB file on the loopback test server.
head -c 65536 /dev/urandom >"$work/server/one.bin"
start_test_server "$bin_dir" "$work/server" "$work/server-state"
echo "http://127.0.0.1:$TEST_SERVER_PORT/one.bin" >"$work/urls.txt"

# words ARG...: ARGs as one command line for hyperfine -N (which splits it like a POSIX shell).
words() {
  local out="" arg
  for arg in "$@"; do out+="${out:+ }$(printf '%q' "$arg")"; done
  printf '%s' "$out"
}

# bench CASE RUNS STAGES INPUT ARG...: hyperfine -N, RUNS runs of each, over `old --bin-dir B --out OUT.old ARG...` and the
# same with the new launcher, each run in a fresh OUT (removed before each run; the last run's is
# kept); and, unless STAGES is empty, the bash script STAGES (with $IN = INPUT, $OUT its output
# directory and $B the bin directory):
# the same stage processes in a plain shell pipeline, the start-up both launchers pay.
# At most --case-timeout seconds per case: a hung run must not hang the benchmark.
bench() {
  local name=$1 case_runs=$2 stages=$3 input=$4 load
  shift 4
  local out_old=$work/out/$name.old out_new=$work/out/$name.new out_stages=$work/out/$name.stages
  local floor=()
  if [[ -n $stages ]]; then
    printf '%s\n' "$stages" >"$work/$name.stages.sh"  # a file: hyperfine -N splits no $'...'
    floor=(-n stages --prepare "$(words rm -rf -- "$out_stages")"
           "$(words env "IN=$input" "OUT=$out_stages" "B=$bin_dir" bash "$work/$name.stages.sh")")
  fi
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== $name (load average before: $load)" >&2
  if ! timeout --kill-after=10 "$case_timeout" hyperfine -N --runs "$case_runs" --warmup "$warmup" \
    --export-json "$work/$name.json" -n old -n new \
    --prepare "$(words rm -rf -- "$out_old")" --prepare "$(words rm -rf -- "$out_new")" \
    "$(words "$old_launcher" --bin-dir "$old_bin_dir" --out "$out_old" "$@")" \
    "$(words "$new_launcher" --bin-dir "$bin_dir" --out "$out_new" "$@")" "${floor[@]}" >&2; then
    echo "launcher.sh: case '$name' failed: a run exited non-zero, or the case took over" \
      "$case_timeout s (a hung run: hyperfine's output above names the launcher)" >&2
    exit 1
  fi
  printf '%s\t%s\t%s\n' "$name" "$load" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/loads.tsv"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# The stages alone: the processes each launcher starts (walker, grouper, 2 hashers, aggregator;
# producer, fetcher, hasher, aggregator), linked by anonymous pipes, without supervision.
# shellcheck disable=SC2016  # expanded by the bash that runs them
empty_stages='"$B"/hasher --mode group </dev/null >/dev/null &
"$B"/walker "$IN" | "$B"/grouper --out - | "$B"/hasher --mode group |
  "$B"/aggregator --directory --out "$OUT"; wait'
# shellcheck disable=SC2016
url_stages='"$B"/producer "$IN" | "$B"/fetcher --files-dir "$OUT/files" | "$B"/hasher |
  "$B"/aggregator --out "$OUT"'
bench empty "$fixed_runs" "$empty_stages" "$work/empty" --hashers 2 --dir "$work/empty"
bench url "$fixed_runs" "$url_stages" "$work/urls.txt" --no-progress --fetchers 1 --hashers 1 "$work/urls.txt"
bench corpus "$runs" "" "" --hashers 2 --dir "$corpus"
bench tree "$runs" "" "" --hashers 2 --dir "$tree"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# Old and new must have done the same work: the same summaries, and the same groups in directory
# mode (bench/same_groups.py, with the new launcher's report as the reference).
checks=0
for name in empty url corpus tree; do
  if ! python3 - "$work/out/$name.old/report.json" "$work/out/$name.new/report.json" "$name" "$work/out/$name.stages/report.json" <<'PY'
import json, os, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
name, stages_report = sys.argv[3:5]
problems = [f"{who} report incomplete" for who, r in (("old", old), ("new", new)) if not r.get("complete")]
if old["summary"] != new["summary"]:
    problems.append(f"summaries differ: old {old['summary']} new {new['summary']}")
if name in ("empty", "url"):  # the stages alone must have done the same work too
    stages = json.load(open(stages_report)) if os.path.exists(stages_report) else {}
    if stages.get("summary") != new["summary"]:
        problems.append(f"the stages alone did other work: {stages.get('summary')} vs new {new['summary']}")
if name == "url" and (new["summary"].get("fetched") != 1 or new["summary"].get("failed") != 0):
    problems.append(f"the one URL was not fetched: {new['summary']}")
for p in problems:
    print(f"  {name}: {p}")
sys.exit(1 if problems else 0)
PY
  then checks=1; fi
done
echo "same groups, old vs new (reference: new)?" >"$work/groups.txt"
for name in corpus tree; do
  python3 "$root/bench/same_groups.py" "$work/out/$name.new/report.json" \
    "$name-old=json:$work/out/$name.old/report.json" >>"$work/groups.txt" || checks=1
done

python3 - "$work" "$runs" "$warmup" "$corpus" "$tree" "$load_start" "$load_end" "$(nproc)" "$fixed_runs" <<'PY'
import json, math, os, stat, sys

work, runs, warmup, corpus, tree, load_start, load_end, cores, fixed_runs = sys.argv[1:]
THIRD = 1 / 3
cases = [  # name, label, goal (bound on new/old), goal text, does the goal bind CPU time too?
    ("empty", "empty dir (--hashers 2)", THIRD, "≤ 1/3 (fixed cost)", True),
    ("url", "one URL, loopback (--fetchers 1 --hashers 1)", THIRD, "≤ 1/3 (fixed cost)", True),
    ("corpus", "corpus", 1.0, "≤ 1 (not slower)", False),
    ("tree", tree, 1.0, "≤ 1 (not slower)", False),
]


def summary(name, who):
    return json.load(open(os.path.join(work, "out", f"{name}.{who}", "report.json")))["summary"]


def verdict(ratio, goal):
    return "met" if ratio <= goal else "NOT met"


print(f"launcher benchmark: hyperfine -N, {fixed_runs} runs (empty, one URL) or {runs} runs (directory "
      f"trees) after {warmup} warm-up runs per command, "
      f"{cores} cores; load average {load_start} before, {load_end} after")
print()
print("| case | launcher | wall ms (mean ± σ) | user ms | system ms | files/s | goal (new/old) |")
print("|---|---|---:|---:|---:|---:|---|")
for name, label, goal, goal_text, cpu_goal in cases:
    results = {r["command"]: r for r in json.load(open(os.path.join(work, f"{name}.json")))["results"]}
    s = summary(name, "new")
    if name in ("corpus", "tree"):
        top = corpus if name == "corpus" else tree
        size = sum(st.st_size for st in (os.lstat(os.path.join(d, f)) for d, _, fs in os.walk(top) for f in fs)
                   if stat.S_ISREG(st.st_mode))  # regular files, as the walk takes them
        label = (f"dir {label} ({s['files']} files, {size / 2**20:.0f} MiB, "
                 f"{s['bytes_hashed'] / 2**20:.0f} MiB hashed)")
    for who in ("old", "new"):
        r = results[who]
        rate = f"{summary(name, who)['files'] / r['mean']:.0f}" if name in ("corpus", "tree") else "–"
        print(f"| {label} | {who} | {r['mean'] * 1e3:.1f} ± {r['stddev'] * 1e3:.1f} | {r['user'] * 1e3:.1f} "
              f"| {r['system'] * 1e3:.1f} | {rate} | |")
    o, n = results["old"], results["new"]
    if "stages" in results:
        f = results["stages"]
        print(f"| {label} | stages alone (plain shell pipe) | {f['mean'] * 1e3:.1f} ± {f['stddev'] * 1e3:.1f} "
              f"| {f['user'] * 1e3:.1f} | {f['system'] * 1e3:.1f} | – | |")
        own = [(n[k] - f[k]) / (o[k] - f[k]) if o[k] > f[k] else float("nan") for k in ("mean", "user", "system")]
        print(f"| {label} | launcher's own cost (minus the stages alone), new/old | {own[0]:.2f} | {own[1]:.2f} "
              f"| {own[2]:.2f} | | for information |")
    cells, met = [], []
    for key in ("mean", "user", "system"):
        ratio = n[key] / o[key]
        binds = key == "mean" or cpu_goal
        cells.append(f"**{ratio:.2f}** {verdict(ratio, goal)}" if binds else f"{ratio:.2f}")
        if binds:
            met.append(ratio <= goal)
    overall = "met" if all(met) else "NOT met"
    if not cpu_goal and not all(met):  # directory mode: is the loss larger than the noise?
        noise = math.hypot(o["stddev"], n["stddev"])
        overall += (f" (+{(n['mean'] - o['mean']) * 1e3:.0f} ms, within noise: σ {noise * 1e3:.0f} ms)"
                    if n["mean"] - o["mean"] <= noise else " (beyond noise)")
    rate = ""
    if name in ("corpus", "tree"):
        rate = f"{o['mean'] / n['mean']:.2f}x"
    print(f"| {label} | new/old | {cells[0]} | {cells[1]} | {cells[2]} | {rate} | {goal_text}: {overall} |")
print()
print("Goals (the issue): fixed cost (empty, one URL) at most a third of the old launcher's, in wall,")
print("user and system time each (old empty run measured there: 178 ms mean, 117 ms user + 140 ms")
print("system); directory mode not slower than old (wall time; its CPU ratios are for information).")
print("stages alone: the same stage processes in a plain shell pipeline (bash, anonymous pipes, no")
print("supervision), the start-up both launchers pay; a launcher's own cost is its figure minus that.")
print("user/system: hyperfine's means over the runs of the launcher and every stage (its JSON has no")
print("per-run CPU times, hence no ±); the test server's CPU is not counted.")
print("load average (1, 5, 15 min) before and after each case: " + "; ".join(
    f"{c} {a} -> {b}" for c, a, b in (line.rstrip("\n").split("\t") for line in open(os.path.join(work, "loads.tsv")))))
print()
print(open(os.path.join(work, "groups.txt")).read(), end="")
PY
if ((checks != 0)); then
  echo "launcher.sh: old and new did not do the same work (above)" >&2
  exit 1
fi
