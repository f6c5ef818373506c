#include "driftgov/monitor/delta_source.hpp"

#include <fmt/format.h>

#include "driftgov/delta/log.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"

namespace driftgov::monitor {
namespace {

// A delta::Scan as a Source. The snapshot is declared before the scan, which refers to it.
class DeltaSource : public io::Source {
 public:
  DeltaSource(const delta::TableLocation& location, const io::SourceOptions& options,
              std::vector<delta::ColumnRange> ranges)
      : snapshot_(delta::Snapshot::load(location)),
        scan_(snapshot_, scan_options(location, options, std::move(ranges))),
        description_(fmt::format("{}@v={}", location.path, snapshot_.version())) {}

  const core::Schema& schema() const override { return scan_.schema(); }
  std::string description() const override { return description_; }
  std::optional<core::RecordBatch> next() override { return scan_.next(); }

 private:
  delta::ScanOptions scan_options(const delta::TableLocation& location, const io::SourceOptions& options,
                                  std::vector<delta::ColumnRange> ranges) const {
    // Resolved here first so that an unknown column is reported under the name the user gave (with its @v=N).
    const auto& table = snapshot_.schema().schema;
    delta::ScanOptions scan;
    for (const auto index :
         io::resolve_projection(table, options.columns, location.text.empty() ? location.path : location.text)) {
      scan.columns.push_back(table.fields[index].name);
    }
    scan.ranges = std::move(ranges);
    return scan;
  }

  delta::Snapshot snapshot_;
  delta::Scan scan_;
  std::string description_;
};

}  // namespace

std::unique_ptr<io::Source> open_delta_source(const std::string& location, const io::SourceOptions& options,
                                              std::vector<delta::ColumnRange> ranges) {
  return std::make_unique<DeltaSource>(delta::parse_table_location(location), options, std::move(ranges));
}

void register_delta_format(io::SourceRegistry& registry) {
  registry.add(io::SourceFormat{
      "delta", [](const std::string& location) { return delta::is_delta_table(location); },
      [](const std::string& location, const io::SourceOptions& options) { return open_delta_source(location, options); }});
}

}  // namespace driftgov::monitor
