#include "supervisor/topology.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace dupipe::supervisor {
namespace {

// A word of a command line as a shell would need it quoted, so --dry-run output can be pasted.
std::string quoted(const std::string& word) {
  const bool is_plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("-_./:=,+@%").find(c) != std::string_view::npos;
  });
  if (is_plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string joined(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : separator) + word;
  return out;
}

// "producer", or "fetcher x4": each role once, in start order.
std::vector<std::string> roles_where(const Topology& topology, auto&& predicate) {
  std::vector<std::string> roles;
  std::vector<int> counts;
  for (const ProcessSpec& process : topology.processes) {
    if (!predicate(process)) continue;
    auto found = std::find(roles.begin(), roles.end(), process.role);
    if (found == roles.end()) {
      roles.push_back(process.role);
      counts.push_back(1);
    } else {
      ++counts[static_cast<std::size_t>(found - roles.begin())];
    }
  }
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (counts[i] > 1) roles[i] += " x" + std::to_string(counts[i]);
  }
  return roles;
}

bool reads(const ProcessSpec& process, const LinkSpec& link) {
  if (process.stdin_link == link.name) return true;
  const std::string endpoint = link.reader_endpoint();
  for (std::size_t i = 0; i + 1 < process.argv.size(); ++i) {
    // --links-in: the crawl frontier reads the fetchers' links besides its seeds.
    const bool is_input = process.argv[i] == "--in" || process.argv[i] == "--links-in";
    if (is_input && process.argv[i + 1] == endpoint && endpoint != "-") return true;
  }
  return false;
}

}  // namespace

const char* transport_name(Transport transport) {
  return transport == Transport::kShm ? "shm" : "fifo";
}

std::string LinkSpec::reader_endpoint() const {
  return transport == Transport::kShm ? "shm:" + shm_name : "-";
}

std::string LinkSpec::writer_endpoint() const {
  if (transport == Transport::kShm) return "shm:" + shm_name;
  return (mode == FifoMode::kPacket ? "packet:" : "fifo:") + fifo_path;
}

const LinkSpec& Topology::link(const std::string& name) const {
  for (const LinkSpec& link : links) {
    if (link.name == name) return link;
  }
  throw std::logic_error("topology has no link '" + name + "'");
}

LinkSpec RunNames::link(const std::string& name, Transport transport, FifoMode mode,
                        std::uint32_t writers) const {
  return LinkSpec{
      name, transport, mode, writers, run_dir + "/" + name, "dupipe-" + run_id + "-" + name};
}

std::string describe(const Topology& topology) {
  std::ostringstream out;
  const char* on_death = topology.on_death == OnDeath::kRestartPass ? "restarts the pass"
                         : topology.mode == "crawl" ? "is restarted, a fetcher's pages start again"
                                                    : "is restarted, what it held re-fed";
  out << "mode: " << topology.mode << "; a dead process " << on_death << "\nlinks:\n";
  for (const LinkSpec& link : topology.links) {
    const auto writers = roles_where(topology, [&](const ProcessSpec& p) {
      return std::find(p.writes.begin(), p.writes.end(), link.name) != p.writes.end();
    });
    const auto readers =
        roles_where(topology, [&](const ProcessSpec& p) { return reads(p, link); });
    out << "  " << link.name << ": " << transport_name(link.transport) << " "
        << (link.transport == Transport::kShm ? "/dev/shm/" + link.shm_name : link.fifo_path)
        << (link.transport == Transport::kFifo && link.mode == FifoMode::kStream ? " (byte stream)"
                                                                                 : "")
        << "; writers " << joined(writers, ", ") << "; readers " << joined(readers, ", ") << "\n";
  }
  for (const DeathNotice& notice : topology.death_notices) {
    const char* name = ::sigabbrev_np(notice.signal_number);
    out << "when a " << notice.dead << " dies: SIG" << (name != nullptr ? name : "?") << " to the "
        << notice.notified << "\n";
  }
  out << "processes (in start order):\n";
  for (const ProcessSpec& process : topology.processes) {
    std::vector<std::string> words;
    for (const std::string& word : process.argv) words.push_back(quoted(word));
    std::string line = "  " + process.role + ": " + joined(words, " ");
    if (!process.stdin_link.empty())
      line += " < " + topology.link(process.stdin_link).fifo_path;
    else if (!process.stdin_file.empty())
      line += " < " + quoted(process.stdin_file);
    if (!process.stdout_link.empty()) line += " > " + topology.link(process.stdout_link).fifo_path;
    out << line << (process.is_restartable ? "" : "  (not restarted)") << "\n";
  }
  return out.str();
}

}  // namespace dupipe::supervisor
