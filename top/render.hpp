// Lays a dupipe-top Screen out as lines of text of at most `width` columns: a header with totals,
// one row per process and one per link. Used for the ncurses view and for --once.
#pragma once

#include <string>
#include <vector>

#include "top/monitor.hpp"

namespace dupipe::top {

[[nodiscard]] std::vector<std::string> render(const Screen& screen, const std::string& run_dir,
                                              const std::string& sort_name, std::size_t width);

}  // namespace dupipe::top
