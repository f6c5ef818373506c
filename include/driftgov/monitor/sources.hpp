#pragma once
// Opening any data source by name. Knows every format layer (CSV, Parquet, Delta); the layers below it do not
// know each other. Source naming is documented in docs/data-sources.md.

#include <memory>
#include <string>

#include "driftgov/io/source.hpp"

namespace driftgov::monitor {

// The registry with every built-in format registered.
const io::SourceRegistry& builtin_sources();

// Opens `location` as whichever built-in format recognises it.
std::unique_ptr<io::Source> open_source(const std::string& location, const io::SourceOptions& options = {});

}  // namespace driftgov::monitor
