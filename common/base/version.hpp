// The version of dupipe every program's --version prints ("dupipe VERSION") and the fetcher's
// User-Agent carries: the project version plus `git describe` of the checkout it was configured
// in (cmake/DupipeVersion.cmake), the same string the Debian package carries.
#pragma once

#include <string>
#include <string_view>

namespace dupipe {

[[nodiscard]] std::string_view version();

// "dupipe VERSION", as --version prints it.
[[nodiscard]] inline std::string version_line() { return "dupipe " + std::string(version()); }

}  // namespace dupipe
