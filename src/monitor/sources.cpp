#include "driftgov/monitor/sources.hpp"

#include "driftgov/io/csv_reader.hpp"
#include "driftgov/monitor/delta_source.hpp"
#include "driftgov/monitor/parquet_source.hpp"

namespace driftgov::monitor {

const io::SourceRegistry& builtin_sources() {
  static const io::SourceRegistry registry = [] {
    io::SourceRegistry built;
    // A Delta table is a folder, so it is recognised before any file format.
    register_delta_format(built);
    io::register_csv_format(built);
    register_parquet_format(built);
    return built;
  }();
  return registry;
}

std::unique_ptr<io::Source> open_source(const std::string& location, const io::SourceOptions& options) {
  return builtin_sources().open(location, options);
}

}  // namespace driftgov::monitor
