#include "fetcher/progress_saver.hpp"

#include <unistd.h>

#include <cerrno>

#include "common/base/error.hpp"

namespace dupipe::fetcher {

ProgressSaver::ProgressSaver(const Logger& logger) : logger_(logger), thread_([this] { run(); }) {}

void ProgressSaver::stop() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    is_stopping_ = true;
    pending_.clear();
  }
  changed_.notify_all();
  thread_.join();
}

void ProgressSaver::submit(const std::string& control_path, UniqueFd data_fd, ControlState state) {
  {
    const std::lock_guard lock(mutex_);
    pending_.insert_or_assign(control_path, Snapshot{std::move(data_fd), std::move(state)});
  }
  changed_.notify_all();
}

void ProgressSaver::forget(const std::string& control_path) {
  std::unique_lock lock(mutex_);
  pending_.erase(control_path);
  changed_.wait(lock, [&] { return in_flight_ != control_path; });
}

void ProgressSaver::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return is_stopping_ || !pending_.empty(); });
    if (is_stopping_) return;
    auto node = pending_.extract(pending_.begin());
    in_flight_ = node.key();
    lock.unlock();
    save(node.key(), node.mapped());
    lock.lock();
    in_flight_.clear();
    changed_.notify_all();
  }
}

void ProgressSaver::save(const std::string& control_path, Snapshot& snapshot) {
  if (::fdatasync(snapshot.data_fd.get()) != 0) {
    logger_.warning(errno_message("fdatasync for " + control_path, errno));
    return;
  }
  if (auto ok = save_control(control_path, snapshot.state); !ok)
    logger_.warning(ok.error().message);
}

}  // namespace dupipe::fetcher
