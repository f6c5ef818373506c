#pragma once
// Monitoring-style Delta tables for the tests of nested predicates: a `window` struct<start: timestamp,
// end: timestamp> column (a day each) and a long `value`, as the monitoring pipeline writes them.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/table_writer.hpp"

namespace driftgov::delta::testing {

constexpr std::int64_t kDayMicros = 86400000000;
constexpr std::int64_t kJan1Micros = 1767225600000000;  // 2026-01-01 00:00:00 UTC

inline core::Schema window_schema() {
  core::DataType window(core::TypeId::kStruct);
  window.children = {core::Field{"start", core::DataType::timestamp(), true, std::nullopt},
                     core::Field{"end", core::DataType::timestamp(), true, std::nullopt}};
  core::Schema schema;
  schema.fields = {core::Field{"window", window, true, std::nullopt},
                   core::Field{"value", core::DataType::int64(), true, std::nullopt}};
  return schema;
}

// One row per entry: the window starting that many days after 2026-01-01 (nullopt: a null window) and value
// first_value, first_value + 1, ...
inline core::RecordBatch window_rows(const std::vector<std::optional<int>>& days, std::int64_t first_value) {
  core::RecordBatch batch;
  batch.schema = window_schema();
  core::Column windows(batch.schema.fields[0].type);
  windows.children = {core::Column(core::DataType::timestamp()), core::Column(core::DataType::timestamp())};
  core::Column values(core::DataType::int64());
  for (const auto& day : days) {
    if (day) {
      windows.children[0].append_int(kJan1Micros + *day * kDayMicros);
      windows.children[1].append_int(kJan1Micros + (*day + 1) * kDayMicros);
    } else {
      windows.children[0].append_null();
      windows.children[1].append_null();
    }
    windows.validity.push_back(day ? 1 : 0);
    values.append_int(first_value++);
  }
  windows.length = static_cast<std::int64_t>(days.size());
  batch.columns = {std::move(windows), std::move(values)};
  batch.num_rows = static_cast<std::int64_t>(days.size());
  return batch;
}

inline TableWriteResult write_windows(const std::filesystem::path& root,
                                      std::vector<core::RecordBatch> batches,
                                      const TableWriteOptions& options) {
  std::size_t next = 0;
  return write_table(
      root, window_schema(),
      [&]() -> std::optional<core::RecordBatch> {
        if (next == batches.size()) return std::nullopt;
        return std::move(batches[next++]);
      },
      options);
}

}  // namespace driftgov::delta::testing
