#!/usr/bin/env bash
# Content-Disposition can suggest a name, but whatever it says the file lands inside OUT/files/
# as one name of at most 255 bytes without '/' or control bytes, and no existing file changes.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
echo "payload" >"$work/root/a.txt"
mkdir -p "$work/out/files" "$work/etc"
for name in x .bashrc victim; do echo "precious $name" >"$work/out/files/$name"; done
echo "precious outside" >"$work/out/x"
echo "precious etc" >"$work/etc/x"
before=$(cd "$work" && find . -path ./tmp -prune -o -path ./out/files -prune -o -type f ! -name records ! -name stderr ! -name urls.txt -print0 | sort -z | xargs -0 sha256sum)
before_files=$(cd "$work/out/files" && sha256sum x .bashrc victim)

long=$(printf 'n%.0s' $(seq 1 300))
values=(
  'attachment; filename="../../x"'
  "attachment; filename=\"$work/etc/x\""
  'attachment; filename="/etc/x"'
  'attachment; filename="..\\..\\x"'
  'attachment; filename="a/b"'
  'attachment; filename=".bashrc"'
  'attachment; filename="x%2Fy"'
  "attachment; filename*=UTF-8''x%2F..%2Fy"
  "attachment; filename*=UTF-8''new%0Aline"
  "attachment; filename*=UTF-8''nul%00byte"
  "attachment; filename=\"$long.txt\""
  'attachment; filename="victim"'
  'attachment; filename="report.pdf"'
  'attachment; filename="../../x/pwned.txt"'
)
: >"$work/urls.txt"
for value in "${values[@]}"; do
  encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$value")
  echo "$base_url/_disposition/a.txt?cd=$encoded" >>"$work/urls.txt"
done
fetch "$work/out/files" <"$work/urls.txt"

[[ $(grep -c '^P' "$work/records") -eq ${#values[@]} ]] || fail "not every URL was fetched: $(cat "$work/records")"
while IFS=$'\t' read -r tag _ _ path _; do
  [[ $tag == P ]] || continue
  name=${path##*/}
  [[ ${path%/*} == "$work/out/files" ]] || fail "$path is not directly inside OUT/files"
  [[ $name != .* ]] || fail "$path is a hidden file"
  ((${#name} <= 255)) || fail "$path: name of ${#name} bytes"
  LC_ALL=C grep -q '[[:cntrl:]]' <<<"$name" && fail "$path: control byte in the name"
  [[ $(cat "$path") == payload ]] || fail "$path does not hold the body"
done <"$work/records"
grep -qP -- '-report\.pdf\t' "$work/records" || fail "a harmless suggested name was not used"
# RFC 6266 4.3: only the last path segment of a suggested name is kept.
grep -qP -- '/[0-9a-f]+-pwned\.txt\t' "$work/records" || fail "../../x/pwned.txt was not named <id>-pwned.txt: $(cat "$work/records")"
after=$(cd "$work" && find . -path ./tmp -prune -o -path ./out/files -prune -o -type f ! -name records ! -name stderr ! -name urls.txt -print0 | sort -z | xargs -0 sha256sum)
[[ $before == "$after" ]] || fail "files outside OUT/files changed"
[[ $before_files == "$(cd "$work/out/files" && sha256sum x .bashrc victim)" ]] || fail "an existing file in OUT/files changed"
