#pragma once
// Delta tables as a Source: a folder holding `_delta_log`, optionally at a version (`path@v=N`, `path@ts=T`,
// docs/delta.md). The rows come from a delta::Scan of the snapshot (delta/scan.hpp): partition values filled in,
// column mapping and deletion vectors applied, files skipped by data skipping.

#include <memory>
#include <string>
#include <vector>

#include "driftgov/delta/data_skipping.hpp"
#include "driftgov/io/source.hpp"

namespace driftgov::monitor {

void register_delta_format(io::SourceRegistry& registry);

// Opens a Delta table reading only files that may hold rows inside `ranges` (rows are not filtered further).
std::unique_ptr<io::Source> open_delta_source(const std::string& location, const io::SourceOptions& options,
                                              std::vector<delta::ColumnRange> ranges = {});

}  // namespace driftgov::monitor
