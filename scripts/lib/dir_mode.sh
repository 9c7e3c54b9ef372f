# shellcheck shell=bash
# shellcheck disable=SC2154  # the launcher's globals (script_dir, bin_dir, out, algo, ...)
# Directory mode of scripts/run_pipeline.sh (--dir): the producer walks the trees and no fetcher
# runs. Staged so that nothing is read that cannot be a duplicate (docs/PROTOCOL.md):
#
#   producer --walked--> grouper --by size --sized--> hasher --mode partial x M --partials-->
#   grouper --by partial --candidates--> hasher --mode full x M --digests--> aggregator --local
#   (the partial hashers also write the digests of small files, read whole, to --digests--> )
#
# The groupers are barriers (they must see every file before they know which sizes or partial
# digests are shared). Every link is written in packet mode, each packet a batch of whole records
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
  local pause=()
  [[ -z ${DUPIPE_TEST_PAUSE_DIR:-} ]] || pause=(--test-pause-dir "$DUPIPE_TEST_PAUSE_DIR")

  sv_start
  local d=$sv_run_dir
  sv_link walked sized partials candidates digests
  sv_writes producer walked
  sv_writes sizer sized
  sv_writes partial-hasher partials digests  # small files' digests go straight to the aggregator
  sv_writes partial-grouper candidates
  sv_writes hasher digests

  sv_spawn aggregator "$bin_dir/aggregator" "${stage_args[@]}" --local --algo "$algo" \
    "${dir_report_args[@]}" --out "$out" <"$d/digests"
  for ((i = 0; i < hashers; i++)); do
    sv_spawn hasher "$bin_dir/hasher" "${stage_args[@]}" --mode full --algo "$algo" \
      --out "packet:$d/digests" <"$d/candidates"
  done
  sv_spawn partial-grouper "$bin_dir/grouper" "${stage_args[@]}" --by partial \
    --out "packet:$d/candidates" <"$d/partials"
  for ((i = 0; i < hashers; i++)); do
    sv_spawn partial-hasher "$bin_dir/hasher" "${stage_args[@]}" --mode partial --algo "$algo" \
      --out "packet:$d/partials" --digests-out "packet:$d/digests" <"$d/sized"
  done
  sv_spawn sizer "$bin_dir/grouper" "${stage_args[@]}" --by size "${dir_group_args[@]}" "${pause[@]}" \
    --out "packet:$d/sized" <"$d/walked"
  local roots=()
  for i in "${dir_roots[@]}"; do roots+=(--dir "$i"); done
  sv_spawn producer "$bin_dir/producer" "${stage_args[@]}" "${dir_walk_args[@]}" "${roots[@]}" \
    --out "packet:$d/walked" </dev/null
  sv_log "run directory $d; directory mode: producer, 2 groupers, $hashers + $hashers hashers, aggregator"
  sv_wait
  echo "Report: $out/report.json (text: $out/report.txt; review $out/actions.sh before running it)"
  local summary
  { read -r _ && read -r summary; } <"$out/report.txt"  # its second line, without a process
  echo "$summary"
}
