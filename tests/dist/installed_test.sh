#!/usr/bin/env bash
# The installed tool: `cmake --install` into a temporary prefix (and with DESTDIR), then the
# installed `dupipe`, run from a directory outside the checkout with a PATH that does not reach
# the build, gives the same reports as the checkout's scripts/run_pipeline.sh: URL mode against
# the loopback test server and directory mode on a small tree. Nothing installed may name the
# build or the source tree (except the debug information of a Debug build's executables).
# Needs DUPIPE_BIN_DIR, DUPIPE_SOURCE_DIR and DUPIPE_BUILD_DIR (set by ctest).
# shellcheck source-path=SCRIPTDIR source=../integration/harness.sh
source "$DUPIPE_SOURCE_DIR/tests/integration/harness.sh"
: "${DUPIPE_BUILD_DIR:?}"
build_dir=$(cd "$DUPIPE_BUILD_DIR" && pwd -P)
source_dir=$(cd "$DUPIPE_SOURCE_DIR" && pwd -P)
prefix=$work/prefix

cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  fail "cmake --install --prefix failed: $(tail -5 "$work/install.log")"
for file in bin/dupipe bin/dupipe-top bin/dupipe-shm bin/dupipe-html \
  libexec/dupipe/dupipe-supervise libexec/dupipe/producer libexec/dupipe/fetcher \
  libexec/dupipe/walker libexec/dupipe/hasher libexec/dupipe/grouper libexec/dupipe/aggregator \
  libexec/dupipe/dupipe-top libexec/dupipe/dupipe-html libexec/dupipe/dupipe-shm \
  share/man/man1/dupipe.1.gz share/man/man1/dupipe-top.1.gz share/man/man1/dupipe-shm.1.gz \
  share/man/man1/dupipe-html.1.gz share/man/man5/dupipe-protocol.5.gz \
  share/man/man5/dupipe-report.5.gz share/man/man7/dupipe-stages.7.gz \
  share/bash-completion/completions/dupipe share/bash-completion/completions/dupipe-shm \
  share/doc/dupipe/README.md share/doc/dupipe/docs/PROTOCOL.md \
  share/doc/dupipe/examples/sha256_hasher.sh; do
  [[ -e $prefix/$file ]] || fail "not installed: $file"
done
[[ -x $prefix/bin/dupipe && -x $prefix/libexec/dupipe/dupipe-top ]] || fail "launcher or link not executable"
[[ $(readlink "$prefix/libexec/dupipe/dupipe-top") == ../../bin/dupipe-top ]] ||
  fail "libexec/dupipe/dupipe-top is not a relative link to bin/: $(readlink "$prefix/libexec/dupipe/dupipe-top")"
cmp -s "$source_dir/scripts/run_pipeline.sh" "$prefix/bin/dupipe" || fail "bin/dupipe is not scripts/run_pipeline.sh"

# Nothing installed refers to the build or the checkout: no text file names them, no executable
# has a RUNPATH into them.
while IFS= read -r -d '' file; do
  if [[ $(head -c 4 "$file" | od -An -c | tr -d ' ') == 177ELF ]]; then
    runpath=$(readelf -d "$file" | grep -E 'RPATH|RUNPATH' || true)
    [[ -z $runpath ]] || fail "$file has $runpath"
  elif grep -qF -e "$build_dir" -e "$source_dir" "$file"; then
    fail "$file names the build or source tree: $(grep -nF -e "$build_dir" -e "$source_dir" "$file" | head -3)"
  fi
done < <(find "$prefix" -type f -print0)

# DESTDIR: the tree lands under it, and works from there (nothing in it is absolute).
DESTDIR=$work/destdir cmake --install "$build_dir" --prefix /opt/dupipe >"$work/destdir.log" 2>&1 ||
  fail "DESTDIR install failed: $(tail -5 "$work/destdir.log")"
[[ -x $work/destdir/opt/dupipe/bin/dupipe && -e $work/destdir/opt/dupipe/libexec/dupipe/dupipe-html ]] ||
  fail "DESTDIR install: $(find "$work/destdir" -maxdepth 4 | head)"

# The installed tool runs from elsewhere: cwd outside the checkout, PATH without the build, no
# DUPIPE_BIN_DIR; one run also through a symlink to bin/dupipe.
mkdir -p "$work/elsewhere/links"
ln -s "$prefix/bin/dupipe" "$work/elsewhere/links/dupipe"
installed() {
  (cd "$work/elsewhere" && env -u DUPIPE_BIN_DIR -u DUPIPE_SOURCE_DIR -u DUPIPE_BUILD_DIR \
    PATH="$prefix/bin:/usr/bin:/bin" "$@")
}
version=$(installed dupipe --version) || fail "dupipe --version failed"
[[ $version == "$("$DUPIPE_BIN_DIR/dupipe-supervise" --version)" && $version == "dupipe "[0-9]* ]] ||
  fail "installed --version '$version' differs from the build's"
