// Text for OUT/report.html: every string that comes from a report (URLs, paths, errors, all of
// them hostile bytes) goes through html_escape before it reaches the page. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dupipe::htmlreport {

// & < > " ' as entities: safe in text and in quoted attribute values alike.
[[nodiscard]] std::string html_escape(std::string_view text);

// 1536 -> "1.5 KiB"; below 1 KiB the exact count, "512 B".
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);

// A decimal with `decimals` places, without locale: for SVG coordinates and seconds.
[[nodiscard]] std::string fixed(double value, int decimals);

}  // namespace dupipe::htmlreport
