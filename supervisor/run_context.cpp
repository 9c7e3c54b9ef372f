#include "supervisor/run_context.hpp"

#include <cstdlib>

#include "common/base/error.hpp"
#include "common/observe/stage_stats.hpp"
#include "supervisor/pass_plan.hpp"

namespace dupipe::supervisor {

RunContext::RunContext(const LaunchOptions& options_in, const std::string& out_dir,
                       std::uint32_t slots, const Say& say_in)
    : options(options_in),
      say(say_in),
      run_dir(RunDirectory::create()),
      budget(options_in.restart),
      observers(options_in, out_dir, run_dir, signals, say_in) {
  const std::string name = "dupipe-" + options.run_id + "-stats";
  try {
    stats_.emplace(ShmSegment::create_stats(name, slots));
  } catch (const FatalError& error) {
    throw FatalError("cannot create shared-memory segment /dev/shm/" + name +
                     " for the live counters: " + error.what() + "; refusing to run");
  }
  run_dir.write("stats", name + "\n");
  ::setenv("DUPIPE_STATS", name.c_str(), 1);
}

RunContext::~RunContext() {
  observers.stop(status_);
  if (stats_) observers.save_stage_counters(stats_->name());
  observers.merge_trace();
  if (options.keep_run_dir) {
    run_dir.keep();
    say("run directory kept: " + run_dir.path());
  }
}

std::string RunContext::held_by(pid_t pid) const {
  if (!stats_) return {};
  // The counters are a view: when they cannot be read, a death is reported without what it held.
  const auto area = StatsArea::try_open(stats_->name());
  if (!area) return {};
  for (const StageSnapshot& stage : area->snapshot()) {
    if (stage.pid == pid) return stage.current_item;
  }
  return {};
}

PassHooks RunContext::pass_hooks(std::uint32_t pass, std::function<void()> announce,
                                 bool is_recording) {
  PassHooks hooks;
  hooks.held_by = [this](pid_t pid) { return held_by(pid); };
  if (pass == 1) {
    hooks.on_started = [this, announce = std::move(announce), is_recording] {
      publish_run_dir();
      announce();
      observers.start(is_recording);
    };
  }
  return hooks;
}

// Once the stages run, so that the directory named has its pids file. A view like the
// observers: a file that cannot be written is reported, the run goes on.
void RunContext::publish_run_dir() const {
  if (options.run_dir_file.empty()) return;
  try {
    run_dir.publish_path(options.run_dir_file);
  } catch (const FatalError& error) {
    say(std::string("--run-dir-file: ") + error.what());
  }
}

void RunContext::mark_pass(std::uint32_t pass, std::uint64_t accounted) {
  run_dir.write("pass", pass_mark(pass, accounted));
  ::setenv("DUPIPE_PASS", std::to_string(pass).c_str(), 1);
}

}  // namespace dupipe::supervisor
