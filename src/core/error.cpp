#include "driftgov/core/error.hpp"

#include <cstring>

namespace driftgov::core {

void throw_internal(const char* file, int line, const std::string& message) {
  throw InternalError(fmt::format("internal error at {}:{}: {} (this is a bug in driftgov; please report it)",
                                  file, line, message));
}

void throw_input(const std::string& message) { throw InputError(message); }

IOError::IOError(std::string path, std::string operation, int error_number)
    : IOError(std::move(path), std::move(operation), error_number, std::strerror(error_number)) {}

IOError::IOError(std::string path, std::string operation, int error_number, const std::string& reason)
    : std::runtime_error(fmt::format("{}: {} failed: {}", path, operation, reason)),
      path_(std::move(path)),
      operation_(std::move(operation)),
      error_number_(error_number) {}

}  // namespace driftgov::core
