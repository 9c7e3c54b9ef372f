// The extra directory-mode outputs (--format nul|fdupes|csv) and OUT/actions.sh, rendered from
// the report (pure functions). actions.sh is for a person to review and run: dupipe never runs it.
#pragma once

#include <string>

#include "aggregator/directory_report.hpp"

namespace dupipe::aggregator {

enum class Action { kLink, kDelete };

// Each path followed by NUL; each group ends with one more NUL (an empty name cannot occur).
[[nodiscard]] std::string to_nul(const DirectoryReport& report);

// fdupes' layout: one path per line, groups separated by a blank line. Paths are escaped as in
// the protocol (\\, \n, \t, \r, \xHH), so a name holding a newline cannot split a group.
[[nodiscard]] std::string to_fdupes(const DirectoryReport& report);

// Header "group,size,digest,path", one row per file, fields per RFC 4180.
[[nodiscard]] std::string to_csv(const DirectoryReport& report);

// A bash script keeping the first file of each group and replacing every other name of the
// group's other files with a hard link to it (kLink) or deleting it (kDelete). Each step checks
// first that both files still exist and hold the same bytes (cmp).
[[nodiscard]] std::string to_actions(const DirectoryReport& report, Action action);

}  // namespace dupipe::aggregator
