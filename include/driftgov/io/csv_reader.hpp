#pragma once
// Streaming CSV reader (RFC 4180 quoting, configurable delimiter and null tokens, type inference).
// Memory is bounded by one batch plus one read buffer, whatever the file size.
// Type inference looks at the first CsvOptions::infer_rows rows; a later integer column value that only parses
// as a double widens the column to double; any other mismatch is an InputError naming line, column and value.

#include <memory>
#include <string>

#include "driftgov/io/source.hpp"

namespace driftgov::io {

std::unique_ptr<Source> open_csv(const std::string& path, const SourceOptions& options);
void register_csv_format(SourceRegistry& registry);

}  // namespace driftgov::io
