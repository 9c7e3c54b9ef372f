#include "common/protocol/report_reader.hpp"

#include <fcntl.h>

#include <array>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/os/sys.hpp"

namespace dupipe {
namespace {

using Json = nlohmann::json;

// A report file larger than this is not one dupipe wrote for any sane run: refuse, do not load.
constexpr std::size_t kMaxReportBytes = std::size_t{1} << 30;

std::string at(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string at(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

Expected<void> check_object(const Json& value, const std::string& path,
                            std::initializer_list<std::string_view> required,
                            std::initializer_list<std::string_view> optional = {}) {
  const std::string where = path.empty() ? "report" : path;
  if (!value.is_object()) return fail(where + ": expected an object");
  for (const std::string_view key : required) {
    if (!value.contains(key)) return fail(where + ": missing key \"" + std::string(key) + "\"");
  }
  const auto is_known = [&](const std::string& key) {
    for (const auto keys : {required, optional}) {
      for (const std::string_view k : keys) {
        if (k == key) return true;
      }
    }
    return false;
  };
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!is_known(it.key())) return fail(at(path, it.key()) + ": unknown key");
  }
  return {};
}

Expected<std::string> get_string(const Json& object, const std::string& path, const char* key) {
  const Json& value = object.at(key);
  if (!value.is_string()) return fail(at(path, key) + ": expected a string");
  return value.get<std::string>();
}

Expected<std::uint64_t> get_count(const Json& object, const std::string& path, const char* key) {
  const Json& value = object.at(key);
  if (!value.is_number_unsigned()) return fail(at(path, key) + ": expected an unsigned integer");
  return value.get<std::uint64_t>();
}

Expected<const Json*> get_array(const Json& object, const std::string& path, const char* key) {
  const Json& value = object.at(key);
  if (!value.is_array()) return fail(at(path, key) + ": expected an array");
  return &value;
}

// Hex digits of each algorithm's digest (docs/REPORT.md; xxh128 as xxhsum -H2 prints it).
std::size_t digest_hex_length(std::string_view algorithm) {
  constexpr std::array<std::pair<std::string_view, std::size_t>, 5> kLengths{
      {{"sha256", 64}, {"sha1", 40}, {"md5", 32}, {"blake2b", 128}, {"xxh128", 32}}};
  for (const auto& [name, length] : kLengths) {
    if (name == algorithm) return length;
  }
  return 0;
}

Expected<ReportFile> parse_file(const Json& value, const std::string& path) {
  // depth and found_on: a crawl's (docs/REPORT.md, "Crawl mode"); checked, not kept.
  if (auto ok = check_object(value, path, {"url", "path"}, {"depth", "found_on"}); !ok) {
    return tl::unexpected(ok.error());
  }
  if (value.contains("depth")) {
    if (auto depth = get_count(value, path, "depth"); !depth) return tl::unexpected(depth.error());
  }
  if (value.contains("found_on")) {
    if (auto origin = get_string(value, path, "found_on"); !origin) {
      return tl::unexpected(origin.error());
    }
  }
  auto url = get_string(value, path, "url");
  if (!url) return tl::unexpected(url.error());
  auto file_path = get_string(value, path, "path");
  if (!file_path) return tl::unexpected(file_path.error());
  return ReportFile{std::move(*url), std::move(*file_path)};
}

Expected<void> check_digest(const std::string& digest, const std::string& path,
                            std::string_view algorithm) {
  const std::size_t length = digest_hex_length(algorithm);
  if (digest.size() != length) {
    return fail(path + ": " + std::to_string(digest.size()) + " hex digits, " +
                std::string(algorithm) + " has " + std::to_string(length));
  }
  if (digest.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return fail(path + ": not lowercase hex");
  }
  return {};
}

Expected<DuplicateGroup> parse_group(const Json& value, const std::string& path,
                                     std::string_view algorithm) {
  if (auto ok = check_object(value, path, {"digest", "size", "files"}); !ok) {
    return tl::unexpected(ok.error());
  }
  DuplicateGroup group;
  auto digest = get_string(value, path, "digest");
  if (!digest) return tl::unexpected(digest.error());
  if (auto ok = check_digest(*digest, at(path, "digest"), algorithm); !ok) {
    return tl::unexpected(ok.error());
  }
  group.digest = std::move(*digest);
  auto size = get_count(value, path, "size");
  if (!size) return tl::unexpected(size.error());
  group.size = *size;
  auto files = get_array(value, path, "files");
  if (!files) return tl::unexpected(files.error());
  if ((*files)->size() < 2) return fail(at(path, "files") + ": a group has at least 2 files");
  for (std::size_t i = 0; i < (*files)->size(); ++i) {
    auto file = parse_file((**files)[i], at(at(path, "files"), i));
    if (!file) return tl::unexpected(file.error());
    group.files.push_back(std::move(*file));
  }
  return group;
}

Expected<ReportedFailure> parse_failure(const Json& value, const std::string& path) {
  if (auto ok = check_object(value, path, {"url", "stage", "error"}); !ok) {
    return tl::unexpected(ok.error());
  }
  ReportedFailure failure;
  for (auto [key, field] : {std::pair{"url", &failure.url}, std::pair{"stage", &failure.stage},
                            std::pair{"error", &failure.error}}) {
    auto text = get_string(value, path, key);
    if (!text) return tl::unexpected(text.error());
    *field = std::move(*text);
  }
  if (failure.stage != "producer" && failure.stage != "fetcher" && failure.stage != "hasher" &&
      failure.stage != "aggregator") {
    return fail(at(path, "stage") + ": unknown stage \"" + failure.stage + "\"");
  }
  return failure;
}

Expected<Summary> parse_summary(const Json& value) {
  const std::string path = "summary";
  if (auto ok = check_object(value, path,
                             {"urls", "fetched", "failed", "rejected", "duplicate_groups",
                              "duplicate_files", "wasted_bytes"},
                             {"not_fetched", "likely_traps"});
      !ok) {
    return tl::unexpected(ok.error());
  }
  // A crawl's URLs found and not fetched, by reason, and its likely traps, by prefix: checked,
  // not kept.
  for (const char* counted : {"not_fetched", "likely_traps"}) {
    if (!value.contains(counted)) continue;
    const Json& counts = value.at(counted);
    if (!counts.is_object()) return fail(at(path, counted) + ": expected an object");
    for (auto it = counts.begin(); it != counts.end(); ++it) {
      if (auto count = get_count(counts, at(path, counted), it.key().c_str()); !count) {
        return tl::unexpected(count.error());
      }
    }
  }
  Summary s;
  for (auto [key, field] : {std::pair{"urls", &s.urls}, std::pair{"fetched", &s.fetched},
                            std::pair{"failed", &s.failed}, std::pair{"rejected", &s.rejected},
                            std::pair{"duplicate_groups", &s.duplicate_groups},
                            std::pair{"duplicate_files", &s.duplicate_files},
                            std::pair{"wasted_bytes", &s.wasted_bytes}}) {
    auto count = get_count(value, path, key);
    if (!count) return tl::unexpected(count.error());
    *field = *count;
  }
  return s;
}

// a + b, or nullopt when either is nullopt or the sum does not fit in 64 bits (a hostile report
// may try to wrap a count around).
std::optional<std::uint64_t> add(std::optional<std::uint64_t> a, std::optional<std::uint64_t> b) {
  if (!a || !b || *a > std::numeric_limits<std::uint64_t>::max() - *b) return std::nullopt;
  return *a + *b;
}

std::optional<std::uint64_t> multiply(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

Expected<void> check_failure_counts(const ParsedReport& report) {
  const Summary& s = report.summary;
  if (add(add(s.fetched, s.failed), s.rejected) != s.urls) {
    return fail("summary.urls: not fetched + failed + rejected");
  }
  std::uint64_t rejected = 0;
  for (const ReportedFailure& f : report.failures) rejected += f.stage == "producer" ? 1 : 0;
  if (rejected != s.rejected) return fail("summary.rejected: not the producer's failures");
  if (report.failures.size() - rejected != s.failed) {
    return fail("summary.failed: not the fetcher's and hasher's failures");
  }
  return {};
}

Expected<void> check_group_counts(const ParsedReport& report) {
  const Summary& s = report.summary;
  if (s.duplicate_groups != report.groups.size()) {
    return fail("summary.duplicate_groups: not the number of groups");
  }
  std::optional<std::uint64_t> files = 0;
  std::optional<std::uint64_t> wasted = 0;
  for (const DuplicateGroup& g : report.groups) {
    const std::uint64_t extra = g.files.size() - 1;
    files = add(files, extra);
    wasted = add(wasted, multiply(g.size, extra));
  }
  if (files != s.duplicate_files)
    return fail("summary.duplicate_files: not the groups' extra files");
  if (wasted != s.wasted_bytes) return fail("summary.wasted_bytes: not the groups' wasted bytes");
  if (add(files, report.groups.size()) > s.fetched) {
    return fail("summary.fetched: fewer than the files in groups");
  }
  return {};
}

Expected<void> parse_top(const Json& json, ParsedReport& report) {
  if (json.is_object() && json.contains("mode")) {
    return fail("mode: a directory-mode report, not read by this reader");
  }
  if (auto ok = check_object(json, "", {"version", "algorithm", "summary", "groups", "failures"},
                             {"complete"});
      !ok) {
    return ok;
  }
  auto version = get_count(json, "", "version");
  if (!version) return tl::unexpected(version.error());
  if (*version != 1) return fail("version: " + std::to_string(*version) + ", this reader knows 1");
  auto algorithm = get_string(json, "", "algorithm");
  if (!algorithm) return tl::unexpected(algorithm.error());
  if (digest_hex_length(*algorithm) == 0) return fail("algorithm: unknown \"" + *algorithm + "\"");
  report.algorithm = std::move(*algorithm);
  if (json.contains("complete")) {
    if (!json.at("complete").is_boolean()) return fail("complete: expected true or false");
    report.complete = json.at("complete").get<bool>();
  }
  return {};
}

Expected<ParsedReport> parse_parsed(const Json& json) {
  ParsedReport report;
  if (auto ok = parse_top(json, report); !ok) return tl::unexpected(ok.error());
  auto summary = parse_summary(json.at("summary"));
  if (!summary) return tl::unexpected(summary.error());
  report.summary = *summary;
  auto groups = get_array(json, "", "groups");
  if (!groups) return tl::unexpected(groups.error());
  for (std::size_t i = 0; i < (*groups)->size(); ++i) {
    auto group = parse_group((**groups)[i], at("groups", i), report.algorithm);
    if (!group) return tl::unexpected(group.error());
    report.groups.push_back(std::move(*group));
  }
  auto failures = get_array(json, "", "failures");
  if (!failures) return tl::unexpected(failures.error());
  for (std::size_t i = 0; i < (*failures)->size(); ++i) {
    auto failure = parse_failure((**failures)[i], at("failures", i));
    if (!failure) return tl::unexpected(failure.error());
    report.failures.push_back(std::move(*failure));
  }
  if (auto ok = check_failure_counts(report); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_group_counts(report); !ok) return tl::unexpected(ok.error());
  return report;
}

}  // namespace

Expected<ParsedReport> parse_report(std::string_view json_text) {
  Json json;
  try {
    json = Json::parse(json_text);
  } catch (const Json::exception& error) {
    // parse_error ("[json.exception.parse_error.101] parse error at line 3, column 7: ..."), and
    // out_of_range for a number too large for a double ("1e332", found by fuzzing).
    return fail(std::string("report: not valid JSON: ") + error.what());
  }
  return parse_parsed(json);
}

Expected<ParsedReport> read_report(const std::string& path) {
  auto fd = sys::open_file(path, O_RDONLY);
  if (!fd) return tl::unexpected(fd.error());
  std::string text;
  std::array<char, 64 * 1024> chunk;
  while (true) {
    auto got = sys::read_some(fd->get(), chunk, path);
    if (!got) return tl::unexpected(got.error());
    const std::size_t n = *got;
    if (n == 0) break;
    if (text.size() + n > kMaxReportBytes) return fail(path + ": larger than 1 GiB, not a report");
    text.append(chunk.data(), n);
  }
  auto report = parse_report(text);
  if (!report) return fail(path + ": " + report.error().message);
  return report;
}

}  // namespace dupipe
