// A pipeline's shape as data: its links (each with its transport and how it is written) and its
// processes (each with its role, command line, the link it reads on stdin and the links it writes).
// The supervisor runs any topology the same way; URL mode and directory mode are two builders of
// it (url_topology.hpp, directory_topology.hpp), and `--dry-run` prints one with describe().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dupipe::supervisor {

enum class Transport { kFifo, kShm };

// How the writers of a FIFO link write it: whole records per read (packet mode, pipe(7)
// O_DIRECT) or a byte stream, which a stand-in's shell `read` needs.
enum class FifoMode { kPacket, kStream };

struct LinkSpec {
  std::string name;
  Transport transport = Transport::kFifo;
  FifoMode mode = FifoMode::kPacket;
  std::uint32_t writers = 1;  // processes writing it at once (the shm queue's expected writers)
  std::string fifo_path;      // RUN_DIR/NAME
  std::string shm_name;       // dupipe-RUNID-NAME (/dev/shm/...)

  // The --in of a reader ("-": the FIFO is its stdin) and the --out of a writer.
  [[nodiscard]] std::string reader_endpoint() const;
  [[nodiscard]] std::string writer_endpoint() const;
};

struct ProcessSpec {
  std::string role;
  std::vector<std::string> argv;
  std::string stdin_link;           // a FIFO link read on stdin; "" for none
  std::string stdin_file;           // else a file on stdin; "" for /dev/null
  std::string stdout_link;          // a FIFO link written on stdout (stand-ins); "" for none
  std::vector<std::string> writes;  // every link it writes, stdout or --out
  bool is_restartable = true;       // false for stand-in commands, which may hold state
};

// What a dead process costs: URL mode restarts the process and re-feeds what was lost end to
// end; directory mode's grouper is a barrier over the whole walk, so the pass starts again.
enum class OnDeath { kRestartProcess, kRestartPass };

// When a process of role `dead` dies (a signal or a non-zero exit, not a clean exit), every
// running process of role `notified` gets `signal_number`: the crawl frontier learns from
// SIGUSR1 that the pages in flight at a dead fetcher are lost and must start again.
struct DeathNotice {
  std::string dead;
  std::string notified;
  int signal_number = 0;
};

struct Topology {
  std::string mode;  // "url" or "directory"
  std::vector<LinkSpec> links;
  // In start order, the head of the pipeline first: it is on the critical path (a stage further
  // down only waits for it). No order can block: every FIFO is held open by its keeper while
  // the processes start, so no open(2) waits for the other end.
  std::vector<ProcessSpec> processes;
  OnDeath on_death = OnDeath::kRestartProcess;
  std::vector<DeathNotice> death_notices;

  [[nodiscard]] const LinkSpec& link(const std::string& name) const;
};

// Names shared by the builders: where the run's FIFOs and segments are.
struct RunNames {
  std::string run_dir;
  std::string run_id;
  [[nodiscard]] LinkSpec link(const std::string& name, Transport transport, FifoMode mode,
                              std::uint32_t writers) const;
};

// Every process with its command line and every link with its transport, readers and writers.
[[nodiscard]] std::string describe(const Topology& topology);

[[nodiscard]] const char* transport_name(Transport transport);

}  // namespace dupipe::supervisor
