#include "grouper/size_grouping.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

namespace dupipe::grouper {
namespace {

bool by_path(const DirectoryFileRecord& a, const DirectoryFileRecord& b) { return a.path < b.path; }

// Keeps the first of runs of records that `same` calls equal (the input is sorted so that
// equal records are adjacent); the others go to `dropped`.
template <typename Same>
std::vector<DirectoryFileRecord> first_of_runs(std::vector<DirectoryFileRecord> sorted, Same same,
                                               std::vector<DirectoryFileRecord>& dropped) {
  std::vector<DirectoryFileRecord> kept;
  for (DirectoryFileRecord& file : sorted) {
    if (!kept.empty() && same(kept.back(), file)) {
      dropped.push_back(std::move(file));
    } else {
      kept.push_back(std::move(file));
    }
  }
  return kept;
}

// Moves the runs of at least two records equal under `same` (adjacent after sorting) to the
// result; returns how many records were alone in their run.
template <typename Same>
std::uint64_t keep_shared(std::vector<DirectoryFileRecord>& sorted, Same same,
                          std::vector<DirectoryFileRecord>& result) {
  std::uint64_t alone = 0;
  for (std::size_t begin = 0, end = 0; begin < sorted.size(); begin = end) {
    for (end = begin + 1; end < sorted.size() && same(sorted[begin], sorted[end]);) ++end;
    if (end - begin < 2) {
      ++alone;
      continue;
    }
    for (std::size_t i = begin; i < end; ++i) result.push_back(std::move(sorted[i]));
  }
  return alone;
}

}  // namespace

SizeGrouping group_by_size(std::vector<DirectoryFileRecord> files, const SizeOptions& options) {
  SizeGrouping result;
  std::sort(files.begin(), files.end(), by_path);
  std::vector<DirectoryFileRecord> repeats;
  auto names = first_of_runs(
      std::move(files), [](const auto& a, const auto& b) { return a.path == b.path; }, repeats);
  result.files = names.size();
  result.repeated_names = repeats.size();

  // One physical file, several names: the smallest path stands for it (stable sort keeps paths
  // in order within an inode), the others become L records and are never read.
  std::stable_sort(names.begin(), names.end(), [](const auto& a, const auto& b) {
    return std::tie(a.device, a.inode) < std::tie(b.device, b.inode);
  });
  std::vector<DirectoryFileRecord> other_names;
  auto physical = first_of_runs(
      std::move(names),
      [](const auto& a, const auto& b) { return a.device == b.device && a.inode == b.inode; },
      other_names);
  std::map<std::pair<std::uint64_t, std::uint64_t>, const DirectoryFileRecord*> by_inode;
  for (const DirectoryFileRecord& file : physical) by_inode[{file.device, file.inode}] = &file;
  for (const DirectoryFileRecord& link : other_names) {
    const DirectoryFileRecord& target = *by_inode.at({link.device, link.inode});
    result.links.push_back(LinkRecord{link.id, link.path, target.path, target.size});
  }
  std::sort(result.links.begin(), result.links.end(),
            [](const LinkRecord& a, const LinkRecord& b) { return a.path < b.path; });

  const auto is_dropped_empty = [&](const DirectoryFileRecord& f) {
    return f.size == 0 && !options.include_empty;
  };
  result.empty =
      static_cast<std::uint64_t>(std::count_if(physical.begin(), physical.end(), is_dropped_empty));
  std::erase_if(physical, is_dropped_empty);
  std::sort(physical.begin(), physical.end(), [](const auto& a, const auto& b) {
    return std::tie(b.size, a.path) < std::tie(a.size, b.path);  // largest first: see the header
  });
  result.unique_size = keep_shared(
      physical, [](const auto& a, const auto& b) { return a.size == b.size; }, result.candidates);
  return result;
}

std::uint64_t group_work_bytes(std::uint64_t size, std::uint64_t files) {
  return files * (size + kOpenWorkBytes);
}

std::vector<PlannedGroup> plan_links(const std::vector<DirectoryFileRecord>& candidates,
                                     std::size_t links) {
  std::vector<PlannedGroup> groups;
  for (std::size_t begin = 0, end = 0; begin < candidates.size(); begin = end) {
    for (end = begin + 1;
         end < candidates.size() && candidates[end].size == candidates[begin].size;)
      ++end;
    groups.push_back({begin, end, 0, group_work_bytes(candidates[begin].size, end - begin)});
  }
  // Stable: equal work keeps the candidates' order, largest size first.
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.work_bytes > b.work_bytes; });
  std::vector<std::uint64_t> load(std::max<std::size_t>(links, 1), 0);
  for (PlannedGroup& group : groups) {
    group.link =
        static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[group.link] += group.work_bytes;
  }
  return groups;
}

}  // namespace dupipe::grouper
