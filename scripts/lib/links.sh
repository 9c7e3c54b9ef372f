# shellcheck shell=bash
# The launcher's links: which transport each of urls, paths and digests uses, and how to create,
# attach to and remove it. A FIFO link is a named FIFO in the run directory plus a keeper
# descriptor the launcher holds open (see run_pipeline.sh); a shm link is a dupipe shared-memory
# queue /dev/shm/dupipe-RUNID-LINK created exclusively (mode 0600) by dupipe-shm and held open
# (--held) the same way: the launcher releases it once the last process writing it has exited, so
# a writer or reader the launcher restarts finds the stream still open.
# Uses from the launcher: run_dir, run_id, bin_dir, shm_capacity, log, die_usage.
# shellcheck disable=SC2154  # those variables are the launcher's

readonly link_names=(urls paths digests)
declare -A link_transport=()  # link -> fifo | shm, after resolve_links
declare -A link_override=()   # link -> transport asked for with --link
declare -A keeper_fd=()       # link -> descriptor of the FIFO keeper, while it is held
shm_names=()                  # segments this run created: removed on every exit path

# parse_link_override NAME=TRANSPORT (the value of --link)
parse_link_override() {
  local link=${1%%=*} transport=${1#*=}
  [[ $1 == *=* ]] || die_usage "--link needs LINK=TRANSPORT, got '$1'"
  [[ " ${link_names[*]} " == *" $link "* ]] || die_usage "unknown link '$link' (urls, paths, digests)"
  check_transport "--link $link" "$transport"
  link_override[$link]=$transport
}

check_transport() {
  case $2 in fifo|shm) ;; *) die_usage "$1: unknown transport '$2' (fifo or shm)" ;; esac
}

# resolve_links DEFAULT FIFO_ONLY_LINK...: a link touched by a stand-in command stays a FIFO,
# because a stand-in only speaks stdin/stdout.
resolve_links() {
  local default=$1 link
  shift
  for link in "${link_names[@]}"; do
    link_transport[$link]=${link_override[$link]:-$default}
  done
  for link in "$@"; do
    if [[ ${link_transport[$link]} == shm ]]; then
      log "link $link: a stand-in command reads or writes it on stdio, so it stays a FIFO"
      link_transport[$link]=fifo
    fi
  done
}

shm_name_of() { printf 'dupipe-%s-%s' "$run_id" "$1"; }

# create_link LINK WRITERS: makes the FIFO (and its keeper) or the shm queue; refuses to go on if
# the name exists (someone else's object must never be attached to or removed).
create_link() {
  local link=$1 writers=$2 name fd error
  if [[ ${link_transport[$link]} == fifo ]]; then
    # mkfifo(3) fails if the name exists: an object planted there is never opened or removed.
    if ! error=$(mkfifo -m 0600 -- "$run_dir/$link" 2>&1); then
      log "cannot create FIFO $run_dir/$link for link $link: ${error#mkfifo: }; refusing to run" \
        "(a file of that name already exists and may belong to another user)"
      exit 1
    fi
    exec {fd}<>"$run_dir/$link"
    keeper_fd[$link]=$fd
    echo "$link fifo $run_dir/$link" >>"$run_dir/links"
    return
  fi
  name=$(shm_name_of "$link")
  if ! "$bin_dir/dupipe-shm" create "$name" --writers "$writers" --capacity "$shm_capacity" \
    --owner-pid "$$" --held; then
    log "cannot create shared-memory segment /dev/shm/$name for link $link; refusing to run" \
      "(a segment of that name may belong to another run or user: see scripts/run_pipeline.sh --cleanup)"
    exit 1
  fi
  shm_names+=("$name")
  echo "$link shm $name" >>"$run_dir/links"
}

# release_link LINK: the last writer of the link has exited; let its readers see end of stream.
release_link() {
  if [[ ${link_transport[$1]} == shm ]]; then
    # Its readers would wait for the end of stream forever: the run cannot finish.
    "$bin_dir/dupipe-shm" release "$(shm_name_of "$1")" ||
      { log "could not release shared-memory link $1 ($(shm_name_of "$1")); stopping the run"; exit 1; }
    return 0
  fi
  release_link_keeper "$1"
}

