#include "common/error.hpp"

#include <cstring>

namespace dupipe {

std::string errno_message(std::string_view context, int errnum) {
  std::string message(context);
  message += ": ";
  message += std::strerror(errnum);
  return message;
}

void throw_errno(std::string_view context, int errnum) {
  throw FatalError(errno_message(context, errnum));
}

}  // namespace dupipe
