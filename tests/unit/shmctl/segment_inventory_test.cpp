#include "shmctl/segment_inventory.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/interprocess/shared_memory_object.hpp>
#include <sstream>

#include "common/shm/shm_queue.hpp"
#include "shmctl/commands.hpp"

namespace dupipe::shmctl {
namespace {

namespace bip = boost::interprocess;

struct NameCase {
  std::string name;
  std::optional<pid_t> pid;
};

class PidInName : public ::testing::TestWithParam<NameCase> {};

TEST_P(PidInName, FindsTheFirstAllDigitField) {
  EXPECT_EQ(pid_in_name(GetParam().name), GetParam().pid) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(SegmentInventory, PidInName,
                         ::testing::Values(NameCase{"dupipe-1234-ab12cd34-urls", 1234},
                                           NameCase{"dupipe-unit-77-0badf00d", 77},
                                           NameCase{"dupipe-lab-urls", {}},
                                           NameCase{"other-1234-x", {}}, NameCase{"dupipe-", {}},
                                           NameCase{"dupipe-0-x", {}},
                                           NameCase{"dupipe-12345678901-x", {}}));

// A process that exists until the test kills it: gives a real, then dead, owner.
class DoomedChild {
 public:
  DoomedChild() : pid_(::fork()) {
    if (pid_ == 0) {
      ::pause();
      ::_exit(0);
    }
  }
  ~DoomedChild() { kill(); }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

const SegmentInfo* find(const std::vector<SegmentInfo>& segments, const std::string& name) {
  const auto it = std::find_if(segments.begin(), segments.end(),
                               [&](const SegmentInfo& s) { return s.name == name; });
  return it == segments.end() ? nullptr : &*it;
}

TEST(SegmentInventory, CleanupRemovesOnlySegmentsWhoseOwnerIsDead) {
  DoomedChild live_owner;
  DoomedChild dead_owner;
  const std::string live = make_shm_name("inv-live");
  const std::string stale = make_shm_name("inv-stale");
  create_segment({live, 1, 8192, live_owner.pid()});
  create_segment({stale, 1, 8192, dead_owner.pid()});
  dead_owner.kill();

  const auto before = list_segments();
  ASSERT_NE(find(before, live), nullptr);
  ASSERT_NE(find(before, stale), nullptr);
  EXPECT_EQ(find(before, live)->owner_state, OwnerState::kAlive);
  EXPECT_TRUE(is_stale(*find(before, stale)));

  std::ostringstream out;
  cleanup(false, out);
  const auto after = list_segments();
  EXPECT_NE(find(after, live), nullptr) << out.str();
  EXPECT_EQ(find(after, stale), nullptr) << out.str();
  EXPECT_NE(out.str().find(stale + ": stale (owner pid"), std::string::npos) << out.str();
  (void)ShmQueue::remove(live);
  (void)ShmQueue::remove(stale);
}

TEST(SegmentInventory, DryRunRemovesNothing) {
  DoomedChild owner;
  const std::string stale = make_shm_name("inv-dry");
  create_segment({stale, 1, 8192, owner.pid()});
  owner.kill();
  std::ostringstream out;
  cleanup(true, out);
  EXPECT_NE(find(list_segments(), stale), nullptr);
  EXPECT_NE(out.str().find("dry run: nothing removed"), std::string::npos);
  (void)ShmQueue::remove(stale);
}

TEST(SegmentInventory, ASegmentThatIsNotAQueueFallsBackToThePidInItsNameOrIsLeftAlone) {
  DoomedChild owner;
  const std::string by_name = "dupipe-" + std::to_string(owner.pid()) + "-notaqueue";
  const std::string anonymous = "dupipe-inventory-test-notaqueue";
  for (const std::string& name : {by_name, anonymous}) {
    bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write);
    shm.truncate(16);
  }
  owner.kill();
  const auto segments = list_segments();
  ASSERT_NE(find(segments, by_name), nullptr);
  ASSERT_NE(find(segments, anonymous), nullptr);
  EXPECT_TRUE(is_stale(*find(segments, by_name)));
  EXPECT_FALSE(find(segments, by_name)->problem.empty());
  EXPECT_EQ(find(segments, anonymous)->owner_state, OwnerState::kUnknown);
  EXPECT_FALSE(is_stale(*find(segments, anonymous)));
  (void)ShmQueue::remove(by_name);
  (void)ShmQueue::remove(anonymous);
}

TEST(SegmentInventory, CreateRefusesAnExistingName) {
  const std::string name = make_shm_name("inv-excl");
  create_segment({name, 1, 8192, 0});
  EXPECT_THROW(create_segment({name, 1, 8192, 0}), FatalError);
  (void)ShmQueue::remove(name);
}

}  // namespace
}  // namespace dupipe::shmctl
