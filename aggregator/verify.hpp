// --verify (paranoid mode): before a group is reported its files are compared byte by byte, so
// a digest collision (e.g. a published MD5 pair) can never delete data through actions.sh.
// Files that match no other file of their group, or cannot be read, become failures.
#pragma once

#include <string>
#include <vector>

#include "aggregator/directory_report.hpp"
#include "common/base/error.hpp"
#include "common/base/logger.hpp"

namespace dupipe::aggregator {

// True when the two files hold the same bytes; errors name the path.
[[nodiscard]] Expected<bool> same_contents(const std::string& a, const std::string& b);

// Splits each group into classes of byte-identical files; classes of two or more stay groups.
[[nodiscard]] std::vector<DirectoryGroup> verify_groups(const std::vector<DirectoryGroup>& groups,
                                                        std::vector<FailureRecord>& failures,
                                                        const Logger& logger);

}  // namespace dupipe::aggregator
