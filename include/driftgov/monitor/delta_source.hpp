#pragma once
// Delta tables as a Source: a folder holding `_delta_log`, optionally at a version (`path@v=N`, `path@ts=T`,
// docs/delta.md). Rows come from the snapshot's data files with partition values filled in, column mapping applied
// (physical names or field ids to logical names), deletion vectors applied, and files skipped by data skipping.

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

// Every row of one live file of `snapshot` (all columns, logical names, deletion vector applied), a batch per row
// group. Partial overwrites read files through it (delta::TableWriteOptions::read_file).
std::vector<core::RecordBatch> read_delta_file(const delta::Snapshot& snapshot, const delta::AddFile& file);

}  // namespace driftgov::monitor