[[ $(installed "$prefix/libexec/dupipe/producer" --version) == "$version" ]] || fail "producer --version"
installed dupipe --dry-run --dir . >"$work/dry-run.txt" 2>&1 || fail "dry run: $(cat "$work/dry-run.txt")"
grep -qF "$prefix/libexec/dupipe/grouper" "$work/dry-run.txt" || fail "dry run does not start libexec's grouper: $(cat "$work/dry-run.txt")"
if grep -qF "$build_dir" "$work/dry-run.txt"; then fail "dry run names the build: $(cat "$work/dry-run.txt")"; fi
installed links/dupipe --dry-run --dir . >"$work/dry-run-link.txt" 2>&1 || fail "dry run through a symlink: $(cat "$work/dry-run-link.txt")"
grep -qF "$prefix/libexec/dupipe/grouper" "$work/dry-run-link.txt" || fail "through a symlink: $(cat "$work/dry-run-link.txt")"
# --bin-dir still picks other executables (stand-ins), and the stages run by hand from libexec.
installed dupipe --bin-dir "$DUPIPE_BIN_DIR" --dry-run --dir . | grep -qF "$DUPIPE_BIN_DIR/grouper" ||
  fail "--bin-dir is not honoured by the installed launcher"
printf 'http://127.0.0.1:1/a\nftp://x/\n' |
  installed env PATH="$prefix/libexec/dupipe:/usr/bin:/bin" producer - >"$work/by-hand.txt" ||
  fail "producer from libexec/dupipe on the PATH failed"
[[ $(cut -f1 "$work/by-hand.txt" | paste -sd ' ') == "U F" ]] || fail "producer by hand wrote: $(cat "$work/by-hand.txt")"

# URL mode: the same report from the installed dupipe and from the checkout.
serve_demo_corpus
demo_url_list "$work/corpus" "$base_url" >"$work/urls.txt"
installed dupipe --run-id "$test_run_id-installed" --fetchers 2 --hashers 2 --out "$work/out-installed" \
  "$work/urls.txt" >/dev/null 2>"$work/installed.stderr" || fail "installed URL run: exit $?: $(tail -5 "$work/installed.stderr")"
grep -qF "supervisor $prefix/libexec/dupipe/dupipe-supervise" "$work/installed.stderr" ||
  fail "the installed launcher ran another supervisor: $(head -3 "$work/installed.stderr")"
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" --run-id "$test_run_id-checkout" \
  --fetchers 2 --hashers 2 --out "$work/out-checkout" "$work/urls.txt" >/dev/null 2>"$work/checkout.stderr" ||
  fail "checkout URL run: exit $?: $(tail -5 "$work/checkout.stderr")"
python3 "$DUPIPE_SOURCE_DIR/tests/integration/same_report.py" "$work/out-checkout" "$work/out-installed" ||
  fail "the installed dupipe's URL report differs from the checkout's"
for file in report.txt report.html timeline.jsonl stages.jsonl; do
  [[ -s $work/out-installed/$file ]] || fail "the installed run wrote no $file"
done

# Directory mode on a small tree: byte-identical reports (same tree, so the same paths).
mkdir -p "$work/tree/a" "$work/tree/b"
printf 'same bytes\n' >"$work/tree/a/one.txt"
printf 'same bytes\n' >"$work/tree/b/two.txt"
printf 'other byte\n' >"$work/tree/b/three.txt"
head -c 100000 /dev/zero >"$work/tree/a/zeros"
cp "$work/tree/a/zeros" "$work/tree/b/zeros-copy"
ln "$work/tree/a/one.txt" "$work/tree/a/one-link.txt"
installed dupipe --run-id "$test_run_id-dir-installed" --dir "$work/tree" --format csv --out "$work/dir-installed" \
  >/dev/null 2>"$work/dir-installed.stderr" || fail "installed directory run: $(tail -5 "$work/dir-installed.stderr")"
"$DUPIPE_SOURCE_DIR/scripts/run_pipeline.sh" --bin-dir "$DUPIPE_BIN_DIR" --run-id "$test_run_id-dir-checkout" \
  --dir "$work/tree" --format csv --out "$work/dir-checkout" >/dev/null 2>"$work/dir-checkout.stderr" ||
  fail "checkout directory run: $(tail -5 "$work/dir-checkout.stderr")"
for file in report.json report.csv actions.sh; do
  diff -u "$work/dir-checkout/$file" "$work/dir-installed/$file" || fail "directory mode: $file differs"
done
python3 - "$work/dir-installed/report.json" <<'PY' || fail "directory report: unexpected groups"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["summary"]["duplicate_groups"] == 2, report["summary"]
assert report["summary"]["hardlink_sets"] == 1, report["summary"]
PY
expect_no_leftovers
echo "installed: OK ($version)"
