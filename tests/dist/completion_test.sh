#!/usr/bin/env bash
# The bash completion (dist/completion/dupipe.bash) driven as bash drives it: COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT set for a command line, the function `complete -p` names
# called, COMPREPLY checked. Every option of each program's --help must be offered.
# The zsh completion is checked for its syntax and for naming every launcher option.
# Usage: completion_test.sh COMPLETION_FILE BIN_DIR ZSH_COMPLETION_FILE
set -euo pipefail
usage="usage: completion_test.sh COMPLETION_FILE BIN_DIR ZSH_COMPLETION_FILE"
completion=${1:?$usage}
bin_dir=$(cd "${2:?$usage}" && pwd)
zsh_completion=${3:?$usage}
work=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-completion.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# shellcheck source-path=SCRIPTDIR source=../../dist/completion/dupipe.bash
source "$completion"
for command in dupipe dupipe-top dupipe-shm dupipe-html; do
  complete -p "$command" >/dev/null 2>&1 || fail "no completion registered for $command"
done

# completions LINE: what completing at the end of LINE offers, one per line (sorted). COMP_WORDS
# splits as bash does with its default COMP_WORDBREAKS: at white space, and '=' a word of its own.
completions() {
  local line=$1 function
  COMP_LINE=$line
  COMP_POINT=${#line}
  local spaced=${line//=/ = }
  read -ra COMP_WORDS <<<"$spaced"
  [[ $line == *[[:space:]] ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  function=$(complete -p "${COMP_WORDS[0]}" | sed -E 's/.*-F ([^ ]+) .*/\1/')
  COMPREPLY=()
  "$function" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}" 2>/dev/null
  ((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect LINE EXPECTED...: completing LINE offers exactly EXPECTED.
expect() {
  local line=$1 got want
  shift
  got=$(completions "$line" | paste -sd ' ')
  want=$(printf '%s\n' "$@" | sort | paste -sd ' ')
  [[ $got == "$want" ]] || fail "'$line': offered '$got', expected '$want'"
}

# offers LINE WORD...: completing LINE offers at least each WORD; lacks LINE WORD...: none of them.
offers() {
  local line=$1 got word
  shift
  got=$(completions "$line")
  for word in "$@"; do
    grep -qxF -- "$word" <<<"$got" || fail "'$line' does not offer '$word' (offered: $(paste -sd ' ' <<<"$got"))"
  done
}
lacks() {
  local line=$1 got word
  shift
  got=$(completions "$line")
  for word in "$@"; do
    if grep -qxF -- "$word" <<<"$got"; then fail "'$line' offers '$word'"; fi
  done
}

# Every long option a program's --help lists is offered after '--'.
# (The options a line of --help starts with: not those its prose names, as "(--in/--out)".)
help_options() {
  "$@" --help | grep -E '^ +-' | grep -oE -- '(^|[^[:alnum:]-])--[a-z][a-z0-9-]*' |
    grep -oE -- '--[a-z0-9-]+' | sort -u
}
mapfile -t launcher_options < <(help_options "$bin_dir/dupipe-supervise")
((${#launcher_options[@]} > 40)) || fail "dupipe-supervise --help listed only ${#launcher_options[@]} options"
offers "dupipe --" "${launcher_options[@]}"
mapfile -t top_options < <(help_options "$bin_dir/dupipe-top")
offers "dupipe-top --" "${top_options[@]}"
mapfile -t html_options < <(help_options "$bin_dir/dupipe-html")
offers "dupipe-html --" "${html_options[@]}"
for sub in create create-stats stages stat cleanup; do
  mapfile -t shm_options < <(help_options "$bin_dir/dupipe-shm" "$sub" | grep -vx -- '--version')
  offers "dupipe-shm $sub --" "${shm_options[@]}"
done

zsh -n "$zsh_completion" || fail "$zsh_completion: zsh syntax error"
for option in "${launcher_options[@]}"; do
  grep -qF -e "${option}[" -e "${option}}" "$zsh_completion" || fail "the zsh completion lacks $option"
done

# Option names and the values of the options that take a fixed set.
expect "dupipe --al" --algo --allow-file --allow-host
expect "dupipe --algo " sha256 sha1 md5 blake2b xxh128
expect "dupipe --algo x" xxh128
expect "dupipe --out o --transport " fifo shm
expect "dupipe --link d" digests=fifo digests=shm
expect "dupipe --link paths=" fifo shm
expect "dupipe --link paths=s" shm
expect "dupipe --format " nul fdupes csv
expect "dupipe --format nul,f" nul,fdupes
expect "dupipe --action " link delete
expect "dupipe --fetchers " 
expect "dupipe-top --sort r" role rate
expect "dupipe-shm cr" create create-stats
expect "dupipe-shm " create release create-stats stages stat orphans remove cleanup
expect "dupipe-shm create x --h" --held --help
expect "dupipe-html --o" --out

# Directories where a directory is expected, files where a file is.
mkdir -p "$work/tree/subdir"
: >"$work/tree/subfile"
cd "$work/tree"
expect "dupipe --out sub" subdir
expect "dupipe --dir sub" subdir
expect "dupipe --bin-dir sub" subdir
expect "dupipe --fetchers 2 sub" subdir subfile
expect "dupipe --trace sub" subdir subfile
expect "dupipe-html --out sub" subdir
offers "dupipe --hasher-cmd sha256s" sha256sum
lacks "dupipe --out sub" subfile

# dupipe-shm offers the names of dupipe's segments, without /dev/shm/.
segment=dupipe-completiontest-$$-urls
"$bin_dir/dupipe-shm" create "$segment" --owner-pid $$
trap '"$bin_dir/dupipe-shm" remove "$segment" >/dev/null 2>&1; rm -rf -- "$work"' EXIT
expect "dupipe-shm stat dupipe-completiontest-$$" "$segment"
expect "dupipe-shm remove dupipe-completiontest-$$" "$segment"
expect "dupipe-shm create dupipe-completiontest-$$"

((failures == 0)) || { echo "completion: $failures failures" >&2; exit 1; }
echo "completion: all cases passed"
