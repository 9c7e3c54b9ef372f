#!/usr/bin/env bash
# Every OS or C handle has one owner (docs/STYLE: RAII for every handle): the raw release calls
# (close, munmap, free, closedir, fclose, curl_*_cleanup, curl_slist_free_all, curl_free,
# EVP_*_free) appear only in an owner's destructor or deleter, on a line that ends in `// owner`
# (common/os/unique_fd.cpp, common/os/c_handles.hpp, ...). Anywhere else such a call is
# a handle released by hand, which an early return or an exception leaks or releases twice.
# Usage: raw_handles.sh SOURCE_DIR. Exit 1 listing every offending line.
set -euo pipefail
source_dir=${1:?usage: raw_handles.sh SOURCE_DIR}
cd "$source_dir"
call='(^|[^.>_[:alnum:]])(::|std::)?(close|munmap|free|closedir|fclose|curl_[a-z]+_cleanup|curl_slist_free_all|curl_free|EVP_[A-Za-z_]+_free)[[:space:]]*\('
# The tracked sources of a checkout; without git (an unpacked tarball) every source outside build
# directories.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
else
  mapfile -t files < <(find . -path './build*' -prune -o -type f \( -name '*.cpp' -o -name '*.hpp' \) -print | sed 's|^\./||' | sort)
fi
((${#files[@]} > 0)) || { echo "raw_handles: no C++ sources under $source_dir" >&2; exit 2; }
# Comments aside, and close() without an argument: a member (ShmQueueWriter::close), never
# the system call.
offending=$(grep -HnE "$call" "${files[@]}" |
  grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' |
  grep -vE '// owner$' |
  grep -vE '(^|[^_[:alnum:]])close\(\)' || true)
if [[ -n $offending ]]; then
  echo "raw_handles: a handle released outside its owner (use UniqueFd, the c_handles deleters, or end the owner's line with '// owner'):" >&2
  echo "$offending" >&2
  exit 1
fi
echo "raw_handles: ${#files[@]} files, every raw release in an owner"
