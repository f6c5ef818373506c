#include "driftgov/gov/deployment.hpp"

#include <fmt/format.h>

#include <sstream>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/io/process.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::gov {
namespace {

core::Schema registry_schema() {
  using core::DataType;
  const auto text = [](const char* name) { return core::Field{name, DataType::string(), false, std::nullopt}; };
  return core::Schema{{text("deploy_id"), core::Field{"deployed_at", DataType::timestamp(), false, std::nullopt},
                       text("actor"), text("target"), text("mode"), text("monitor"), text("table"),
                       text("config_hash"), text("config_sha256"), text("git_commit"),
                       core::Field{"git_dirty", DataType::boolean(), false, std::nullopt}}};
}

}  // namespace

GitState inspect_git(const std::string& folder) {
  GitState state;
  const auto inside = io::run_program({"git", "-C", folder, "rev-parse", "--is-inside-work-tree"});
  if (inside.exit_code != 0 || inside.output.rfind("true", 0) != 0) return state;
  state.in_work_tree = true;
  const auto head = io::run_program({"git", "-C", folder, "rev-parse", "--verify", "--quiet", "HEAD"});
  if (head.exit_code == 0) state.commit = head.output.substr(0, head.output.find_first_of("\r\n"));
  const auto status = io::run_program({"git", "-C", folder, "status", "--porcelain", "--untracked-files=normal"});
  std::istringstream lines(status.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) state.changed.push_back(line);
  }
  return state;
}

std::string monitors_registry_table(const std::string& lakehouse) {
  return io::join_path(io::join_path(lakehouse, "governance"), "monitors");
}

void record_deployment(const std::string& lakehouse, const DeploymentRecord& record) {
  core::RecordBatch batch;
  batch.schema = registry_schema();
  for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
  for (const auto& monitor : record.monitors) {
    batch.columns[0].append_string(record.deploy_id);
    batch.columns[1].append_int(record.time_us);
    const std::string* texts[] = {&record.actor,        &record.target,        &record.mode,
                                  &monitor.monitor,     &monitor.table,        &monitor.config_hash,
                                  &record.config_sha256, &record.git_commit};
    for (std::size_t i = 0; i < std::size(texts); ++i) batch.columns[2 + i].append_string(*texts[i]);
    batch.columns[10].append_int(record.git_dirty ? 1 : 0);
  }
  batch.num_rows = static_cast<std::int64_t>(record.monitors.size());
  if (record.monitors.empty()) return;
  delta::TableWriteOptions options;
  options.mode = delta::WriteMode::kAppend;
  options.idempotent = delta::TransactionId{"driftgov.deploy." + record.deploy_id, 1, std::nullopt};
  bool given = false;
  delta::write_table(monitors_registry_table(lakehouse), batch.schema,
                     [&]() -> std::optional<core::RecordBatch> {
                       if (given) return std::nullopt;
                       given = true;
                       return batch;
                     },
                     options);
}

}  // namespace driftgov::gov
