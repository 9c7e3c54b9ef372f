// When a link may be released: a FIFO keeper closed, a held shm queue released, so that the
// link's readers see end of stream exactly once. That is when the last process writing it has
// exited with status 0 (a process that died is restarted and writes the link again). Several roles
// may write one link. Pure; not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dupipe::supervisor {

class LinkWriters {
 public:
  // `count` more processes that write `link` will run in this pass.
  void expect(const std::string& link, int count);
  // A process writing `links` finished; returns the links that have no writer left, once each.
  [[nodiscard]] std::vector<std::string> finished(const std::vector<std::string>& links);
  [[nodiscard]] int remaining(const std::string& link) const;

 private:
  std::map<std::string, int> remaining_;
};

}  // namespace dupipe::supervisor
