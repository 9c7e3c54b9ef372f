# shellcheck shell=bash
# Helpers to turn corpus files into URLs for the loopback test server.

# percent_encode TEXT: RFC 3986 encoding of a path, keeping '/' and unreserved characters.
percent_encode() {
  local LC_ALL=C text=$1 out="" i c
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    case $c in
      [A-Za-z0-9._~/-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# corpus_urls DIR BASE_URL: one URL per regular file of DIR, sorted.
corpus_urls() {
  local dir=$1 base=$2 file
  while IFS= read -r -d '' file; do
    printf '%s/%s\n' "$base" "$(percent_encode "${file#"$dir"/}")"
  done < <(find "$dir" -type f -print0 | sort -z)
}

# start_test_server BIN_DIR ROOT STATE_DIR: starts dupipe-testserver on a free loopback port;
# sets TEST_SERVER_PID and TEST_SERVER_PORT. Waits at most 10 s for the port file.
start_test_server() {
  local bin_dir=$1 root=$2 state=$3 i
  rm -f -- "$state/port"  # a port file left by an earlier server would be read at once
  "$bin_dir/dupipe-testserver" --root "$root" --port 0 --port-file "$state/port" --quiet &
  TEST_SERVER_PID=$!
  for ((i = 0; i < 100; i++)); do
    [[ -s $state/port ]] && break
    sleep 0.1
  done
  [[ -s $state/port ]] || { echo "test server did not start" >&2; return 1; }
  TEST_SERVER_PORT=$(<"$state/port")
  export TEST_SERVER_PID TEST_SERVER_PORT
}

stop_test_server() {
  [[ -n ${TEST_SERVER_PID:-} ]] || return 0
  kill -TERM "$TEST_SERVER_PID" 2>/dev/null || true
  wait "$TEST_SERVER_PID" 2>/dev/null || true
  TEST_SERVER_PID=""
}

# demo_url_list CORPUS BASE_URL: the corpus URLs plus the demo's bad lines.
demo_url_list() {
  local corpus=$1 base=$2
  echo "# dupipe demo: the corpus, then a few lines that must fail"
  corpus_urls "$corpus" "$base"
  echo
  echo "$base/no-such-file.txt"
  echo "$base/_status/500"
  echo "http://127.0.0.1:1/refused-port"
  echo "this is not a url"
  echo "ftp://127.0.0.1/unsupported-scheme"
  echo "$base/docs/menu.txt"
}
