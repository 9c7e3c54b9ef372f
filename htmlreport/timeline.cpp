#include "htmlreport/timeline.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "htmlreport/html_text.hpp"

namespace dupipe::htmlreport {
namespace {

using nlohmann::json;

LaneState state_of(const json& stage) {
  if (!stage.value("alive", false)) return LaneState::kIdle;
  const std::string activity = stage.value("activity", "");
  if (activity == "working") return LaneState::kWorking;
  if (activity == "reading") return LaneState::kWaitingForInput;
  if (activity == "writing") return LaneState::kWaitingToWrite;
  return LaneState::kIdle;  // starting, done
}

void extend(ProcessLane& lane, double at_s, LaneState state) {
  if (!lane.segments.empty()) lane.segments.back().end_s = at_s;
  if (lane.segments.empty() || lane.segments.back().state != state) {
    lane.segments.push_back({at_s, at_s, state});
  }
}

std::optional<double> fill_of(const json& link) {
  const auto queued = link.find("queued");
  const auto capacity = link.find("capacity");
  if (queued == link.end() || capacity == link.end() || !queued->is_number() ||
      !capacity->is_number() || capacity->get<double>() <= 0) {
    return std::nullopt;
  }
  return std::clamp(queued->get<double>() / capacity->get<double>(), 0.0, 1.0);
}

// A line per sample: every process present gets the state of this moment until the next.
void add_sample(Timeline& t, const json& sample, double at_s,
                std::map<std::int64_t, std::size_t>& lane_of) {
  for (const json& stage : sample.value("stages", json::array())) {
    const std::int64_t pid = stage.value("pid", std::int64_t{0});
    auto [it, is_new] = lane_of.try_emplace(pid, t.processes.size());
    if (is_new) t.processes.push_back({pid, stage.value("role", "?"), {}, 0, 0, 0});
    ProcessLane& lane = t.processes[it->second];
    extend(lane, at_s, state_of(stage));
    lane.records_in = stage.value("in", std::uint64_t{0});
    lane.records_out = stage.value("out", std::uint64_t{0});
    lane.failures = stage.value("failures", std::uint64_t{0});
  }
  for (const json& link : sample.value("links", json::array())) {
    const std::string name = link.value("name", "?");
    auto series = std::find_if(t.links.begin(), t.links.end(),
                               [&](const LinkSeries& s) { return s.name == name; });
    if (series == t.links.end()) series = t.links.insert(t.links.end(), LinkSeries{name, {}});
    if (const auto fill = fill_of(link)) series->fill.emplace_back(at_s, *fill);
  }
}

int pipeline_position(std::string_view role) {
  constexpr std::array<std::string_view, 4> kOrder{"producer", "fetcher", "hasher", "aggregator"};
  const auto it = std::find(kOrder.begin(), kOrder.end(), role);
  return static_cast<int>(it - kOrder.begin());
}

const char* color_of(LaneState state) {
  switch (state) {
    case LaneState::kWorking:
      return "#2e9e5b";
    case LaneState::kWaitingForInput:
      return "#8db9e3";
    case LaneState::kWaitingToWrite:
      return "#d9534f";
    case LaneState::kIdle:
      return "#e4e4e4";
  }
  return "#e4e4e4";
}

const char* name_of(LaneState state) {
  switch (state) {
    case LaneState::kWorking:
      return "working";
    case LaneState::kWaitingForInput:
      return "waiting for input (blocked on read)";
    case LaneState::kWaitingToWrite:
      return "waiting to write (blocked on write: backpressure)";
    case LaneState::kIdle:
      return "not started or finished";
  }
  return "?";
}

double tick_step(double duration_s) {  // 1, 2, 5 x 10^k with at most 10 ticks
  for (double step = 0.1;; step *= 10) {
    for (const double f : {1.0, 2.0, 5.0}) {
      if (duration_s / (step * f) <= 10) return step * f;
    }
  }
}

constexpr double kLabelWidth = 190, kPlotWidth = 760, kRowHeight = 22, kTop = 24;

std::string axis(double duration_s, double height) {
  std::string svg;
  const double step = tick_step(duration_s);
  for (double t = 0; t <= duration_s + 1e-9; t += step) {
    const std::string x = fixed(kLabelWidth + t / duration_s * kPlotWidth, 1);
    svg += "<line x1=\"" + x + "\" y1=\"" + fixed(kTop - 4, 0) + "\" x2=\"" + x + "\" y2=\"" +
           fixed(height, 1) + "\" stroke=\"#ccc\"/>";
    svg += "<text x=\"" + x + "\" y=\"14\" font-size=\"11\" text-anchor=\"middle\">" +
           fixed(t, step < 1 ? 1 : 0) + " s</text>";
  }
  return svg;
}

std::string lane_svg(const ProcessLane& lane, double y, double scale) {
  std::string svg = "<text x=\"4\" y=\"" + fixed(y + 15, 1) + "\" font-size=\"12\">" +
                    html_escape(lane.role + " " + std::to_string(lane.pid)) + "</text>";
  for (const Segment& s : lane.segments) {
    const double width = std::max((s.end_s - s.begin_s) * scale, 0.5);
    svg += "<rect x=\"" + fixed(kLabelWidth + s.begin_s * scale, 2) + "\" y=\"" + fixed(y + 3, 1) +
           "\" width=\"" + fixed(width, 2) + "\" height=\"" + fixed(kRowHeight - 6, 1) +
           "\" fill=\"" + color_of(s.state) + "\"><title>" +
           html_escape(lane.role + " " + std::to_string(lane.pid) + ": " + name_of(s.state) + ", " +
                       fixed(s.begin_s, 1) + "-" + fixed(s.end_s, 1) + " s") +
           "</title></rect>";
  }
  return svg;
}

std::string link_svg(const LinkSeries& link, double y, double scale) {
  std::string points;
  for (const auto& [at_s, fill] : link.fill) {
    points += fixed(kLabelWidth + at_s * scale, 1) + "," +
              fixed(y + kRowHeight - 3 - fill * (kRowHeight - 6), 1) + " ";
  }
  return "<text x=\"4\" y=\"" + fixed(y + 15, 1) + "\" font-size=\"12\">link " +
         html_escape(link.name) + " fill</text><rect x=\"" + fixed(kLabelWidth, 0) + "\" y=\"" +
         fixed(y + 3, 1) + "\" width=\"" + fixed(kPlotWidth, 0) + "\" height=\"" +
         fixed(kRowHeight - 6, 1) + "\" fill=\"#f7f7f7\"/><polyline fill=\"none\" " +
         "stroke=\"#6f42c1\" stroke-width=\"1.5\" points=\"" + points + "\"/>";
}

std::string legend(double y) {
  std::string svg;
  double x = 4;
  for (const LaneState s : {LaneState::kWorking, LaneState::kWaitingForInput,
                            LaneState::kWaitingToWrite, LaneState::kIdle}) {
    svg += "<rect x=\"" + fixed(x, 0) + "\" y=\"" + fixed(y, 0) +
           "\" width=\"12\" height=\"12\" fill=\"" + color_of(s) + "\"/><text x=\"" +
           fixed(x + 16, 0) + "\" y=\"" + fixed(y + 11, 0) + "\" font-size=\"11\">" +
           html_escape(name_of(s)) + "</text>";
    x += 16 + 6.6 * static_cast<double>(std::string_view(name_of(s)).size()) + 18;
  }
  return svg;
}

}  // namespace

Timeline read_timeline(std::istream& lines) {
  Timeline t;
  std::map<std::int64_t, std::size_t> lane_of;
  std::optional<double> first_ns;
  double last_s = 0;
  for (std::string line; std::getline(lines, line);) {
    const json sample = json::parse(line, nullptr, false);
    if (sample.is_discarded() || !sample.is_object() || !sample.contains("t_ns")) continue;
    const double at_ns = sample["t_ns"].get<double>();
    if (!first_ns) first_ns = at_ns;
    last_s = (at_ns - *first_ns) / 1e9;
    add_sample(t, sample, last_s, lane_of);
  }
  t.duration_s = last_s;
  // In pipeline order, as the data flows: producer, fetchers, hashers, aggregator.
  std::stable_sort(t.processes.begin(), t.processes.end(),
                   [](const ProcessLane& a, const ProcessLane& b) {
                     return pipeline_position(a.role) < pipeline_position(b.role);
                   });
  return t;
}

std::string timeline_svg(const Timeline& t) {
  const double duration = std::max(t.duration_s, 0.1);
  const double scale = kPlotWidth / duration;
  const auto rows = static_cast<double>(t.processes.size() + t.links.size());
  const double legend_y = kTop + rows * kRowHeight + 10;
  std::string svg = "<svg id=\"timeline\" width=\"" + fixed(kLabelWidth + kPlotWidth + 10, 0) +
                    "\" height=\"" + fixed(legend_y + 24, 0) + "\" font-family=\"sans-serif\">";
  svg += axis(duration, kTop + rows * kRowHeight);
  double y = kTop;
  for (const ProcessLane& lane : t.processes) {
    svg += lane_svg(lane, y, scale);
    y += kRowHeight;
  }
  for (const LinkSeries& link : t.links) {
    svg += link_svg(link, y, scale);
    y += kRowHeight;
  }
  return svg + legend(legend_y) + "</svg>";
}

}  // namespace dupipe::htmlreport
