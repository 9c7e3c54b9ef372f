// A signal that asks a running stage to do something (not to stop): blocked for the whole
// process and read from a signalfd, which the stage's wait polls with its data. No handler runs
// and nothing is lost between a check and a wait: the signal stays pending in the kernel until
// take() reads it. The crawl frontier takes SIGUSR1 from the supervisor as "a fetcher died: the
// pages in flight are lost" (docs/IPC.md, "The crawl cycle"). Construct it in main before any
// thread starts, so that every thread inherits the blocked mask; one per signal and process.
#pragma once

#include <signal.h>

#include <cstdint>

#include "common/os/unique_fd.hpp"

namespace dupipe {

class NoticeSignal {
 public:
  // FatalError naming the signal if it cannot be blocked or the signalfd cannot be made.
  explicit NoticeSignal(int signal_number);
  NoticeSignal(const NoticeSignal&) = delete;
  NoticeSignal& operator=(const NoticeSignal&) = delete;
  ~NoticeSignal();  // ignores the signal, then unblocks it

  // Readable (POLLIN) while a notice is pending.
  [[nodiscard]] int fd() const { return fd_.get(); }
  // How many notices arrived since the last call (standard signals coalesce: 0 or 1).
  [[nodiscard]] std::uint32_t take();

 private:
  int signal_number_;
  UniqueFd fd_;
};

}  // namespace dupipe
