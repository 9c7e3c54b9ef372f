// Helpers shared by the unit tests: an RAII temporary directory (removed with everything in it),
// whole-file read/write, a logger whose output the test can inspect, and record shorthands.
// Header-only; each test owns its own objects, nothing is shared between tests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/base/logger.hpp"
#include "common/os/unique_fd.hpp"
#include "common/protocol/records.hpp"

namespace dupipe::testing {

// A pipe(2), both ends close-on-exec and owned.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

inline Pipe make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Forks a child that runs `body` and _exit()s with its result (1, with the message on stderr, if
// it throws); the parent gets the pid (reap it with wait_bounded).
inline pid_t spawn_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 1;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
    }
    ::_exit(code);
  }
  return pid;
}

// Waits at most `bound` for a forked child; one that overruns is SIGKILLed. Returns its wait
// status (as from waitpid).
inline int wait_bounded(pid_t pid, std::chrono::milliseconds bound = std::chrono::seconds(5)) {
  int status = -1;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return status;
}

// A fresh directory from mkdtemp(3) under $TMPDIR (or /tmp), removed recursively on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/dupipe-unit-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;  // a destructor must not throw; a leftover temp dir is harmless
    std::filesystem::remove_all(path_, ignored);
  }

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

  // Names of the entries in the directory, sorted.
  [[nodiscard]] std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every byte value 0..255 once, in order.
inline std::string all_byte_values() {
  std::string bytes;
  for (int value = 0; value < 256; ++value) bytes += static_cast<char>(value);
  return bytes;
}

// A Logger writing into a string stream the test can read.
class CapturedLog {
 public:
  explicit CapturedLog(std::string program = "test") : logger_(std::move(program), stream_, true) {}
  [[nodiscard]] const Logger& logger() const { return logger_; }
  [[nodiscard]] std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  Logger logger_;
};

// Parses a line the test expects to be a valid record; fails the test otherwise.
inline Record parsed(std::string_view line) {
  auto record = parse_record(line);
  EXPECT_TRUE(record.has_value()) << "line: " << line
                                  << " error: " << (record ? "" : record.error().message);
  return record ? *record : Record{};
}

// Formats a record the test expects to be encodable.
inline std::string formatted(const Record& record) {
  auto line = format_record(record);
  EXPECT_TRUE(line.has_value()) << (line ? "" : line.error().message);
  return line ? *line : std::string();
}

// The W record the walk would make of `path` now (id "id-PATH").
inline DirectoryFileRecord walked(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return DirectoryFileRecord{"id-" + path,
                             path,
                             static_cast<std::uint64_t>(st.st_size),
                             st.st_dev,
                             st.st_ino,
                             static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000u +
                                 static_cast<std::uint64_t>(st.st_mtim.tv_nsec)};
}

}  // namespace dupipe::testing
