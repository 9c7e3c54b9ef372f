// Fuzz target: the file-name sanitiser with Content-Disposition parsing. The input is split at
// NUL bytes into id, URL, Content-Type and Content-Disposition. Whatever they hold, the name is
// one short path component of [A-Za-z0-9._-], never hidden, never "." or "..".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fetcher/content_disposition.hpp"
#include "fetcher/file_naming.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using dupipe::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  for (int i = 0; i < 3; ++i) {
    const std::size_t nul = input.find('\0');
    parts.push_back(input.substr(0, nul));
    input = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);
  }
  parts.push_back(input);
  const std::string suggested = dupipe::fetcher::disposition_filename(parts[3]);
  const std::string name =
      dupipe::fetcher::build_file_name(parts[0], parts[1], parts[2], suggested);

  check(!name.empty() && name.size() <= 255, "the name is 1-255 bytes");
  check(name.front() != '.', "the name is not hidden, '.' or '..'");
  for (const char c : name) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    check(safe, "the name holds only [A-Za-z0-9._-]");
  }
  const std::string segment = dupipe::fetcher::sanitize_segment(suggested);
  check(segment.size() <= dupipe::fetcher::kMaxSegmentBytes, "a segment is short");
  check(segment.empty() || segment.front() != '.', "a segment is not hidden");
  return 0;
}
