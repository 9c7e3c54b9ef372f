# shellcheck shell=bash
# shellcheck disable=SC2154  # the launcher's globals (script_dir, bin_dir, out, algo, ...)
# Directory mode of scripts/run_pipeline.sh (--dir): the producer walks the trees and no fetcher
# runs. Staged so that nothing is read that cannot be a duplicate, and each file opened once
# (docs/PROTOCOL.md):
#
#   producer --walked--> grouper --sized.0 .. sized.M-1--> hasher --mode group x M --digests-->
#   aggregator --local
#
# The grouper is a barrier (it must see every file before it knows which sizes are shared); it
# gives each whole size group to one hasher, on that hasher's own link, so the hasher can compare
# the first and last 4 KiB of the group's files while it holds them open and read on only those
# that collide. Every link is written in packet mode, each packet a batch of whole records
# (common/batching_writer.hpp), so a reader takes a batch with one lock and one read.
# shellcheck source=lib/supervise.sh
source "$script_dir/lib/supervise.sh"

# run_dir_pipeline: uses the launcher's globals (bin_dir, out, algo, hashers, stage_args,
# dir_roots, dir_walk_args, dir_group_args, dir_report_args).
run_dir_pipeline() {
  local stage i
  for ((i = 0; i < ${#dir_report_args[@]}; i++)); do  # bad values stop here, not after the walk
    case ${dir_report_args[i]} in
      --format) [[ ${dir_report_args[i + 1]} =~ ^(json|text|nul|fdupes|csv)(,(json|text|nul|fdupes|csv))*$ ]] ||
        die_usage "--format takes json, text, nul, fdupes, csv (comma-separated), got '${dir_report_args[i + 1]}'" ;;
      --action) [[ ${dir_report_args[i + 1]} =~ ^(link|delete)$ ]] ||
        die_usage "--action takes link or delete, got '${dir_report_args[i + 1]}'" ;;
    esac
  done
  for stage in producer grouper hasher aggregator; do
    [[ -x $bin_dir/$stage ]] || die_usage "$bin_dir/$stage is missing: build first (scripts/test.sh)"
  done
  mkdir -p -- "$out"
  out=$(cd -- "$out" && pwd -P)
  local pause=() open_limit=()
  [[ -z ${DUPIPE_TEST_PAUSE_DIR:-} ]] || pause=(--test-pause-dir "$DUPIPE_TEST_PAUSE_DIR")
  [[ -z ${DUPIPE_TEST_MAX_OPEN_FILES:-} ]] || open_limit=(--max-open-files "$DUPIPE_TEST_MAX_OPEN_FILES")

  sv_start
  local d=$sv_run_dir sized=() sized_out=()
  for ((i = 0; i < hashers; i++)); do sized+=("sized.$i"); sized_out+=(--out "packet:$d/sized.$i"); done
  sv_link walked digests "${sized[@]}"
  sv_writes producer walked
  sv_writes sizer "${sized[@]}"
  sv_writes hasher digests

  sv_spawn aggregator "$bin_dir/aggregator" "${stage_args[@]}" --local --algo "$algo" \
    "${dir_report_args[@]}" --out "$out" <"$d/digests"
  for ((i = 0; i < hashers; i++)); do
    sv_spawn hasher "$bin_dir/hasher" "${stage_args[@]}" --mode group --algo "$algo" "${open_limit[@]}" \
      --out "packet:$d/digests" <"$d/sized.$i"
  done
  sv_spawn sizer "$bin_dir/grouper" "${stage_args[@]}" "${dir_group_args[@]}" "${pause[@]}" \
    "${sized_out[@]}" <"$d/walked"
  local roots=()
  for i in "${dir_roots[@]}"; do roots+=(--dir "$i"); done
  sv_spawn producer "$bin_dir/producer" "${stage_args[@]}" "${dir_walk_args[@]}" "${roots[@]}" \
    --out "packet:$d/walked" </dev/null
  sv_log "run directory $d; directory mode: producer, grouper, $hashers hashers, aggregator"
  sv_wait
  echo "Report: $out/report.json (text: $out/report.txt; review $out/actions.sh before running it)"
  local summary
  { read -r _ && read -r summary; } <"$out/report.txt"  # its second line, without a process
  echo "$summary"
}
