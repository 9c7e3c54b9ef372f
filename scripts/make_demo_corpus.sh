#!/usr/bin/env bash
# make_demo_corpus.sh DIR: writes the demo corpus, a few dozen files with known duplicates:
# exact copies under other names (3x photo, 2x report, 2x menu incl. a name with a space and
# non-ASCII, 2x data), two files of the same size but different content, an empty file and
# unique notes. Content is pseudo-random but the duplicate structure is fixed: 4 groups.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
rm -rf -- "$dir"
mkdir -p -- "$dir/images" "$dir/docs" "$dir/backup" "$dir/misc"

head -c 262144 /dev/urandom >"$dir/images/photo.jpg"
cp "$dir/images/photo.jpg" "$dir/images/photo-copy.jpg"
cp "$dir/images/photo.jpg" "$dir/backup/photo.jpg"
head -c 65536 /dev/urandom >"$dir/docs/report.pdf"
cp "$dir/docs/report.pdf" "$dir/docs/report (1).pdf"
printf 'Menu of the day\nsoup, bread, cheese\n' >"$dir/docs/menu.txt"
cp "$dir/docs/menu.txt" "$dir/docs/café menu.txt"
printf '{"answer": 42, "list": [1, 2, 3]}\n' >"$dir/misc/data.json"
cp "$dir/misc/data.json" "$dir/backup/data.json"
head -c 4096 /dev/urandom >"$dir/misc/same-size-a.bin"
head -c 4096 /dev/urandom >"$dir/misc/same-size-b.bin"
: >"$dir/misc/empty.txt"
for i in $(seq 1 20); do
  { printf 'note %d\n' "$i"; seq "$i" $((i * 37)); } >"$dir/misc/note-$i.txt"
done
