#include "dashboard/metric_tables.hpp"

#include <fmt/format.h>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/batch_rows.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::dashboard {

TableRows read_table_rows(const std::string& path, const std::vector<std::string>& columns) {
  if (!io::local_storage().is_folder(path + "/_delta_log")) {
    throw core::InputError(fmt::format("{}: no such Delta table", path));
  }
  const auto snapshot = delta::Snapshot::load(path);
  delta::ScanOptions options;
  for (const auto& name : columns) {
    for (const auto& field : snapshot.schema().schema.fields) {
      if (field.name == name) options.columns.push_back(name);
    }
  }
  TableRows out;
  out.path = path;
  out.version = snapshot.version();
  delta::Scan scan(snapshot, options);
  const auto& fields = scan.schema().fields;
  while (auto batch = scan.next()) {
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      auto object = nlohmann::json::object();
      for (std::size_t i = 0; i < fields.size(); ++i)
        object[fields[i].name] = delta::BatchRows::json(batch->columns[i], row);
      out.rows.push_back(std::move(object));
    }
  }
  return out;
}

}  // namespace driftgov::dashboard
