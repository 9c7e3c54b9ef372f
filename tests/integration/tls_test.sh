#!/usr/bin/env bash
# TLS verification is on by default: against a loopback HTTPS server with a self-signed
# certificate (made here with openssl req) the URL fails with a certificate error in the report;
# with --insecure it is fetched and the launcher's stderr carries the fetcher's warning.
source "$(dirname "$0")/harness.sh"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/openssl.log" ||
  fail "openssl req: $(cat "$work/openssl.log")"
mkdir -p "$work/root"
echo "served over TLS" >"$work/root/secret.txt"

# A small HTTPS server on a free port; it writes the port once it listens.
python3 - "$work/cert.pem" "$work/key.pem" "$work/root" "$work/port" <<'PY' 2>"$work/server.log" &
import functools, http.server, os, ssl, sys
cert, key, root, port_file = sys.argv[1:5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.HTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
tls_server=$!
trap 'kill "$tls_server" 2>/dev/null || true; wait "$tls_server" 2>/dev/null || true; on_exit' EXIT
for ((i = 0; i < 100; i++)); do
  [[ -s $work/port ]] && break
  sleep 0.1
done
[[ -s $work/port ]] || fail "the HTTPS server did not start: $(cat "$work/server.log")"
url=https://127.0.0.1:$(<"$work/port")/secret.txt
echo "$url" >"$work/urls.txt"
curl -sk "$url" | grep -q 'served over TLS' || fail "the HTTPS server does not answer"

# Default: verification on, a certificate failure in the report, nothing downloaded, no warning.
run_pipeline --out "$work/out" --retries 0 "$work/urls.txt" >/dev/null || fail "default run failed"
python3 - "$work/out/report.json" "$url" <<'PY' || fail "default run: $(cat "$work/out/report.json")"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["summary"] == dict(report["summary"], urls=1, fetched=0, failed=1, rejected=0), report["summary"]
failure, = report["failures"]
assert failure["url"] == sys.argv[2] and failure["stage"] == "fetcher", failure
assert "certificate" in failure["error"].lower(), failure["error"]
PY
! grep -q -- '--insecure' "$work/launcher.stderr" || fail "a warning without --insecure"
[[ -z $(find "$work/out/files" -type f) ]] || fail "a file was kept from a failed TLS check"

# --insecure: fetched, and warned on stderr.
run_pipeline --out "$work/out2" --retries 0 --insecure "$work/urls.txt" >/dev/null || fail "--insecure run failed"
python3 - "$work/out2/report.json" <<'PY' || fail "--insecure run: $(cat "$work/out2/report.json")"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["summary"]["fetched"] == 1 and report["failures"] == [], report
PY
grep -q 'fetcher\[[0-9]*\]: warning: --insecure: TLS certificates are NOT verified' "$work/launcher.stderr" ||
  fail "no --insecure warning on stderr: $(cat "$work/launcher.stderr")"
[[ $(cat "$work/out2/files/"*-secret.txt) == 'served over TLS' ]] || fail "the file does not hold the body"
kill "$tls_server"
wait "$tls_server" 2>/dev/null || true
expect_no_leftovers
