// NoticeSignal: a blocked signal read from a signalfd — pending until taken, readable by poll(2),
// counted once per take; after the object is gone a late one is ignored instead of killing.
#include "common/os/notice_signal.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <csignal>

namespace dupipe {
namespace {

bool is_readable_now(int fd) {
  pollfd ready{fd, POLLIN, 0};
  return ::poll(&ready, 1, 0) == 1 && (ready.revents & POLLIN) != 0;
}

TEST(NoticeSignal, HoldsASignalUntilTakenAndDropsALateOne) {
  {
    NoticeSignal notice(SIGUSR2);
    EXPECT_FALSE(is_readable_now(notice.fd()));
    EXPECT_EQ(notice.take(), 0U);
    ASSERT_EQ(::raise(SIGUSR2), 0);  // blocked: pending, not delivered
    EXPECT_TRUE(is_readable_now(notice.fd()));
    EXPECT_EQ(notice.take(), 1U);
    EXPECT_FALSE(is_readable_now(notice.fd()));
    ASSERT_EQ(::raise(SIGUSR2), 0);  // left pending when the object goes
  }
  // Still alive: the pending one and this one are ignored, not the default action.
  ASSERT_EQ(::raise(SIGUSR2), 0);
  struct sigaction current {};
  ::sigaction(SIGUSR2, nullptr, &current);
  EXPECT_EQ(current.sa_handler, SIG_IGN);
  struct sigaction restore {};
  restore.sa_handler = SIG_DFL;
  ::sigaction(SIGUSR2, &restore, nullptr);
}

}  // namespace
}  // namespace dupipe
