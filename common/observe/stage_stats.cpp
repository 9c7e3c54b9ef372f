#include "common/observe/stage_stats.hpp"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <boost/interprocess/shared_memory_object.hpp>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "common/base/error.hpp"
#include "common/observe/trace_recorder.hpp"
#include "common/protocol/record_codec.hpp"
#include "common/protocol/redaction.hpp"

namespace dupipe {

namespace stats {

// The area's format (version 3): a header, then slots of 320 bytes at fixed offsets. Plain data,
// no pointers; every field a stage updates is an atomic with one writer (the slot's owner).
inline constexpr std::uint64_t kMagic = 0x3153'4550'4950'5544;  // "DUPIPES1" in little endian
inline constexpr std::uint32_t kVersion = 3;                    // 2: payload_bytes; 3: pass
inline constexpr std::size_t kItemWords = 24;                   // current item: up to 192 bytes
inline constexpr std::size_t kRoleBytes = 24;

struct alignas(64) AreaHeader {
  std::atomic<std::uint64_t> magic;  // stored last by create
  std::uint32_t version;
  std::uint32_t slot_count;
  std::uint32_t slot_bytes;
  std::int32_t owner_pid;
  std::uint64_t owner_start_ticks;
  std::atomic<std::uint32_t> next_free;  // slots are claimed once, in order, never reused
};

struct alignas(64) StageSlot {
  std::atomic<std::uint32_t> is_claimed;  // stored last by the claimer
  std::atomic<std::uint32_t> activity;
  std::atomic<std::int32_t> pid;
  std::atomic<std::uint32_t> item_seq;  // odd while the current item is being replaced
  std::atomic<std::uint64_t> start_ticks;
  std::atomic<std::uint64_t> started_unix_ms;
  std::atomic<std::uint64_t> activity_since_ns;
  std::atomic<std::uint64_t> records_in;
  std::atomic<std::uint64_t> records_out;
  std::atomic<std::uint64_t> bytes_in;
  std::atomic<std::uint64_t> bytes_out;
  std::atomic<std::uint64_t> failures_out;
  std::atomic<std::uint32_t> item_length;
  std::atomic<std::uint32_t> pass;  // in the padding before item_words: slot size unchanged
  char role[kRoleBytes];            // written before is_claimed, never after
  std::atomic<std::uint64_t> item_words[kItemWords];
  std::atomic<std::uint64_t> payload_bytes;  // in the padding of version 1: slot size unchanged
};

static_assert(std::is_standard_layout_v<AreaHeader> && std::is_standard_layout_v<StageSlot>);
static_assert(sizeof(AreaHeader) == 64 && sizeof(StageSlot) == 320);
static_assert(offsetof(StageSlot, item_words) == 112);  // version 2's offset: pass fits before it
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

}  // namespace stats

namespace {

using namespace stats;
namespace bip = boost::interprocess;

constexpr std::uint32_t kMaxSlots = 4096;

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

template <typename T>
T relaxed(const std::atomic<T>& value) {
  return value.load(std::memory_order_relaxed);
}

template <typename T>
void bump(std::atomic<T>& value, T by) {  // one writer per slot: no read-modify-write needed
  value.store(value.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

std::string read_item(const StageSlot& slot) {
  const std::uint32_t before = slot.item_seq.load(std::memory_order_acquire);
  if (before % 2 != 0) return {};
  std::uint64_t words[kItemWords];
  for (std::size_t i = 0; i < kItemWords; ++i) words[i] = relaxed(slot.item_words[i]);
  const std::uint32_t length = std::min<std::uint32_t>(relaxed(slot.item_length), sizeof words);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (slot.item_seq.load(std::memory_order_relaxed) != before) return {};
  return std::string(reinterpret_cast<const char*>(words), length);
}

// The size field of a P record (docs/PROTOCOL.md), 0 if it does not parse: a count, not a check.
std::uint64_t file_record_size(std::string_view record) {
  const auto fields = decode_fields(record);
  if (!fields || fields->size() < 5) return 0;
  std::uint64_t size = 0;
  const std::string& text = (*fields)[4];
  std::from_chars(text.data(), text.data() + text.size(), size);
  return size;
}

// DUPIPE_PASS: a positive number, else 0 (no pass); the counters are a view, never a reason to
// fail.
std::uint32_t pass_from_environment() {
  const char* text = std::getenv(kPassEnvironment);
  if (text == nullptr) return 0;
  const std::string_view digits(text);
  std::uint32_t pass = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pass);
  return error == std::errc() && end == digits.data() + digits.size() ? pass : 0;
}

std::string area_context(const std::string& name, std::string_view what) {
  return "stats area " + name + ": " + std::string(what);
}

}  // namespace

std::uint64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

std::string_view activity_name(Activity activity) {
  switch (activity) {
    case Activity::kStarting:
      return "starting";
    case Activity::kReading:
      return "reading";
    case Activity::kWorking:
      return "working";
    case Activity::kWriting:
      return "writing";
    case Activity::kDone:
      return "done";
  }
  return "?";
}

void StatsArea::create(const std::string& name, std::uint32_t slots,
                       std::optional<ProcessIdentity> owner) {
  if (slots < 1 || slots > kMaxSlots) throw FatalError(area_context(name, "1..4096 slots"));
  const std::size_t bytes = sizeof(AreaHeader) + slots * sizeof(StageSlot);
  try {
    bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write,
                                  bip::permissions(0600));
    shm.truncate(static_cast<bip::offset_t>(bytes));
    bip::mapped_region region(shm, bip::read_write, 0, bytes);
    auto* header = new (region.get_address()) AreaHeader();  // zero-filled segment
    header->version = kVersion;
    header->slot_count = slots;
    header->slot_bytes = sizeof(StageSlot);
    const ProcessIdentity who = owner.value_or(self_identity());
    header->owner_pid = who.pid;
    header->owner_start_ticks = who.start_ticks;
    char* base = static_cast<char*>(region.get_address()) + sizeof(AreaHeader);
    for (std::uint32_t i = 0; i < slots; ++i) new (base + i * sizeof(StageSlot)) StageSlot();
    header->magic.store(kMagic, std::memory_order_release);
  } catch (const bip::interprocess_exception& e) {
    throw FatalError(area_context(name, std::string("create: ") + e.what()));
  }
}

StatsArea StatsArea::open(const std::string& name) { return value_or_fatal(try_open(name)); }

Expected<StatsArea> StatsArea::try_open(const std::string& name) {
  try {
    const bip::shared_memory_object shm(bip::open_only, name.c_str(), bip::read_write);
    bip::offset_t size = 0;
    if (!shm.get_size(size) || static_cast<std::size_t>(size) < sizeof(AreaHeader)) {
      return fail(area_context(name, "too small for a stats area"));
    }
    bip::mapped_region region(shm, bip::read_write, 0, static_cast<std::size_t>(size));
    const auto* header = static_cast<const AreaHeader*>(region.get_address());
    if (header->magic.load(std::memory_order_acquire) != kMagic || header->version != kVersion ||
        header->slot_bytes != sizeof(StageSlot) ||
        sizeof(AreaHeader) + header->slot_count * sizeof(StageSlot) >
            static_cast<std::size_t>(size)) {
      return fail(area_context(name, "not a dupipe stats area of this version"));
    }
    return StatsArea(name, std::move(region));
  } catch (const bip::interprocess_exception& e) {  // Boost's exception, made a value here
    return fail(area_context(name, std::string("open: ") + e.what()), e.get_native_error());
  }
}

bool StatsArea::remove(const std::string& name) {
  return bip::shared_memory_object::remove(name.c_str());
}

StatsArea::StatsArea(std::string name, bip::mapped_region region)
    : name_(std::move(name)),
      region_(std::move(region)),
      slots_(static_cast<const AreaHeader*>(region_.get_address())->slot_count) {}

AreaHeader& StatsArea::header() const {
  return *std::launder(static_cast<AreaHeader*>(region_.get_address()));
}

StageSlot& StatsArea::slot(std::uint32_t index) const {
  char* base = static_cast<char*>(region_.get_address()) + sizeof(AreaHeader);
  return *std::launder(reinterpret_cast<StageSlot*>(base + index * sizeof(StageSlot)));
}

ProcessIdentity StatsArea::owner() const {
  return {static_cast<pid_t>(header().owner_pid), header().owner_start_ticks};
}

std::vector<StageSnapshot> StatsArea::snapshot() const {
  std::vector<StageSnapshot> stages;
  const std::uint32_t claimed = std::min(relaxed(header().next_free), slots_);
  for (std::uint32_t i = 0; i < claimed; ++i) {
    const StageSlot& s = slot(i);
    if (s.is_claimed.load(std::memory_order_acquire) == 0) continue;
    StageSnapshot stage;
    stage.pid = relaxed(s.pid);
    stage.start_ticks = relaxed(s.start_ticks);
    stage.role.assign(s.role, strnlen(s.role, kRoleBytes));
    stage.pass = relaxed(s.pass);
    stage.activity = static_cast<Activity>(relaxed(s.activity));
    stage.activity_since_ns = relaxed(s.activity_since_ns);
    stage.started_unix_ms = relaxed(s.started_unix_ms);
    stage.records_in = relaxed(s.records_in);
    stage.records_out = relaxed(s.records_out);
    stage.bytes_in = relaxed(s.bytes_in);
    stage.bytes_out = relaxed(s.bytes_out);
    stage.failures_out = relaxed(s.failures_out);
    stage.payload_bytes = relaxed(s.payload_bytes);
    stage.current_item = read_item(s);
    stage.is_alive = is_alive({stage.pid, stage.start_ticks});
    stages.push_back(std::move(stage));
  }
  return stages;
}

std::unique_ptr<StageStats> StageStats::from_environment(std::string_view role,
                                                         std::string* problem) {
  const char* name = std::getenv(kStatsEnvironment);
  if (name == nullptr || *name == '\0') return nullptr;
  auto area = StatsArea::try_open(name);
  const auto index = area ? claim_slot(*area) : tl::unexpected(area.error());
  if (!index) {
    if (problem != nullptr) *problem = index.error().message + "; running without live counters";
    return nullptr;
  }
  // The constructor that takes a claimed slot is private: no make_unique.
  return std::unique_ptr<StageStats>(
      new StageStats(*index, std::move(*area), role, pass_from_environment()));
}

Expected<std::uint32_t> StageStats::claim_slot(const StatsArea& area) {
  const std::uint32_t index = area.header().next_free.fetch_add(1, std::memory_order_relaxed);
  if (index >= area.slots_) return fail(area_context(area.name(), "every slot is taken"));
  return index;
}

// The private constructor takes the area by rvalue reference, so claim_slot(area) sees it before
// it is moved from (the order in which arguments are evaluated is unspecified).
StageStats::StageStats(StatsArea area, std::string_view role, std::uint32_t pass)
    : StageStats(value_or_fatal(claim_slot(area)), std::move(area), role, pass) {}

StageStats::StageStats(std::uint32_t index, StatsArea&& area, std::string_view role,
                       std::uint32_t pass)
    : area_(std::move(area)) {
  slot_ = &area_.slot(index);
  const ProcessIdentity self = self_identity();
  slot_->pid.store(self.pid, std::memory_order_relaxed);
  slot_->start_ticks.store(self.start_ticks, std::memory_order_relaxed);
  slot_->started_unix_ms.store(unix_ms(), std::memory_order_relaxed);
  slot_->activity_since_ns.store(monotonic_ns(), std::memory_order_relaxed);
  slot_->pass.store(pass, std::memory_order_relaxed);
  const std::size_t length = std::min(role.size(), kRoleBytes - 1);
  std::memcpy(slot_->role, role.data(), length);
  slot_->is_claimed.store(1, std::memory_order_release);
}

StageStats::~StageStats() {
  set_activity(Activity::kDone);
  trace_.reset();
}

void StageStats::attach_trace(std::unique_ptr<TraceRecorder> trace) { trace_ = std::move(trace); }

std::uint64_t StageStats::set_activity(Activity activity) {
  const std::uint64_t now = monotonic_ns();
  slot_->activity_since_ns.store(now, std::memory_order_relaxed);
  slot_->activity.store(static_cast<std::uint32_t>(activity), std::memory_order_release);
  return now;
}

void StageStats::record_in(std::string_view line) {
  bump(slot_->records_in, std::uint64_t{1});
  bump(slot_->bytes_in, static_cast<std::uint64_t>(line.size() + 1));
  // The item is shown by dupipe-top and saved in OUT/stages.jsonl: mask passwords in URLs first
  // (only lines with an '@' can hold one, so the common case costs one scan, no allocation).
  std::string masked;
  if (line.find('@') != std::string_view::npos) line = masked = redact_credentials(line);
  std::uint64_t words[kItemWords] = {};
  const std::size_t length = std::min(line.size(), sizeof words);
  std::memcpy(words, line.data(), length);
  const std::uint32_t seq = relaxed(slot_->item_seq);
  slot_->item_seq.store(seq + 1, std::memory_order_relaxed);  // odd: being replaced
  std::atomic_thread_fence(std::memory_order_release);
  for (std::size_t i = 0; i < kItemWords; ++i) {
    slot_->item_words[i].store(words[i], std::memory_order_relaxed);
  }
  slot_->item_length.store(static_cast<std::uint32_t>(length), std::memory_order_relaxed);
  slot_->item_seq.store(seq + 2, std::memory_order_release);
}

// A written "line" may be a batch of records joined by LF (common/transport/batching_writer.hpp):
// an LF never occurs inside an encoded record, so each one separates two records.
void StageStats::record_out(std::string_view line) {
  std::uint64_t records = 0;
  std::uint64_t failures = 0;
  std::uint64_t payload = 0;
  for (std::size_t start = 0; start <= line.size();) {
    const std::size_t end = std::min(line.find('\n', start), line.size());
    const std::string_view record = line.substr(start, end - start);
    ++records;
    failures += record.starts_with("F\t") ? 1 : 0;
    if (record.starts_with("P\t")) payload += file_record_size(record);
    start = end + 1;
  }
  bump(slot_->records_out, records);
  bump(slot_->failures_out, failures);
  if (payload > 0) bump(slot_->payload_bytes, payload);
  bump(slot_->bytes_out, static_cast<std::uint64_t>(line.size() + 1));
}

}  // namespace dupipe
