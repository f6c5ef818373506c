// The output tables of a monitor created ahead of its first refresh (driftgov deploy, docs/deploy.md).
#include <optional>

#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/monitor/refresh.hpp"
#include "monitor/metric_rows.hpp"

namespace driftgov::monitor {

std::vector<std::string> create_output_tables(const MonitorConfig& monitor) {
  std::vector<std::string> created;
  const std::pair<std::string, core::Schema> tables[] = {
      {profile_metrics_table(monitor), profile_metrics_schema(monitor.model_id_col)},
      {drift_metrics_table(monitor), drift_metrics_schema(monitor.model_id_col)},
      {breaches_table(monitor), breaches_schema(monitor.model_id_col)}};
  for (const auto& [table, schema] : tables) {
    if (delta::Snapshot::load_latest_if_any(table)) continue;
    delta::TableWriteOptions options;
    options.mode = delta::WriteMode::kCreate;
    try {
      delta::write_table(table, schema, []() -> std::optional<core::RecordBatch> { return std::nullopt; }, options);
      created.push_back(table);
    } catch (const delta::ConcurrentModificationError&) {
      // another deploy or the first refresh created it meanwhile: it exists, as wanted
    }
  }
  return created;
}

}  // namespace driftgov::monitor
