#!/usr/bin/env bash
# The C++ tree is formatted by .clang-format (Google style, 100 columns): clang-format --dry-run
# --Werror over every tracked .cpp and .hpp, so a change that is not formatted fails the suite
# with the file and line. Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
# Usage: format.sh SOURCE_DIR. Exit 1 on unformatted code, 2 without clang-format or a checkout.
set -euo pipefail
source_dir=${1:?usage: format.sh SOURCE_DIR}
cd "$source_dir"
command -v clang-format >/dev/null || { echo "format: clang-format is not installed (apt-get install clang-format)" >&2; exit 2; }
# The tracked sources of a checkout; without git (an unpacked tarball) every source outside build
# directories.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
else
  mapfile -t files < <(find . -path './build*' -prune -o -type f \( -name '*.cpp' -o -name '*.hpp' \) -print | sed 's|^\./||' | sort)
fi
((${#files[@]} > 0)) || { echo "format: no C++ sources under $source_dir" >&2; exit 2; }
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "format: the files above are not formatted; run: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i" >&2
  exit 1
fi
echo "format: ${#files[@]} files formatted"