# remove_links: after a pass, every link goes (FIFOs and segments) so the next pass makes new ones.
remove_links() {
  local link
  for link in "${link_names[@]}"; do
    release_link_keeper "$link"
    rm -f -- "${run_dir:?}/$link"
  done
  remove_shm_links_except_stats
}

release_link_keeper() {
  local fd=${keeper_fd[$1]:-}
  [[ -n $fd ]] || return 0
  exec {fd}>&-
  unset "keeper_fd[$1]"
}

# close_keepers: in a child, drop every keeper (a reader holding a write end of its own input
# would never see end of stream).
close_keepers() {
  local fd
  for fd in "${keeper_fd[@]}"; do exec {fd}>&-; done
}

# create_stats_area SLOTS: the run's live counters (read by dupipe-top and dupipe-shm stages);
# the stages find it through DUPIPE_STATS. Same exclusive creation and cleanup as the links.
create_stats_area() {
  local name
  name=$(shm_name_of stats)
  if ! "$bin_dir/dupipe-shm" create-stats "$name" --slots "$1" --owner-pid "$$"; then
    log "cannot create shared-memory segment /dev/shm/$name for the live counters; refusing to run"
    exit 1
  fi
  shm_names+=("$name")
  echo "$name" >"$run_dir/stats"
  export DUPIPE_STATS=$name
}

# save_stage_counters FILE: the final live counters, one JSON object per stage process.
save_stage_counters() {
  [[ -s $run_dir/stats ]] || return 0
  "$bin_dir/dupipe-shm" stages --json "$(<"$run_dir/stats")" >"$1.tmp" && mv -f -- "$1.tmp" "$1" ||
    log "could not save the stage counters to $1"
}

# remove_shm_links_except_stats: the links' segments, not the run's live counters.
remove_shm_links_except_stats() {
  local name kept=() links=()
  for name in "${shm_names[@]}"; do
    if [[ $name == "$(shm_name_of stats)" ]]; then kept+=("$name"); else links+=("$name"); fi
  done
  ((${#links[@]} == 0)) || "$bin_dir/dupipe-shm" remove "${links[@]}" || log "some shared-memory segments were already gone"
  shm_names=("${kept[@]}")
}

remove_shm_links() {
  ((${#shm_names[@]} > 0)) || return 0
  "$bin_dir/dupipe-shm" remove "${shm_names[@]}" || log "some shared-memory segments were already gone"
  shm_names=()
}

# reader_endpoint LINK / writer_endpoint LINK MODE: the --in / --out value of a stage on LINK.
# A FIFO reader gets '-' because the launcher opens the FIFO as its stdin (reader_stdin).
reader_endpoint() {
  if [[ ${link_transport[$1]} == shm ]]; then printf 'shm:%s' "$(shm_name_of "$1")"; else printf -- '-'; fi
}
# A FIFO whose keeper is released has ended: a reader restarted after that gets /dev/null (end
# of file at once; the journals tell what it missed) instead of blocking in open(2) forever.
reader_stdin() {
  if [[ ${link_transport[$1]} == shm || -z ${keeper_fd[$1]:-} ]]; then printf '/dev/null'; else printf '%s' "$run_dir/$1"; fi
}
writer_endpoint() {  # MODE: packet or fifo, for a FIFO link
  if [[ ${link_transport[$1]} == shm ]]; then printf 'shm:%s' "$(shm_name_of "$1")"; else printf '%s:%s' "$2" "$run_dir/$1"; fi
}

describe_links() {
  local link text=""
  for link in "${link_names[@]}"; do
    if [[ ${link_transport[$link]} == shm ]]; then
      text+=" $link=shm (/dev/shm/$(shm_name_of "$link"), $shm_capacity-byte ring)"
    else
      text+=" $link=fifo ($run_dir/$link)"
    fi
  done
  printf 'links:%s' "$text"
}
