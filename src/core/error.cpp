#include "driftgov/core/error.hpp"

namespace driftgov::core {

void throw_internal(const char* file, int line, const std::string& message) {
  throw InternalError(fmt::format("internal error at {}:{}: {} (this is a bug in driftgov; please report it)",
                                  file, line, message));
}

}  // namespace driftgov::core
