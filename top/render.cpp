#include "top/render.hpp"

#include <algorithm>
#include <cstdio>

namespace dupipe::top {
namespace {

std::string format(const char* pattern, auto... values) {
  char line[512];
  std::snprintf(line, sizeof line, pattern, values...);
  return line;
}

// Control bytes (the record's TABs) would move the cursor: shown as spaces.
std::string printable(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

std::string fill_bar(const LinkSample& link) {
  if (!link.capacity_bytes || !link.queued_bytes || *link.capacity_bytes == 0) {
    return link.problem.empty() ? "?" : link.problem;
  }
  constexpr int kWidth = 20;
  const double fraction = std::min(
      1.0, static_cast<double>(*link.queued_bytes) / static_cast<double>(*link.capacity_bytes));
  const int filled = static_cast<int>(fraction * kWidth + 0.5);
  std::string bar = "[";
  bar.append(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  bar += ']';
  bar += format(" %3.0f%% %llu/%llu B", fraction * 100,
                static_cast<unsigned long long>(*link.queued_bytes),
                static_cast<unsigned long long>(*link.capacity_bytes));
  if (link.queued_records) {
    bar += format(", %llu records", static_cast<unsigned long long>(*link.queued_records));
  }
  return bar;
}

std::string header(const Screen& screen, const std::string& run_dir, const std::string& sort) {
  std::string eta = screen.eta_s ? format("ETA %.0f s", *screen.eta_s) : std::string("ETA ?");
  const std::string pass = screen.pass > 0 ? format("  pass %u", screen.pass) : std::string();
  return format("dupipe-top %s%s  done %llu of %llu%s records, %.1f/s, %s   [q] quit [s] sort: %s",
                run_dir.c_str(), pass.c_str(), static_cast<unsigned long long>(screen.done),
                static_cast<unsigned long long>(screen.total), screen.is_producer_done ? "" : "+",
                screen.rate, eta.c_str(), sort.c_str());
}

}  // namespace

std::vector<std::string> render(const Screen& screen, const std::string& run_dir,
                                const std::string& sort_name, std::size_t width) {
  std::vector<std::string> lines;
  lines.push_back(header(screen, run_dir, sort_name));
  if (!screen.problem.empty()) lines.push_back("  " + screen.problem);
  lines.emplace_back();
  lines.push_back(format("%7s %-10s %-24s %8s %8s %8s %5s  %s", "PID", "ROLE", "STATE", "IN/s",
                         "IN", "OUT", "FAIL", "CURRENT ITEM"));
  for (const ProcessRow& row : screen.processes) {
    lines.push_back(format(
        "%7d %-10s %-24s %8.1f %8llu %8llu %5llu  %s", static_cast<int>(row.pid), row.role.c_str(),
        row.state.c_str(), row.rate_in, static_cast<unsigned long long>(row.records_in),
        static_cast<unsigned long long>(row.records_out),
        static_cast<unsigned long long>(row.failures), printable(row.item).c_str()));
  }
  lines.emplace_back();
  lines.push_back(format("%-8s %-9s %s", "LINK", "TRANSPORT", "FILL"));
  for (const LinkSample& link : screen.links) {
    lines.push_back(format("%-8s %-9s %s  (%s)", link.name.c_str(), link.transport.c_str(),
                           fill_bar(link).c_str(), link.target.c_str()));
  }
  for (std::string& line : lines) {
    if (line.size() > width) line.resize(width);
  }
  return lines;
}

}  // namespace dupipe::top
