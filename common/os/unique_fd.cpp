#include "common/os/unique_fd.hpp"

#include <unistd.h>

namespace dupipe {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);  // owner
  fd_ = fd;
}

}  // namespace dupipe
