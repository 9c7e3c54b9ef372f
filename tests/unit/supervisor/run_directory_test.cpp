// The run directory and its FIFO links: private modes, exclusive creation that leaves a planted
// name alone, keepers that let readers see end of stream only once released, removal on every
// exit path.
#include "supervisor/run_directory.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/os/unique_fd.hpp"
#include "supervisor/pass_runner.hpp"

namespace dupipe::supervisor {
namespace {

mode_t mode_of(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(RunDirectory, IsPrivateAndRemovedWithEverythingInIt) {
  std::string path;
  {
    const RunDirectory run_dir = RunDirectory::create();
    path = run_dir.path();
    EXPECT_EQ(mode_of(path), 0700u);
    EXPECT_NE(path.find("/dupipe-run."), std::string::npos);
    const FifoLink link = FifoLink::create(path + "/urls", "urls");
    EXPECT_EQ(mode_of(path + "/urls"), 0600u);
    run_dir.append("pids", "producer 1");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RunDirectory, AKeptDirectoryStays) {
  std::string path;
  {
    RunDirectory run_dir = RunDirectory::create();
    path = run_dir.path();
    run_dir.keep();
  }
  EXPECT_TRUE(std::filesystem::is_directory(path));
  std::filesystem::remove_all(path);
}

TEST(RunDirectory, PublishesItsPathToAFileThatOutlivesIt) {
  const std::string file = ::testing::TempDir() + "run-dir-" + std::to_string(::getpid());
  std::string path;
  {
    const RunDirectory run_dir = RunDirectory::create();
    path = run_dir.path();
    run_dir.publish_path(file);
  }
  std::ifstream in(file);
  std::string published((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(published, path + "\n");
  std::filesystem::remove(file);
}

TEST(RunDirectory, PublishingIntoAMissingDirectoryNamesTheFileAndTheCause) {
  const RunDirectory run_dir = RunDirectory::create();
  const std::string file = run_dir.path() + "/missing/run-dir";
  try {
    run_dir.publish_path(file);
    FAIL() << "a file in a missing directory was written";
  } catch (const FatalError& error) {
    EXPECT_NE(std::string(error.what()).find("cannot write " + file), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("No such file or directory"), std::string::npos)
        << error.what();
  }
}

TEST(FifoLink, APlantedNameIsRefusedNamingThePathAndLeftAlone) {
  const RunDirectory run_dir = RunDirectory::create();
  const std::string planted = run_dir.path() + "/urls";
  ASSERT_EQ(::mkfifo(planted.c_str(), 0600), 0);
  ASSERT_EQ(::chmod(planted.c_str(), 0666), 0);
  try {
    (void)FifoLink::create(planted, "urls");
    FAIL() << "a planted FIFO was accepted";
  } catch (const FatalError& error) {
    EXPECT_NE(
        std::string(error.what())
            .find("cannot create FIFO " + planted + " for link urls: File exists; refusing to run"),
        std::string::npos)
        << error.what();
  }
  EXPECT_EQ(mode_of(planted), 0666u) << "the planted FIFO was changed";
}

TEST(FifoLink, TheRefusedLinkIsNotRecordedAndNothingStarts) {
  SignalWait signals;
  const RunDirectory run_dir = RunDirectory::create();
  const RunNames names{run_dir.path(), "unit"};
  Topology t;
  t.links = {names.link("urls", Transport::kFifo, FifoMode::kPacket, 1)};
  ASSERT_EQ(::mkfifo(t.links[0].fifo_path.c_str(), 0600), 0);
  std::ostringstream log;
  const Say say(log);
  RestartBudget budget(RestartPolicy{});
  PassRunner runner(t, run_dir, signals, budget, say, 4096);
  EXPECT_THROW(runner.create_links(), FatalError);
  std::ifstream links(run_dir.path() + "/links");
  std::string recorded((std::istreambuf_iterator<char>(links)), std::istreambuf_iterator<char>());
  EXPECT_EQ(recorded.find("urls"), std::string::npos) << recorded;
  EXPECT_FALSE(std::filesystem::exists(run_dir.path() + "/pids"));
}

TEST(FifoLink, AReaderSeesEndOfFileOnlyOnceTheKeeperIsReleased) {
  const RunDirectory run_dir = RunDirectory::create();
  FifoLink link = FifoLink::create(run_dir.path() + "/paths", "paths");
  const UniqueFd reader(::open(link.path().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(reader.is_open());
  {
    const UniqueFd writer(::open(link.path().c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_EQ(::write(writer.get(), "x\n", 2), 2);
  }  // the only writer besides the keeper is gone
  char buffer[8];
  EXPECT_EQ(::read(reader.get(), buffer, sizeof buffer), 2);
  EXPECT_EQ(::read(reader.get(), buffer, sizeof buffer), -1)
      << "end of file while the keeper holds the link";
  link.release();
  EXPECT_EQ(::read(reader.get(), buffer, sizeof buffer), 0);
}

}  // namespace
}  // namespace dupipe::supervisor
