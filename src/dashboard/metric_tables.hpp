#pragma once
// Reading a monitor's output tables as JSON rows for the exports (docs/export.md).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace driftgov::dashboard {

struct TableRows {
  std::string path;
  std::int64_t version = -1;  // the Delta version read
  std::vector<nlohmann::json> rows;
};

// Every live row of the Delta table at `path` (its latest version), restricted to `columns` that the table
// has (an older table may lack a newer column; it then reads as absent). Values become JSON: integers and
// floating point numbers as numbers (NaN and infinities as null), booleans, strings, timestamps as ISO 8601
// instants
// ("2026-03-02T00:00:00Z"), structs as objects, lists as arrays. Throws core::InputError naming the table
// when it does not exist.
TableRows read_table_rows(const std::string& path, const std::vector<std::string>& columns);

}  // namespace driftgov::dashboard
