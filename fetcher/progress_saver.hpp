// Saves control files on a thread of its own. A save must fdatasync the part file first (the
// control file may only claim bytes that are on disk), and fdatasync of a file being written at
// hundreds of MB/s blocks for a long time: done on the engine thread it stalled every transfer.
// The engine submits snapshots; only the newest per file is kept. A snapshot taken before the
// fdatasync claims nothing the fdatasync did not cover. forget() must be called before a part
// file is renamed or removed, so no control file reappears beside a finished download.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/base/logger.hpp"
#include "common/os/unique_fd.hpp"
#include "fetcher/control_file.hpp"

namespace dupipe::fetcher {

class ProgressSaver {
 public:
  explicit ProgressSaver(const Logger& logger);
  ProgressSaver(const ProgressSaver&) = delete;
  ProgressSaver& operator=(const ProgressSaver&) = delete;
  ~ProgressSaver() { stop(); }
  // Drops pending snapshots, finishes the save in progress, ends the thread. Idempotent.
  void stop();

  void submit(const std::string& control_path, UniqueFd data_fd, ControlState state);
  // Drops a pending snapshot of this file and waits for its save in progress, if any.
  void forget(const std::string& control_path);

 private:
  struct Snapshot {
    UniqueFd data_fd;
    ControlState state;
  };
  void run();
  void save(const std::string& control_path, Snapshot& snapshot);

  const Logger& logger_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Snapshot> pending_;
  std::string in_flight_;
  bool is_stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace dupipe::fetcher
