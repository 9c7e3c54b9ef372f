// Thin wrappers over the Linux futex system call for 32-bit words in memory shared between
// processes: wait while a word holds an expected value, wake sleepers, and a spin-then-sleep wait.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace dupipe {

// Shared (not FUTEX_PRIVATE_FLAG) wait: the word lives in memory mapped by several processes.
// Returns true if the wait timed out; wake-ups, EINTR and a changed word return false.
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout);

void futex_wake(std::atomic<std::uint32_t>& word, int count);

// One pause of a spin loop (x86 PAUSE, arm YIELD): lets the sibling hyperthread run.
void cpu_relax();

// Spins briefly, then sleeps until `word` moves on from `seen` or the timeout passes.
bool wait_for_change(std::atomic<std::uint32_t>& word, std::uint32_t seen,
                     std::chrono::nanoseconds timeout);

}  // namespace dupipe
