#pragma once
// Parquet as a data source: one `.parquet` file, or a folder of them read in name order as one dataset (files
// whose names start with '_' or '.' are skipped, as Spark and Hive write them; a folder holding `_delta_log` is a
// Delta table and is left to that format). Every file must have the same schema as the first (after projection).
// One batch per row group, so memory is bounded by one row group of the projected columns.

#include <memory>
#include <string>

#include "driftgov/io/source.hpp"

namespace driftgov::monitor {

std::unique_ptr<io::Source> open_parquet(const std::string& location, const io::SourceOptions& options);
void register_parquet_format(io::SourceRegistry& registry);

}  // namespace driftgov::monitor
