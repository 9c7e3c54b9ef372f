#include "tests/integration/fifo_stress/delivery_check.hpp"

namespace dupipe::fifo_stress {
namespace {

// Problems listed one by one; the rest are only counted.
constexpr std::uint64_t kProblemsListed = 10;

std::string record_id(std::size_t writer, std::uint64_t seq) {
  return std::to_string(writer) + ":" + std::to_string(seq);
}

std::string reader_name(int reader) { return "reader " + std::to_string(reader); }

}  // namespace

Manifest build_manifest(const Workload& workload) {
  Manifest manifest;
  for (int writer = 0; writer < workload.writers; ++writer) {
    std::vector<std::uint64_t>& hashes = manifest.hashes.emplace_back();
    for (std::uint64_t seq = 0; seq < writer_share(workload, writer); ++seq) {
      const std::string payload = make_payload(workload, writer, seq);
      hashes.push_back(payload_hash(payload));
      manifest.bytes += framed_size(writer, seq, payload);
    }
    manifest.records += hashes.size();
  }
  return manifest;
}

DeliveryCheck::DeliveryCheck(const Manifest& manifest) : manifest_(manifest) {
  for (const auto& hashes : manifest.hashes) first_reader_.emplace_back(hashes.size(), -1);
}

void DeliveryCheck::add(int reader, const Delivery& delivery) {
  const auto writer = static_cast<std::size_t>(delivery.writer);
  const std::string id = record_id(writer, delivery.seq);
  if (delivery.writer < 0 || writer >= manifest_.hashes.size() ||
      delivery.seq >= manifest_.hashes[writer].size()) {
    report(damaged_, reader_name(reader) + " received record " + id + ", which was never sent");
  } else if (manifest_.hashes[writer][delivery.seq] != delivery.hash) {
    report(damaged_, reader_name(reader) + " received record " + id + " with another payload");
  } else if (int& first = first_reader_[writer][delivery.seq]; first >= 0) {
    report(duplicated_, "record " + id + " received again: by " + reader_name(first) + " and by " +
                            reader_name(reader));
  } else {
    first = reader;
  }
}

void DeliveryCheck::add_unreadable(int reader, std::string_view result_line) {
  report(damaged_, reader_name(reader) + " wrote an unreadable result line '" +
                       std::string(result_line) + "'");
}

std::string DeliveryCheck::problems() {
  for (std::size_t writer = 0; writer < first_reader_.size(); ++writer) {
    for (std::uint64_t seq = 0; seq < first_reader_[writer].size(); ++seq) {
      if (first_reader_[writer][seq] < 0) {
        report(lost_, "record " + record_id(writer, seq) + " lost");
      }
    }
  }
  const std::uint64_t total = lost_ + duplicated_ + damaged_;
  if (total == 0) return {};
  std::string summary = std::to_string(lost_) + " lost, " + std::to_string(duplicated_) +
                        " duplicated, " + std::to_string(damaged_) + " damaged or unknown" +
                        listed_;
  if (total > kProblemsListed) {
    summary += "\n  ... " + std::to_string(total - kProblemsListed) + " more";
  }
  return summary;
}

void DeliveryCheck::report(std::uint64_t& kind_count, const std::string& problem) {
  ++kind_count;
  if (lost_ + duplicated_ + damaged_ <= kProblemsListed) listed_ += "\n  " + problem;
}

}  // namespace dupipe::fifo_stress
