// The typed records that travel between stages, and their mapping to protocol lines
// (docs/PROTOCOL.md has the table per link). Failures travel downstream unchanged so the
// aggregator sees every input line's fate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/base/error.hpp"

namespace dupipe {

// kAggregator only fails a file in directory mode, when --verify finds its bytes differ.
enum class Stage { kProducer, kFetcher, kHasher, kAggregator };

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

// W (directory mode): a regular file found by the walk. device, inode and mtime_ns let later
// stages collapse hard links and notice a file that changed since the walk.
struct DirectoryFileRecord {
  std::string id;
  std::string path;
  std::uint64_t size = 0;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t mtime_ns = 0;  // st_mtim as nanoseconds, compared for equality only
};

// G (directory mode, size grouper -> hasher): the next `files` W records on this link are the
// whole group of candidates of `size` bytes, so one hasher sees every file it must compare.
struct GroupRecord {
  std::uint64_t size = 0;
  std::uint64_t files = 0;
};

// L (directory mode): `path` is another name (hard link) of the file named `target`, which
// is `size` bytes long.
struct LinkRecord {
  std::string id;
  std::string path;
  std::string target;
  std::uint64_t size = 0;
};

// S (directory mode): a count a stage reports to the aggregator (e.g. files walked).
struct StatRecord {
  std::string stage;
  std::string name;
  std::uint64_t value = 0;
};

// A (crawl mode, fetcher -> producer): `url` is a link found on the page of U record `page_id`.
struct FoundLinkRecord {
  std::string page_id;
  std::string url;
};

// What became of a crawled page's fetch.
enum class PageOutcome { kFetched, kFailed };

// D (crawl mode, fetcher -> producer): the page of U record `page_id` is finished, and the
// `links` A records before it on this link are all its links. Written after the page's P or F
// record went downstream, so the producer may count the page as settled.
struct PageDoneRecord {
  std::string page_id;
  std::uint64_t links = 0;
  PageOutcome outcome = PageOutcome::kFetched;
  // A text/html page's content digest (XXH3-64, 16 hex digits; empty for any other body): the
  // frontier tells a path that keeps yielding content already seen (a likely trap).
  std::string content;
};

// B (crawl mode, fetcher -> producer): the host of U record `page_id` answered 429 or 503; the
// fetcher tries the page again after `wait_ms` (Retry-After, or its backoff), and the frontier
// starts nothing else on that host before then. The page stays in flight.
struct HostBusyRecord {
  std::string page_id;
  std::uint64_t wait_ms = 0;
};

using Record = std::variant<UrlRecord, FileRecord, DigestRecord, FailureRecord, DirectoryFileRecord,
                            LinkRecord, StatRecord, GroupRecord, FoundLinkRecord, PageDoneRecord,
                            HostBusyRecord>;

// A line with no TAB is a bare URL (so `cat urls.txt` can stand in for the producer).
[[nodiscard]] bool is_bare_line(std::string_view line);

[[nodiscard]] Expected<Record> parse_record(std::string_view line);

// Encodes a record as one protocol line without newline. A failure record that would exceed
// kMaxRecordBytes is shortened (url and error truncated, marked with "...") instead of failing,
// so a failure can always be reported; other records that are too long yield an Error.
[[nodiscard]] Expected<std::string> format_record(const Record& record);

}  // namespace dupipe
