#include "supervisor/mode_topologies.hpp"

#include <algorithm>
#include <csignal>

namespace dupipe::supervisor {
namespace {

// A dupipe stage of `role`, run from the build's bin directory; the rest is filled in after.
ProcessSpec stage(const std::string& role, const LaunchOptions& o) {
  ProcessSpec process;
  process.role = role;
  process.argv = {o.bin_dir + "/" + role};
  return process;
}

void append(std::vector<std::string>& to, const std::vector<std::string>& words) {
  to.insert(to.end(), words.begin(), words.end());
}

// A reader of `link`: over shm it names the queue; over a FIFO the link is its stdin.
void reads(ProcessSpec& process, const LinkSpec& link) {
  if (link.transport == Transport::kShm) {
    append(process.argv, {"--in", link.reader_endpoint()});
  } else {
    process.stdin_link = link.name;
  }
}

bool is_stand_in_link(const LaunchOptions& o, const std::string& link) {
  const auto links = stand_in_links(o);
  return std::find(links.begin(), links.end(), link) != links.end();
}

Transport url_transport(const LaunchOptions& o, const std::string& link) {
  return is_stand_in_link(o, link) ? Transport::kFifo : o.transport_of(link);
}

ProcessSpec url_aggregator(const LaunchOptions& o, const Topology& t, const UrlPass& pass) {
  ProcessSpec p = stage("aggregator", o);
  append(p.argv, o.stage_args);
  append(p.argv,
         {"--out", pass.out_dir, "--algo", o.algo, "--journal", pass.state_dir + "/journal"});
  if (o.producer_cmd.empty()) append(p.argv, {"--manifest", pass.state_dir + "/manifest"});
  if (pass.is_last) p.argv.push_back("--lost-are-failures");
  if (o.is_crawl || o.was_crawl) append(p.argv, {"--crawl-state", pass.state_dir + "/crawl.json"});
  reads(p, t.link("digests"));
  return p;
}

ProcessSpec url_hasher(const LaunchOptions& o, const Topology& t) {
  if (!o.hasher_cmd.empty()) {
    return ProcessSpec{"hasher", {"bash", "-c", o.hasher_cmd}, "paths", "", "digests", {"digests"},
                       false};
  }
  ProcessSpec p = stage("hasher", o);
  append(p.argv, o.stage_args);
  append(p.argv, {"--algo", o.algo});
  reads(p, t.link("paths"));
  append(p.argv, {"--out", t.link("digests").writer_endpoint()});
  p.writes = {"digests"};
  return p;
}

ProcessSpec url_fetcher(const LaunchOptions& o, const Topology& t, const UrlPass& pass) {
  ProcessSpec p = stage("fetcher", o);
  append(p.argv, o.stage_args);
  append(p.argv, o.fetcher_args);
  if (!o.is_crawl) append(p.argv, {"--journal", pass.state_dir + "/fetched"});
  // Partial downloads of a dead fetcher (or an earlier run) continue where they stopped.
  if (o.is_resume || pass.number > 1) p.argv.push_back("--resume");
  append(p.argv, {"--files-dir", pass.out_dir + "/files"});
  reads(p, t.link("urls"));
  append(p.argv, {"--out", t.link("paths").writer_endpoint()});
  p.writes = {"paths"};
  if (o.is_crawl) {
    append(p.argv, {"--links-out", t.link("found").writer_endpoint(), "--links-journal",
                    pass.state_dir + "/found.journal"});
    p.writes.push_back("found");
  }
  return p;
}

ProcessSpec url_producer(const LaunchOptions& o, const Topology& t, const UrlPass& pass) {
  const std::string list = input_list(o, pass.state_dir);
  if (!o.producer_cmd.empty()) {
    return ProcessSpec{"producer", {"bash", "-c", o.producer_cmd}, "", list, "urls", {"urls"},
                       false};
  }
  ProcessSpec p = stage("producer", o);
  append(p.argv, o.stage_args);
  append(p.argv, o.producer_args);
  if (o.is_crawl) {
    // The frontier: the seeds as its input, the fetchers' links on the feedback link.
    append(p.argv, o.crawl_args);
    const LinkSpec& found = t.link("found");
    if (found.transport == Transport::kFifo) p.stdin_link = found.name;
    append(p.argv,
           {"--manifest", pass.state_dir + "/manifest", "--crawl-state",
            pass.state_dir + "/crawl.json", "--crawl-journal", pass.state_dir + "/crawl.journal",
            "--feedback-journal", pass.state_dir + "/found.journal", "--launch-id",
            o.launch_stamp.empty() ? o.run_id : o.run_id + "." + o.launch_stamp, "--links-in",
            found.reader_endpoint(), list, "--out", t.link("urls").writer_endpoint()});
    p.writes = {"urls"};
    return p;
  }
  append(p.argv, {"--skip-done", pass.state_dir + "/journal", "--manifest",
                  pass.state_dir + "/manifest", "--fetched", pass.state_dir + "/fetched", list,
                  "--out", t.link("urls").writer_endpoint()});
  p.writes = {"urls"};
  return p;
}

std::string shown_name(const std::string& link) {
  return link.rfind("sized.", 0) == 0 ? "sized" : link;
}

}  // namespace

std::vector<std::string> stand_in_links(const LaunchOptions& o) {
  std::vector<std::string> links;
  if (!o.producer_cmd.empty()) links.push_back("urls");
  if (!o.hasher_cmd.empty()) append(links, {"paths", "digests"});
  return links;
}

Topology url_topology(const LaunchOptions& o, const RunNames& names, const UrlPass& pass) {
  Topology t;
  t.mode = "url";
  // A stand-in hasher's shell `read` would get a broken line out of a packet: a byte stream then.
  const FifoMode paths_mode = o.hasher_cmd.empty() ? FifoMode::kPacket : FifoMode::kStream;
  t.links = {names.link("urls", url_transport(o, "urls"), FifoMode::kPacket, 1),
             names.link("paths", url_transport(o, "paths"), paths_mode, o.fetchers),
             names.link("digests", url_transport(o, "digests"), FifoMode::kStream, o.hashers)};
  if (o.is_crawl) {
    // The way back: written by every fetcher, read by the producer (docs/IPC.md, "The crawl
    // cycle").
    t.mode = "crawl";
    t.death_notices.push_back({"fetcher", "producer", SIGUSR1});
    t.links.push_back(names.link("found", o.transport_of("found"), FifoMode::kPacket, o.fetchers));
  }
  t.processes.push_back(url_producer(o, t, pass));
  for (std::uint32_t i = 0; i < o.fetchers; ++i) t.processes.push_back(url_fetcher(o, t, pass));
  for (std::uint32_t i = 0; i < o.hashers; ++i) t.processes.push_back(url_hasher(o, t));
  t.processes.push_back(url_aggregator(o, t, pass));
  return t;
}

Topology directory_topology(const LaunchOptions& o, const RunNames& names,
                            const std::string& out_dir) {
  Topology t;
  t.mode = "directory";
  t.on_death = OnDeath::kRestartPass;
  t.links.push_back(names.link("walked", o.transport_of("walked"), FifoMode::kPacket, 1));
  for (std::uint32_t i = 0; i < o.hashers; ++i) {
    t.links.push_back(
        names.link("sized." + std::to_string(i), o.transport_of("sized"), FifoMode::kPacket, 1));
  }
  t.links.push_back(names.link("digests", o.transport_of("digests"), FifoMode::kPacket, o.hashers));

  ProcessSpec walker = stage("walker", o);
  append(walker.argv, o.stage_args);
  append(walker.argv, o.walk_args);
  append(walker.argv, {"--out", t.link("walked").writer_endpoint(), "--"});
  append(walker.argv, o.dirs);
  walker.writes = {"walked"};
  t.processes.push_back(walker);

  ProcessSpec grouper = stage("grouper", o);
  append(grouper.argv, o.stage_args);
  append(grouper.argv, o.group_args);
  if (!o.test_pause_dir.empty()) append(grouper.argv, {"--test-pause-dir", o.test_pause_dir});
  for (std::uint32_t i = 0; i < o.hashers; ++i) {
    const LinkSpec& sized = t.link("sized." + std::to_string(i));
    append(grouper.argv, {"--out", sized.writer_endpoint()});
    grouper.writes.push_back(sized.name);
  }
  reads(grouper, t.link("walked"));
  t.processes.push_back(grouper);

  for (std::uint32_t i = 0; i < o.hashers; ++i) {
    ProcessSpec hasher = stage("hasher", o);
    append(hasher.argv, o.stage_args);
    append(hasher.argv, {"--mode", "group", "--algo", o.algo});
    if (!o.test_max_open_files.empty())
      append(hasher.argv, {"--max-open-files", o.test_max_open_files});
    append(hasher.argv, {"--out", t.link("digests").writer_endpoint()});
    reads(hasher, t.link("sized." + std::to_string(i)));
    hasher.writes = {"digests"};
    t.processes.push_back(hasher);
  }

  ProcessSpec aggregator = stage("aggregator", o);
  append(aggregator.argv, o.stage_args);
  append(aggregator.argv, {"--directory", "--algo", o.algo});
  append(aggregator.argv, o.report_args);
  append(aggregator.argv, {"--out", out_dir});
  reads(aggregator, t.link("digests"));
  t.processes.push_back(aggregator);
  return t;
}

std::string describe_links(const Topology& t, std::uint64_t shm_capacity) {
  std::string text = "links:";
  std::string last_shown;
  for (const LinkSpec& link : t.links) {
    const std::string shown = shown_name(link.name);
    if (shown == last_shown) continue;
    last_shown = shown;
    const std::string where =
        link.transport == Transport::kShm
            ? "/dev/shm/" + link.shm_name + ", " + std::to_string(shm_capacity) + "-byte ring"
            : link.fifo_path;
    text += " " + shown + "=" + transport_name(link.transport) + " (" +
            (shown == link.name ? where : where + " ...") + ")";
  }
  return text;
}

}  // namespace dupipe::supervisor
