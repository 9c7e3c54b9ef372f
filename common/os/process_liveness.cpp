#include "common/os/process_liveness.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace dupipe {
namespace {

struct ProcStat {
  char state = '?';
  std::uint64_t start_ticks = 0;
};

// Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat; field 2 may hold spaces and ')'.
std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close_paren + 1));
  ProcStat stat;
  std::string skipped;
  fields >> stat.state;
  for (int field = 4; field < 22; ++field) fields >> skipped;
  if (!(fields >> stat.start_ticks)) return std::nullopt;
  return stat;
}

}  // namespace

ProcessIdentity self_identity() {
  const pid_t pid = ::getpid();
  const auto stat = read_proc_stat(pid);
  return {pid, stat ? stat->start_ticks : 0};
}

std::optional<ProcessIdentity> process_identity(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) return std::nullopt;
  const auto stat = read_proc_stat(pid);
  return ProcessIdentity{pid, stat ? stat->start_ticks : 0};
}

bool is_alive(const ProcessIdentity& process) {
  if (::kill(process.pid, 0) != 0 && errno == ESRCH) return false;
  if (process.start_ticks == 0) return true;
  const auto stat = read_proc_stat(process.pid);
  if (!stat) return true;
  if (stat->state == 'Z' || stat->state == 'X' || stat->state == 'x') return false;
  return stat->start_ticks == process.start_ticks;
}

}  // namespace dupipe
