#include "driftgov/core/error.hpp"

#include <cstring>

namespace driftgov::core {

std::string to_string(const OptionName& option) {
  std::string text = option.field;
  if (!option.key.empty()) {
    // "columns[].bins" with key x is columns['x'].bins; "kind_overrides" with key x is kind_overrides['x'].
    const auto entry = fmt::format("['{}']", option.key);
    const auto slot = text.find("[]");
    slot == std::string::npos ? text += entry : text.replace(slot, 2, entry);
  }
  if (!option.value.empty()) text += " = " + option.value;
  return text;
}

namespace {

std::string join_pieces(const std::vector<InputError::Piece>& pieces,
                        const std::function<std::string(const OptionName&)>& spell) {
  std::string text;
  for (const auto& piece : pieces) {
    if (const auto* option = std::get_if<OptionName>(&piece)) {
      text += spell(*option);
    } else {
      text += std::get<std::string>(piece);
    }
  }
  return text;
}

}  // namespace

InputError::InputError(std::vector<Piece> pieces)
    : std::runtime_error(join_pieces(pieces, [](const OptionName& option) { return to_string(option); })),
      pieces_(std::move(pieces)) {}

std::vector<OptionName> InputError::options() const {
  std::vector<OptionName> names;
  for (const auto& piece : pieces_) {
    if (const auto* option = std::get_if<OptionName>(&piece)) names.push_back(*option);
  }
  return names;
}

std::string InputError::message_with(const std::function<std::string(const OptionName&)>& spell) const {
  return pieces_.empty() ? std::string(what()) : join_pieces(pieces_, spell);
}

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
