#!/usr/bin/env bash
# Work stealing: one range of a segmented download is served slowly (the server drips the second
# request of the URL, i.e. one of the planned ranges, at 256 KB/s) while the others arrive at
# full speed. Idle transfers take over the upper half of what the slow range still has to fetch,
# again and again, so the file is complete in a fraction of the time the slow range alone would
# take, byte-exact, and without fetching any byte twice in any quantity.
source "$(dirname "$0")/fetch_lib.sh"
serve_fixtures
random_file big.bin 32
size=$((32 * 1024 * 1024))
rate=262144
url=$base_url/_slownth/2/$rate/big.bin
# A 4 MiB probe, then 3 ranges of 28/3 MiB: alone, the slow one takes 28 MiB / 3 / 256 KiB/s.
slow_alone_ms=$((size * 7 / 8 / 3 * 1000 / rate))
options=(--segments 4 --transfers 4 --per-host 4 --segment-threshold 4194304 --min-steal 262144)

reset_stats
start=$(date +%s%N)
echo "$url" | fetch "$work/f1" "${options[@]}"
took_ms=$((($(date +%s%N) - start) / 1000000))
expect_file "/_slownth/2/$rate/big.bin" "$work/root/big.bin"
expect_no_part_files "$work/f1"
# Without stealing the file could not be done before the slow range (about 37 s).
((took_ms < slow_alone_ms / 3)) ||
  fail "the download took $took_ms ms; the slow range alone takes $slow_alone_ms ms: nothing was stolen"
ranged=$(stat_value ranged) sent=$(stat_value body_bytes)
# The probe and 3 planned ranges make 4 requests; every steal is one more.
((ranged > 4)) || fail "$ranged range requests: no range was taken over"
# A taken-over half is fetched once: the slow transfer stops where its range now ends.
((sent < size * 105 / 100)) || fail "$sent bytes sent for a file of $size"
