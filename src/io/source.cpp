#include "driftgov/io/source.hpp"

#include <fmt/format.h>

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::io {

void CsvOptions::validate() const {
  const auto printable = [](char c) { return fmt::format("{:?}", std::string(1, c)); };
  for (const auto& [field, value] : {std::pair{"csv.delimiter", delimiter}, std::pair{"csv.quote", quote}}) {
    if (value == '\n' || value == '\r' || value == '\0') {
      throw core::option_error(core::OptionName{field},
                               fmt::format(" must not be a line break or a NUL byte, got {}", printable(value)));
    }
  }
  if (delimiter == quote) {
    throw core::option_error(core::OptionName{"csv.delimiter"},
                             fmt::format(" must differ from the quote character, both are {}", printable(quote)));
  }
  core::check_option_at_least(infer_rows, 1, {"csv.infer_rows"});
}

void SourceOptions::validate() const {
  csv.validate();
  core::check_option_at_least(batch_rows, 1, {"batch_rows"});
}

void SourceRegistry::add(SourceFormat format) { formats_.push_back(std::move(format)); }

std::unique_ptr<Source> SourceRegistry::open(const std::string& location, const SourceOptions& options) const {
  options.validate();
  for (const auto& format : formats_) {
    if (format.probe(location)) return format.open(location, options);
  }
  if (!local_storage().stat(location) && !local_storage().is_folder(location)) {
    throw core::InputError(fmt::format("{}: no such file or directory", location));
  }
  throw core::InputError(fmt::format("{}: not a recognised data source (known formats: {})", location,
                                     fmt::join(format_names(), ", ")));
}

std::vector<std::string> SourceRegistry::format_names() const {
  std::vector<std::string> names;
  for (const auto& format : formats_) names.push_back(format.name);
  return names;
}

std::vector<std::size_t> resolve_projection(const core::Schema& schema, const std::vector<std::string>& columns,
                                            const std::string& source_description) {
  std::vector<std::size_t> indices;
  if (columns.empty()) {
    for (std::size_t i = 0; i < schema.fields.size(); ++i) indices.push_back(i);
    return indices;
  }
  for (const auto& name : columns) {
    auto index = schema.find(name);
    if (!index) {
      std::vector<std::string> names;
      for (const auto& field : schema.fields) names.push_back(field.name);
      throw core::InputError(fmt::format("{}: column '{}' not found (columns: {})", source_description, name,
                                         fmt::join(names, ", ")));
    }
    indices.push_back(*index);
  }
  return indices;
}

}  // namespace driftgov::io
