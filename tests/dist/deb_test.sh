#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` of the build makes dupipe_<version>_<arch>.deb carrying
# the version `dupipe --version` prints, shared-library dependencies computed by dpkg-shlibdeps,
# the man pages and the completion; unpacked, its dupipe runs; lintian finds no error in it.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build_dir=${1:?usage: deb_test.sh BUILD_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-deb.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Packaged in a directory of the test's own, so that parallel tests never share CPack's staging.
(cd "$work" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/pkg") >"$work/cpack.log" 2>&1 ||
  fail "cpack failed: $(tail -20 "$work/cpack.log")"
version=$("$build_dir/bin/dupipe-supervise" --version)
version=${version#dupipe }
arch=$(dpkg --print-architecture)
deb=$work/pkg/dupipe_${version}_${arch}.deb
[[ -f $deb ]] || fail "no $deb; made: $(find "$work/pkg" -maxdepth 1 -name '*.deb')"

info=$(dpkg-deb -I "$deb")
echo "$info" | grep -E '^ (Package|Version|Depends):'
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "package version $(dpkg-deb -f "$deb" Version), --version $version"
depends=$(dpkg-deb -f "$deb" Depends)
for library in libc6 libcurl4 libssl3 libstdc++6 libncursesw6 libxxhash0; do
  [[ $depends == *"$library"* ]] || fail "Depends lacks $library (not computed by shlibdeps?): $depends"
done

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
for file in ./usr/bin/dupipe ./usr/bin/dupipe-top ./usr/bin/dupipe-shm ./usr/bin/dupipe-html \
  ./usr/libexec/dupipe/dupipe-supervise ./usr/libexec/dupipe/fetcher ./usr/libexec/dupipe/walker \
  ./usr/libexec/dupipe/dupipe-top \
  ./usr/share/man/man1/dupipe.1.gz ./usr/share/man/man7/dupipe-stages.7.gz \
  ./usr/share/bash-completion/completions/dupipe ./usr/share/doc/dupipe/copyright \
  ./usr/share/doc/dupipe/changelog.gz; do
  grep -qxF "$file" "$work/contents" || fail "the package lacks $file"
done
grep -q '^./usr/share/zsh/.*/_dupipe$' "$work/contents" || fail "the package lacks the zsh completion"

dpkg -x "$deb" "$work/root"
[[ $("$work/root/usr/bin/dupipe" --version) == "dupipe $version" ]] || fail "the unpacked dupipe --version"
"$work/root/usr/bin/dupipe" --dry-run --dir "$work" | grep -qF "$work/root/usr/libexec/dupipe/grouper" ||
  fail "the unpacked dupipe does not find its stages"

# lintian: an error (its default --fail-on) or a failure to run fails the test; warnings are
# printed.
lintian_rc=0
lintian --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1 || lintian_rc=$?
cat "$work/lintian.txt"
((lintian_rc == 0)) || fail "lintian exited $lintian_rc"
echo "deb: $deb OK"
