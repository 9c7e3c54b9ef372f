// The typed records that travel between stages, and their mapping to protocol lines
// (docs/PROTOCOL.md has the table per link). Failures travel downstream unchanged so the
// aggregator sees every input line's fate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/error.hpp"

namespace dupipe {

enum class Stage { kProducer, kFetcher, kHasher };

[[nodiscard]] std::string_view stage_name(Stage stage);

// U: a URL to fetch.
struct UrlRecord {
  std::string id;
  std::string url;
};

// P: a complete downloaded (or local) file ready to hash.
struct FileRecord {
  std::string id;
  std::string url;
  std::string path;
  std::uint64_t size = 0;
};

// H: a file and its digest.
struct DigestRecord {
  std::string id;
  std::string url;
  std::string path;
  std::uint64_t size = 0;
  std::string algorithm;
  std::string digest;  // lowercase hex
};

// F: an input line or URL that did not make it, with the stage and the reason.
struct FailureRecord {
  std::string id;
  std::string url;
  Stage stage = Stage::kProducer;
  std::string error;
};

using Record = std::variant<UrlRecord, FileRecord, DigestRecord, FailureRecord>;

// A line with no TAB is a bare URL (so `cat urls.txt` can stand in for the producer).
[[nodiscard]] bool is_bare_line(std::string_view line);

[[nodiscard]] Expected<Record> parse_record(std::string_view line);

// Encodes a record as one protocol line without newline. A failure record that would exceed
// kMaxRecordBytes is shortened (url and error truncated, marked with "...") instead of failing,
// so a failure can always be reported; other records that are too long yield an Error.
[[nodiscard]] Expected<std::string> format_record(const Record& record);

}  // namespace dupipe
