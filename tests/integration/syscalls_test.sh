#!/usr/bin/env bash
# System calls per record: a stage writes first and polls only when there is no room (EAGAIN),
# as it reads first and polls only when there is nothing. Traced with strace: a producer writing
# 2,000 records to a regular file and to a pipe that a reader keeps empty makes far fewer polls
# than records (a poll before every write was one system call more per record).
source "$(dirname "$0")/harness.sh"
command -v strace >/dev/null || fail "strace is not installed (scripts/test.sh installs it)"
for i in $(seq 1 2000); do echo "http://127.0.0.1:1/file-$i.bin"; done >"$work/urls.txt"

# polls_of OUT: the poll and ppoll calls of a producer writing to OUT. LeakSanitizer's exit scan
# (sanitized builds) stops the world with ptrace, which fails under strace: it is left out.
polls_of() {
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -qq -e trace=poll,ppoll -o "$work/trace" "$DUPIPE_BIN_DIR/producer" "$work/urls.txt" \
    --out "$1" 2>"$work/stderr" || fail "the producer failed: $(cat "$work/stderr")"
  grep -c -E '(^|[[:space:]])p?poll[(]' "$work/trace" || true
}

file_polls=$(polls_of "$work/records")
[[ $(grep -c '^U' "$work/records") -eq 2000 ]] || fail "the producer did not write 2000 records"
((file_polls <= 20)) || fail "$file_polls polls for 2000 records written to a regular file"

mkfifo "$work/fifo"
cat "$work/fifo" >"$work/piped" &
reader=$!
pipe_polls=$(polls_of "$work/fifo")
wait "$reader"
[[ $(grep -c '^U' "$work/piped") -eq 2000 ]] || fail "the reader did not get 2000 records"
# A full pipe makes the writer poll (the reader may fall behind); an empty one must not.
((pipe_polls <= 1000)) || fail "$pipe_polls polls for 2000 records written to a pipe"
echo "polls for 2000 records: $file_polls to a file, $pipe_polls to a pipe"
