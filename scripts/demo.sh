#!/usr/bin/env bash
# demo.sh: the main job on a built-in demo. Installs missing dependencies, builds (Release),
# generates a sample corpus with known duplicates, serves it on a free loopback port with the
# project's test server, runs scripts/run_pipeline.sh over it and prints the text report.
# Usage: scripts/demo.sh [run_pipeline options, e.g. --fetchers 8 --algo md5]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=lib/setup.sh
source "$root/scripts/lib/setup.sh"
# shellcheck source=lib/urls.sh
source "$root/scripts/lib/urls.sh"

ensure_packages "${DUPIPE_PACKAGES[@]}"
build_dupipe "$root" "$root/build" -DDUPIPE_BUILD_TESTS=ON

demo=$root/build/demo
rm -rf -- "$demo"
mkdir -p -- "$demo"
"$root/scripts/make_demo_corpus.sh" "$demo/corpus"
trap stop_test_server EXIT
start_test_server "$root/build/bin" "$demo/corpus" "$demo"
demo_url_list "$demo/corpus" "http://127.0.0.1:$TEST_SERVER_PORT" >"$demo/urls.txt"
echo "demo: serving $demo/corpus on 127.0.0.1:$TEST_SERVER_PORT; URL list $demo/urls.txt" >&2

"$root/scripts/run_pipeline.sh" --bin-dir "$root/build/bin" --out "$demo/out" "$@" "$demo/urls.txt"
echo
cat "$demo/out/report.txt"
