// The two topologies as the launcher builds them, and --dry-run's description of them.
#include <gtest/gtest.h>

#include <stdexcept>

#include "supervisor/mode_topologies.hpp"

namespace dupipe::supervisor {
namespace {

LaunchOptions url_options() {
  LaunchOptions o;
  o.bin_dir = "/b";
  o.fetchers = 2;
  o.hashers = 3;
  o.urls_file = "urls.txt";
  o.run_id = "r";
  return o;
}

// The `index`-th process of `role` (0 is the first), in start order.
const ProcessSpec& process_of(const Topology& t, const std::string& role, std::size_t index = 0) {
  for (const ProcessSpec& p : t.processes) {
    if (p.role == role && index-- == 0) return p;
  }
  throw std::out_of_range("no " + role + " process in the topology");
}

std::vector<std::string> roles_of(const Topology& t) {
  std::vector<std::string> roles;
  for (const ProcessSpec& p : t.processes) roles.push_back(p.role);
  return roles;
}

TEST(UrlTopology, StartsTheHeadOfThePipelineFirstAndCountsTheWritersOfEachLink) {
  const Topology t =
      url_topology(url_options(), RunNames{"/run", "r"}, UrlPass{"/out", "/out/.dupipe", 1, false});
  EXPECT_EQ(roles_of(t), (std::vector<std::string>{"producer", "fetcher", "fetcher", "hasher",
                                                   "hasher", "hasher", "aggregator"}));
  EXPECT_EQ(t.link("paths").writers, 2u);
  EXPECT_EQ(t.link("digests").writers, 3u);
  EXPECT_EQ(t.link("urls").writer_endpoint(), "packet:/run/urls");
  EXPECT_EQ(t.link("digests").writer_endpoint(), "fifo:/run/digests");
  EXPECT_EQ(process_of(t, "fetcher").stdin_link, "urls");
}

TEST(UrlTopology, TheLastPassReportsTheLostAndLaterPassesResumeDownloads) {
  const Topology first =
      url_topology(url_options(), RunNames{"/run", "r"}, UrlPass{"/out", "/s", 1, false});
  const Topology last =
      url_topology(url_options(), RunNames{"/run", "r"}, UrlPass{"/out", "/s", 2, true});
  auto has = [](const ProcessSpec& p, const std::string& word) {
    return std::find(p.argv.begin(), p.argv.end(), word) != p.argv.end();
  };
  EXPECT_FALSE(has(process_of(first, "aggregator"), "--lost-are-failures"));
  EXPECT_TRUE(has(process_of(last, "aggregator"), "--lost-are-failures"));
  EXPECT_FALSE(has(process_of(first, "fetcher"), "--resume"));
  EXPECT_TRUE(has(process_of(last, "fetcher"), "--resume"));
}

TEST(UrlTopology, ShmLinksAreNamedByTheRunAndReadThroughIn) {
  LaunchOptions o = url_options();
  o.transport = Transport::kShm;
  o.link_overrides["paths"] = Transport::kFifo;
  const Topology t = url_topology(o, RunNames{"/run", "r"}, UrlPass{"/out", "/s", 1, false});
  EXPECT_EQ(t.link("urls").writer_endpoint(), "shm:dupipe-r-urls");
  EXPECT_EQ(t.link("paths").transport, Transport::kFifo);
  const ProcessSpec& fetcher = process_of(t, "fetcher");
  EXPECT_TRUE(fetcher.stdin_link.empty());
  EXPECT_NE(std::find(fetcher.argv.begin(), fetcher.argv.end(), "shm:dupipe-r-urls"),
            fetcher.argv.end());
}

TEST(UrlTopology, AStandInHasherKeepsItsLinksFifosAndIsNotRestarted) {
  LaunchOptions o = url_options();
  o.transport = Transport::kShm;
  o.hasher_cmd = "my-hasher";
  const Topology t = url_topology(o, RunNames{"/run", "r"}, UrlPass{"/out", "/s", 1, false});
  EXPECT_EQ(t.link("paths").transport, Transport::kFifo);
  EXPECT_EQ(t.link("paths").mode, FifoMode::kStream);
  EXPECT_EQ(t.link("digests").transport, Transport::kFifo);
  EXPECT_EQ(t.link("urls").transport, Transport::kShm);
  EXPECT_FALSE(process_of(t, "hasher").is_restartable);
  EXPECT_EQ(process_of(t, "hasher").stdout_link, "digests");
}

// Crawl mode: the way back from the fetchers to the frontier, a fetcher's death told to it, the
// manifest of what the crawl handed out, shm for `found` when asked.
TEST(CrawlTopology, AddsTheFoundLinkFromEveryFetcherToTheProducer) {
  LaunchOptions o;
  o.bin_dir = "/b";
  o.fetchers = 2;
  o.hashers = 1;
  o.is_crawl = true;
  o.crawl_args = {"--depth", "2"};
  o.run_id = "r";
  o.launch_stamp = "7-99";
  Topology t = url_topology(o, RunNames{"/run", "r"}, UrlPass{"/out", "/out/.dupipe", 1, true});
  EXPECT_EQ(t.mode, "crawl");
  EXPECT_EQ(t.link("found").writers, 2u);
  const ProcessSpec& producer = process_of(t, "producer");
  EXPECT_EQ(producer.stdin_link, "found");
  // The frontier's journal and the fetchers' (its recovery after a kill), and this launch's id.
  EXPECT_EQ(producer.argv, (std::vector<std::string>{
                               "/b/producer", "--depth", "2", "--manifest", "/out/.dupipe/manifest",
                               "--crawl-state", "/out/.dupipe/crawl.json", "--crawl-journal",
                               "/out/.dupipe/crawl.journal", "--feedback-journal",
                               "/out/.dupipe/found.journal", "--launch-id", "r.7-99", "--links-in",
                               "-", "/out/.dupipe/seeds", "--out", "packet:/run/urls"}));
  EXPECT_EQ(process_of(t, "fetcher", 1).writes, (std::vector<std::string>{"paths", "found"}));
  const auto& fetcher = process_of(t, "fetcher", 1).argv;
  const auto journal = std::find(fetcher.begin(), fetcher.end(), "--links-journal");
  ASSERT_NE(journal, fetcher.end());
  EXPECT_EQ(*(journal + 1), "/out/.dupipe/found.journal");
  // The aggregator checks the crawl's manifest: a record lost with a dead hasher is re-fed.
  const auto& aggregator = process_of(t, "aggregator").argv;
  EXPECT_NE(std::find(aggregator.begin(), aggregator.end(), "--manifest"), aggregator.end());
  EXPECT_NE(std::find(aggregator.begin(), aggregator.end(), "--crawl-state"), aggregator.end());
  ASSERT_EQ(t.death_notices.size(), 1u);
  EXPECT_EQ(t.death_notices[0].notified, "producer");
  const std::string text = describe(t);
  EXPECT_NE(text.find("  found: fifo /run/found; writers fetcher x2; readers producer\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("when a fetcher dies: SIGUSR1 to the producer\n"), std::string::npos) << text;

  o.link_overrides["found"] = Transport::kShm;
  t = url_topology(o, RunNames{"/run", "r"}, UrlPass{"/out", "/out/.dupipe", 1, true});
  EXPECT_EQ(process_of(t, "producer").stdin_link, "");
  EXPECT_NE(describe(t).find("  found: shm /dev/shm/dupipe-r-found; writers fetcher x2; readers "
                             "producer\n"),
            std::string::npos)
      << describe(t);
}

// A directory whose name starts with '-' is still a directory to the walker, not an option.
TEST(DirectoryTopology, PassesTheTreesToTheWalkerAfterTheOptions) {
  LaunchOptions o;
  o.bin_dir = "/b";
  o.hashers = 1;
  o.dirs = {"/data", "-x"};
  const Topology t = directory_topology(o, RunNames{"/run", "r"}, "/out");
  const std::vector<std::string>& argv = process_of(t, "walker").argv;
  EXPECT_EQ(argv.front(), "/b/walker");
  EXPECT_EQ(std::vector<std::string>(argv.end() - 3, argv.end()),
            (std::vector<std::string>{"--", "/data", "-x"}));
}

TEST(DirectoryTopology, GivesEachHasherItsOwnSizedLinkWrittenByTheGrouper) {
  LaunchOptions o;
  o.bin_dir = "/b";
  o.hashers = 2;
  o.dirs = {"/data"};
  const Topology t = directory_topology(o, RunNames{"/run", "r"}, "/out");
  EXPECT_EQ(t.on_death, OnDeath::kRestartPass);
  ASSERT_EQ(t.links.size(), 4u);
  EXPECT_EQ(roles_of(t),
            (std::vector<std::string>{"walker", "grouper", "hasher", "hasher", "aggregator"}));
  const ProcessSpec& grouper = process_of(t, "grouper");
  EXPECT_EQ(grouper.writes, (std::vector<std::string>{"sized.0", "sized.1"}));
  EXPECT_EQ(process_of(t, "hasher", 1).stdin_link, "sized.1");
  const std::string text = describe(t);
  EXPECT_NE(text.find("  sized.1: fifo /run/sized.1; writers grouper; readers hasher\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  digests: fifo /run/digests; writers hasher x2; readers aggregator\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace dupipe::supervisor
