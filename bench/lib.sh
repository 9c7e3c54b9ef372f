# shellcheck shell=bash
# Shared by the benchmarks that serve files with nginx behind bench/latency_relay.py
# (bench/fetch.sh, bench/crawl.sh): timing and ratio helpers, a private work directory removed
# with its servers on every exit path, and the two servers.
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

log() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# bench_workdir BASE PREFIX: sets work to a new directory under BASE, removed at exit with the
# servers started below.
work="" relay_port="" nginx_pid="" relay_pid=""
bench_workdir() {
  work=$(mktemp -d "$1/$2.XXXXXX")
  trap bench_cleanup EXIT
}
bench_cleanup() {
  [[ -z $relay_pid ]] || kill "$relay_pid" 2>/dev/null || true
  [[ -z $nginx_pid ]] || kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf -- "$work"
}

# write_nginx_conf < LINES: $work/nginx.conf for a foreground nginx under $work (its log, pid,
# no access log, sendfile), LINES (its server blocks and any other setting) inside http { }.
write_nginx_conf() {
  {
    cat <<NGINX
user root;
worker_processes 2;
error_log $work/nginx-error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
NGINX
    cat
    echo "}"
  } >"$work/nginx.conf"
}

# start_nginx PROBE_URL: runs nginx on $work/nginx.conf until PROBE_URL answers (at most 5 s).
start_nginx() {
  nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' &
  nginx_pid=$!
  local i
  for ((i = 0; i < 50; i++)); do curl -sf -o /dev/null "$1" && break; sleep 0.1; done
}

# start_relay TARGET_PORT RTT_MS: sets relay_port to a relay adding RTT_MS per request.
start_relay() {
  relay_port=$(free_port)
  python3 "$bench_dir/latency_relay.py" "$relay_port" "$1" "$2" >"$work/relay.out" &
  relay_pid=$!
  local i
  for ((i = 0; i < 50; i++)); do grep -q ready "$work/relay.out" && break; sleep 0.1; done
}
