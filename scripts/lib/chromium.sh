# shellcheck shell=bash
# Headless Chromium (Debian package 'chromium') for the HTML report's test and the screenshots:
# a fresh profile per call, nothing fetched from the network, bounded in time.

# chromium_headless ARGS... URL: runs chromium with the given extra arguments (e.g. --dump-dom,
# --screenshot=FILE --window-size=W,H); fails with a clear message when it is not installed.
chromium_headless() {
  local profile status=0
  if ! command -v chromium >/dev/null; then
    echo "chromium is not installed: apt-get install chromium (scripts/test.sh installs it)" >&2
    return 1
  fi
  profile=$(mktemp -d "${TMPDIR:-/tmp}/dupipe-chromium.XXXXXX")
  HOME=$profile timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" "$@" 2>"$profile.log" ||
    status=$?
  if [[ $status -ne 0 ]]; then
    echo "chromium failed (exit $status):" >&2
    tail -n 5 -- "$profile.log" >&2
  fi
  rm -rf -- "$profile" "$profile.log"
  return "$status"
}
