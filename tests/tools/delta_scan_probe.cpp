// delta_scan_probe TABLE COLUMNS PREDICATE: runs a delta::Scan and prints one JSON object: "columns" (the batch
// schema's names), "files" (the log paths the scan planned to read), "files_opened" and "rows" (arrays of values
// as JSON: dates "yyyy-mm-dd", timestamps ISO 8601, decimals as text). COLUMNS is comma-separated or "-" for every
// column; PREDICATE is in the replaceWhere language or "-" for none. The Python tests compare the answer with
// deltalake and pyarrow.
#include <cstdio>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "delta/json_columns.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/scan.hpp"

int main(int argc, char** argv) {
  namespace delta = driftgov::delta;
  if (argc != 4) {
    std::fprintf(stderr, "usage: delta_scan_probe TABLE COLUMNS|- PREDICATE|-\n");
    return 2;
  }
  try {
    const auto snapshot = delta::Snapshot::load(argv[1]);
    delta::ScanOptions options;
    if (std::string(argv[2]) != "-") {
      std::stringstream names(argv[2]);
      for (std::string name; std::getline(names, name, ',');) options.columns.push_back(name);
    }
    if (std::string(argv[3]) != "-") options.predicate = delta::parse_predicate(argv[3], "PREDICATE");
    delta::Scan scan(snapshot, options);
    nlohmann::json out = {{"columns", nlohmann::json::array()}, {"files", nlohmann::json::array()},
                          {"rows", nlohmann::json::array()}};
    for (const auto& field : scan.schema().fields) out["columns"].push_back(field.name);
    for (const auto* file : scan.files()) out["files"].push_back(file->path);
    while (auto batch = scan.next()) {
      for (std::int64_t row = 0; row < batch->num_rows; ++row) {
        auto values = nlohmann::json::array();
        for (const auto& column : batch->columns) values.push_back(delta::json_at(column, row));
        out["rows"].push_back(std::move(values));
      }
    }
    out["files_opened"] = scan.files_opened();
    std::printf("%s\n", out.dump().c_str());
  } catch (const driftgov::core::InputError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
  return 0;
}
