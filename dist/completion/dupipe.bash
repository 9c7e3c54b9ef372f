# shellcheck shell=bash
# Bash completion of dupipe, dupipe-top, dupipe-shm and dupipe-html: their options, the values
# of the options that take a word from a fixed set, directories and files where those are
# expected, and the shared-memory segments dupipe-shm works on. Installed once as
# share/bash-completion/completions/dupipe, with a link per tool (bash-completion loads the file
# named after the command). Self-contained: it needs bash only, not bash-completion's helpers.
# tests/dist/completion_test.sh drives it; the option lists follow each program's --help.

_dupipe_options='--fetchers --hashers --algo --out --transport --link --shm-capacity --run-id
  --cleanup --dry-run --keep-run-dir --run-dir-file --allow-file --max-filesize --timeout --connect-timeout
  --insecure --transfers --per-host --segments --segment-threshold --retries --min-speed
  --min-speed-time --compressed --resume --max-restarts --restart-period --refeeds
  --save-interval-ms --producer-cmd --hasher-cmd --bin-dir --monitor --progress --no-progress
  --trace --verbose --dir --follow-links --include-empty --verify --format --action --crawl
  --depth --max-pages --delay --allow-host --no-parent --ignore-robots --sitemaps --trap-limit --accept --reject --respect-nofollow
  --help --version'
_dupipe_algorithms='sha256 sha1 md5 blake2b xxh128'
_dupipe_formats='nul fdupes csv json text'

# _dupipe_words: sets cur and prev, the word being completed and the one before it, from the
# line up to the cursor split at white space, so that `--link paths=s` is one word whatever
# COMP_WORDBREAKS splits it into.
_dupipe_words() {
  local line=${COMP_LINE:0:COMP_POINT}
  local -a words
  read -ra words <<<"$line"
  if [[ -z $line || $line == *[[:space:]] ]]; then
    cur=""
    prev=${words[${#words[@]} - 1]:-}
  else
    cur=${words[${#words[@]} - 1]}
    prev=${words[${#words[@]} - 2]:-}
  fi
}

# _dupipe_reply WORDS: COMPREPLY = the words that start with cur. Bash replaces only the part of
# cur after its last word break ('=' by default), so that much is cut off each reply.
_dupipe_reply() {
  local consumed="" word
  if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
    consumed=${cur%"${cur##*=}"}
  fi
  COMPREPLY=()
  while IFS= read -r word; do
    [[ -n $word ]] && COMPREPLY+=("${word#"$consumed"}")
  done < <(compgen -W "$1" -- "$cur")
}

# _dupipe_paths -d|-f: directories, or files and directories, named like cur.
_dupipe_paths() {
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen "$1" -- "$cur")
}

# _dupipe_list WORDS: a comma-separated list of WORDS (--format nul,csv).
_dupipe_list() {
  local done_part="" word
  [[ $cur == *,* ]] && done_part=${cur%,*},
  local -a choices=()
  for word in $1; do choices+=("$done_part$word"); done
  _dupipe_reply "${choices[*]}"
}

_dupipe() {
  local cur prev
  _dupipe_words
  case $prev in
    --algo) _dupipe_reply "$_dupipe_algorithms"; return ;;
    --transport) _dupipe_reply "fifo shm"; return ;;
    --link)
      _dupipe_reply "urls=fifo urls=shm paths=fifo paths=shm digests=fifo digests=shm
        found=fifo found=shm walked=fifo walked=shm sized=fifo sized=shm"
      return ;;
    --format) _dupipe_list "nul fdupes csv"; return ;;
    --action) _dupipe_reply "link delete"; return ;;
    --out | --dir | --bin-dir) _dupipe_paths -d; return ;;
    --trace|--run-dir-file) _dupipe_paths -f; return ;;
    --producer-cmd | --hasher-cmd)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -c -- "$cur"; compgen -f -- "$cur")
      return ;;
    --fetchers | --hashers | --shm-capacity | --run-id | --max-filesize | --timeout | \
      --connect-timeout | --transfers | --per-host | --segments | --segment-threshold | \
      --retries | --min-speed | --min-speed-time | --max-restarts | --restart-period | \
      --refeeds | --save-interval-ms | --depth | --max-pages | --delay | --allow-host | \
      --trap-limit | --accept | --reject)
      COMPREPLY=()
      return ;;
  esac
  if [[ $cur == -* ]]; then
    _dupipe_reply "$_dupipe_options"
  else
    _dupipe_paths -f  # URLS_FILE
  fi
}

_dupipe_top() {
  local cur prev
  _dupipe_words
  case $prev in
    --sort) _dupipe_reply "start role rate pid"; return ;;
    --record) _dupipe_paths -f; return ;;
    --interval-ms) COMPREPLY=(); return ;;
  esac
  if [[ $cur == -* ]]; then
    _dupipe_reply "--once --record --progress --interval-ms --sort --help --version"
  elif [[ -z $cur ]]; then  # the live runs' directories first
    mapfile -t COMPREPLY < <(compgen -G "${TMPDIR:-/tmp}/dupipe-run.*")
    ((${#COMPREPLY[@]} > 0)) || _dupipe_paths -d
  else
    _dupipe_paths -d
  fi
}

# The names of dupipe's segments in /dev/shm (what dupipe-shm takes, without the directory).
_dupipe_segments() {
  local path
  for path in /dev/shm/dupipe-*; do
    [[ -e $path ]] && printf '%s\n' "${path#/dev/shm/}"
  done
}

_dupipe_shm() {
  local cur prev command="" i
  _dupipe_words
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      create | release | create-stats | stages | stat | orphans | remove | cleanup)
        command=${COMP_WORDS[i]}
        break ;;
    esac
  done
  local options="--help" names=0
  case $command in
    "")
      if [[ $cur == -* ]]; then
        _dupipe_reply "--verbose --help --version"
      else
        _dupipe_reply "create release create-stats stages stat orphans remove cleanup"
      fi
      return ;;
    create) options="--writers --capacity --owner-pid --held --help" ;;
    create-stats) options="--slots --owner-pid --help" ;;
    stages | stat) options="--json --help"; names=1 ;;
    release | orphans | remove) names=1 ;;
    cleanup) options="--dry-run --help" ;;
  esac
  case $prev in
    --writers | --capacity | --owner-pid | --slots) COMPREPLY=(); return ;;
  esac
  if [[ $cur == -* ]]; then
    _dupipe_reply "$options"
  elif ((names)); then
    _dupipe_reply "$(_dupipe_segments)"
  else
    COMPREPLY=()
  fi
}

_dupipe_html() {
  local cur prev
  _dupipe_words
  case $prev in
    -o | --out) _dupipe_paths -d; return ;;
  esac
  if [[ $cur == -* ]]; then
    _dupipe_reply "--out --help --version"
  else
    COMPREPLY=()
  fi
}

complete -F _dupipe dupipe run_pipeline.sh
complete -F _dupipe_top dupipe-top
complete -F _dupipe_shm dupipe-shm
complete -F _dupipe_html dupipe-html
