#include "common/base/error.hpp"

#include <cstring>

namespace dupipe {
namespace {

class DupipeCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "dupipe"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<ExitCode>(value)) {
      case ExitCode::kUsage:
        return "bad command line";
      case ExitCode::kProtocol:
        return "malformed record";
      default:
        return "failure";
    }
  }
};

}  // namespace

const std::error_category& dupipe_category() {
  static const DupipeCategory category;
  return category;
}

std::error_code Error::code() const {
  return errnum == 0 ? std::error_code() : std::error_code(errnum, std::generic_category());
}

tl::unexpected<Error> fail_errno(std::string_view context, int errnum) {
  return fail(errno_message(context, errnum), errnum);
}

FatalError::FatalError(const std::string& message, ExitCode code)
    : std::system_error(to_int(code), dupipe_category()), message_(message), exit_code_(code) {}

FatalError::FatalError(std::string_view context, int errnum, ExitCode code)
    : std::system_error(errnum, std::generic_category()),
      message_(errno_message(context, errnum)),
      exit_code_(code) {}

FatalError::FatalError(const Error& error, ExitCode code)
    : std::system_error(error.errnum != 0 ? std::error_code(error.errnum, std::generic_category())
                                          : std::error_code(to_int(code), dupipe_category())),
      message_(error.message),
      exit_code_(code) {}

std::string errno_message(std::string_view context, int errnum) {
  std::string message(context);
  message += ": ";
  message += std::strerror(errnum);
  return message;
}

void throw_errno(std::string_view context, int errnum) { throw FatalError(context, errnum); }

}  // namespace dupipe
