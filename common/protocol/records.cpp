#include "common/protocol/records.hpp"

#include <charconv>
#include <vector>

#include "common/protocol/record_codec.hpp"

namespace dupipe {
namespace {

using Fields = std::vector<std::string>;

Expected<std::uint64_t> parse_size(const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return fail("bad size field '" + text + "'");
  }
  return value;
}

Expected<Stage> parse_stage(const std::string& text) {
  // kAggregator is never on the wire: the aggregator makes those failures itself.
  for (const Stage stage : {Stage::kProducer, Stage::kFetcher, Stage::kHasher}) {
    if (text == stage_name(stage)) return stage;
  }
  return fail("unknown stage '" + text + "'");
}

Expected<void> expect_count(const Fields& fields, std::size_t count) {
  if (fields.size() == count) return {};
  return fail("record '" + fields[0] + "' has " + std::to_string(fields.size()) +
              " fields, expected " + std::to_string(count));
}

Expected<PageOutcome> parse_outcome(const std::string& text) {
  if (text == "fetched") return PageOutcome::kFetched;
  if (text == "failed") return PageOutcome::kFailed;
  return fail("unknown page outcome '" + text + "'");
}

// The crawl-mode records A, D and B (fetcher -> producer).
Expected<Record> from_crawl_fields(const Fields& f) {
  const std::string& tag = f[0];
  if (tag == "A") {
    return expect_count(f, 3).map([&] { return Record(FoundLinkRecord{f[1], f[2]}); });
  }
  if (tag == "D") {
    if (f.size() != 5) {
      if (auto ok = expect_count(f, 4); !ok) return tl::unexpected(ok.error());
    }
    auto links = parse_size(f[2]);
    if (!links) return tl::unexpected(links.error());
    return parse_outcome(f[3]).map([&](PageOutcome outcome) {
      return Record(PageDoneRecord{f[1], *links, outcome, f.size() == 5 ? f[4] : ""});
    });
  }
  if (tag == "B") {
    if (auto ok = expect_count(f, 3); !ok) return tl::unexpected(ok.error());
    return parse_size(f[2]).map([&](std::uint64_t wait_ms) {
      return Record(HostBusyRecord{f[1], wait_ms});
    });
  }
  return fail("unknown record type '" + tag + "'");
}

// The directory-mode records W, L, S and G.
Expected<Record> from_directory_fields(const Fields& f) {
  const std::string& tag = f[0];
  if (tag == "W") {
    if (auto ok = expect_count(f, 7); !ok) return tl::unexpected(ok.error());
    std::uint64_t numbers[4] = {};
    for (std::size_t i = 0; i < 4; ++i) {
      auto value = parse_size(f[3 + i]);
      if (!value) return tl::unexpected(value.error());
      numbers[i] = *value;
    }
    return Record(DirectoryFileRecord{f[1], f[2], numbers[0], numbers[1], numbers[2], numbers[3]});
  }
  if (tag == "L") {
    if (auto ok = expect_count(f, 5); !ok) return tl::unexpected(ok.error());
    return parse_size(f[4]).map([&](std::uint64_t size) {
      return Record(LinkRecord{f[1], f[2], f[3], size});
    });
  }
  if (tag == "S") {
    if (auto ok = expect_count(f, 4); !ok) return tl::unexpected(ok.error());
    return parse_size(f[3]).map([&](std::uint64_t value) {
      return Record(StatRecord{f[1], f[2], value});
    });
  }
  if (tag == "G") {
    if (auto ok = expect_count(f, 3); !ok) return tl::unexpected(ok.error());
    auto size = parse_size(f[1]);
    if (!size) return tl::unexpected(size.error());
    return parse_size(f[2]).map([&](std::uint64_t files) {
      return Record(GroupRecord{*size, files});
    });
  }
  return from_crawl_fields(f);
}

Expected<Record> from_fields(Fields f) {
  const std::string& tag = f[0];
  if (tag == "U") {
    return expect_count(f, 3).map([&] { return Record(UrlRecord{f[1], f[2]}); });
  }
  if (tag == "P") {
    if (auto ok = expect_count(f, 5); !ok) return tl::unexpected(ok.error());
    return parse_size(f[4]).map([&](std::uint64_t size) {
      return Record(FileRecord{f[1], f[2], f[3], size});
    });
  }
  if (tag == "H") {
    if (auto ok = expect_count(f, 7); !ok) return tl::unexpected(ok.error());
    return parse_size(f[4]).map([&](std::uint64_t size) {
      return Record(DigestRecord{f[1], f[2], f[3], size, f[5], f[6]});
    });
  }
  if (tag == "F") {
    if (auto ok = expect_count(f, 5); !ok) return tl::unexpected(ok.error());
    return parse_stage(f[3]).map([&](Stage stage) {
      return Record(FailureRecord{f[1], f[2], stage, f[4]});
    });
  }
  return from_directory_fields(f);
}

Fields to_fields(const Record& record) {
  struct Visitor {
    Fields operator()(const UrlRecord& r) const { return {"U", r.id, r.url}; }
    Fields operator()(const FileRecord& r) const {
      return {"P", r.id, r.url, r.path, std::to_string(r.size)};
    }
    Fields operator()(const DigestRecord& r) const {
      return {"H", r.id, r.url, r.path, std::to_string(r.size), r.algorithm, r.digest};
    }
    Fields operator()(const FailureRecord& r) const {
      return {"F", r.id, r.url, std::string(stage_name(r.stage)), r.error};
    }
    Fields operator()(const DirectoryFileRecord& r) const {
      return {"W",
              r.id,
              r.path,
              std::to_string(r.size),
              std::to_string(r.device),
              std::to_string(r.inode),
              std::to_string(r.mtime_ns)};
    }
    Fields operator()(const LinkRecord& r) const {
      return {"L", r.id, r.path, r.target, std::to_string(r.size)};
    }
    Fields operator()(const StatRecord& r) const {
      return {"S", r.stage, r.name, std::to_string(r.value)};
    }
    Fields operator()(const GroupRecord& r) const {
      return {"G", std::to_string(r.size), std::to_string(r.files)};
    }
    Fields operator()(const FoundLinkRecord& r) const { return {"A", r.page_id, r.url}; }
    Fields operator()(const PageDoneRecord& r) const {
      Fields fields{"D", r.page_id, std::to_string(r.links),
                    r.outcome == PageOutcome::kFetched ? "fetched" : "failed"};
      if (!r.content.empty()) fields.push_back(r.content);
      return fields;
    }
    Fields operator()(const HostBusyRecord& r) const {
      return {"B", r.page_id, std::to_string(r.wait_ms)};
    }
  };
  return std::visit(Visitor{}, record);
}

// The longest prefix of `field` whose escaped form fits in `budget` bytes.
std::string truncate_escaped(const std::string& field, std::size_t budget) {
  std::size_t escaped = 0;
  std::size_t keep = 0;
  while (keep < field.size()) {
    const std::size_t grown = escape_field(std::string_view(field).substr(keep, 1)).size();
    if (escaped + grown > budget) break;
    escaped += grown;
    ++keep;
  }
  return field.substr(0, keep);
}

// Keeps a failure reportable whatever its size: url and error each get a third of the limit,
// measured after escaping, which leaves room for the tag, the id and the stage.
FailureRecord shortened(FailureRecord failure) {
  constexpr std::size_t kBudget = kMaxRecordBytes / 3;
  for (std::string* field : {&failure.url, &failure.error}) {
    if (escape_field(*field).size() > kBudget)
      *field = truncate_escaped(*field, kBudget - 3) + "...";
  }
  failure.id = truncate_escaped(failure.id, 64);
  return failure;
}

}  // namespace

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::kProducer:
      return "producer";
    case Stage::kFetcher:
      return "fetcher";
    case Stage::kHasher:
      return "hasher";
    case Stage::kAggregator:
      return "aggregator";
  }
  return "unknown";
}

bool is_bare_line(std::string_view line) { return line.find('\t') == std::string_view::npos; }

Expected<Record> parse_record(std::string_view line) {
  auto fields = decode_fields(line);
  if (!fields) return tl::unexpected(fields.error());
  return from_fields(std::move(*fields));
}

Expected<std::string> format_record(const Record& record) {
  auto line = encode_fields(to_fields(record));
  if (line || !std::holds_alternative<FailureRecord>(record)) return line;
  return encode_fields(to_fields(shortened(std::get<FailureRecord>(record))));
}

}  // namespace dupipe
