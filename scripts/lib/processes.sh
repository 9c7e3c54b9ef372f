# shellcheck shell=bash
# Stopping a run's children, shared by URL mode (scripts/lib/url_run.sh) and directory mode
# (scripts/lib/supervise.sh). Uses the caller's log function.

# stop_processes ARRAY: stops every process in the associative array named ARRAY (pid -> role),
# reaps it and removes it from ARRAY. SIGTERM is repeated every half second: a signal that lands
# between a stage's last look at its stop flag and its next blocking call is only noticed when
# the next one interrupts that call. A process still there after 5 s gets SIGKILL.
stop_processes() {
  local -n alive=$1
  local pid round
  for ((round = 0; round < 100 && ${#alive[@]} > 0; round++)); do
    if ((round % 10 == 0)); then
      for pid in "${!alive[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    fi
    for pid in "${!alive[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; unset "alive[$pid]"; fi
    done
    sleep 0.05
  done
  for pid in "${!alive[@]}"; do
    log "${alive[$pid]} (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "alive[$pid]"
  done
}
