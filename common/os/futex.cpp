#include "common/os/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace dupipe {
namespace {

constexpr int kSpinsBeforeSleep = 64;

std::uint32_t* futex_address(std::atomic<std::uint32_t>& word) {
  return reinterpret_cast<std::uint32_t*>(&word);
}

}  // namespace

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout) {
  const auto ns = std::max<std::chrono::nanoseconds::rep>(timeout.count(), 0);
  const timespec relative{static_cast<std::time_t>(ns / 1'000'000'000),
                          static_cast<long>(ns % 1'000'000'000)};
  const long rc =
      ::syscall(SYS_futex, futex_address(word), FUTEX_WAIT, expected, &relative, nullptr, 0);
  return rc != 0 && errno == ETIMEDOUT;
}

void futex_wake(std::atomic<std::uint32_t>& word, int count) {
  ::syscall(SYS_futex, futex_address(word), FUTEX_WAKE, count, nullptr, nullptr, 0);
}

bool wait_for_change(std::atomic<std::uint32_t>& word, std::uint32_t seen,
                     std::chrono::nanoseconds timeout) {
  for (int spin = 0; spin < kSpinsBeforeSleep; ++spin) {
    if (word.load(std::memory_order_acquire) != seen) return false;
    cpu_relax();
  }
  return futex_wait(word, seen, timeout);
}

}  // namespace dupipe
