// driftgov governance view [--model M] [--format table|json|delta]: the governed view (docs/governance.md).
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/gov/governed_view.hpp"
#include "driftgov/gov/lineage.hpp"
#include "driftgov/monitor/refresh.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

struct ViewArguments {
  TargetArguments target;
  std::string model;
  std::string format = "table";
};

std::string short_hash(const std::string& hash) { return hash.size() > 12 ? hash.substr(0, 12) : hash; }

std::string optional_number(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : std::string("-");
}

void print_table(const std::vector<gov::GovernedViewRow>& rows) {
  fmt::print("{:<27} {:<27} {:<10} {:<8} {:<17} {:<12} {:<12} {:<6} {:<12} {}\n", "time", "event", "actor", "incident",
             "model@version", "config", "artefact", "eval", "staged@v", "approvers");
  for (const auto& row : rows) {
    const auto model = row.registered_model.empty() ? row.model_id
                                                    : fmt::format("{}@{}", row.registered_model,
                                                                  optional_number(row.model_version));
    const auto eval = row.evaluation_passed ? (*row.evaluation_passed ? "pass" : "FAIL") : "-";
    const auto approvers = json::parse(row.approvers, nullptr, false);
    std::vector<std::string> names;
    if (approvers.is_array()) {
      for (const auto& name : approvers) names.push_back(name.get<std::string>());
    }
    fmt::print("{:<27} {:<27} {:<10} {:<8} {:<17} {:<12} {:<12} {:<6} {:<12} {}\n", gov::utc_time_text(row.event_time_us),
               row.event, row.actor, row.incident_id.empty() ? "-" : row.incident_id, model.empty() ? "-" : model,
               row.feature_pipeline_version.empty() ? "-" : short_hash(row.feature_pipeline_version),
               row.artefact_sha256.empty() ? "-" : short_hash(row.artefact_sha256), eval,
               row.staged_version ? fmt::format("v{}{}", *row.staged_version,
                                                row.validation_passed && !*row.validation_passed ? " FAIL" : "")
                                  : "-",
               names.empty() ? "-" : fmt::format("{}", fmt::join(names, ",")));
  }
}

int run_view(ViewArguments args) {
  DRIFTGOV_USER_CHECK(args.format == "table" || args.format == "json" || args.format == "delta",
                      "--format: expected table, json or delta, got '{}'", args.format);
  if (args.target.json_output) {  // --json is --format json
    DRIFTGOV_USER_CHECK(args.format != "delta", "--json and --format delta: choose one");
    args.format = "json";
  }
  const auto config = args.target.load();
  // Writing the view as a table is a write into the target's lakehouse: an operator's; reading it a viewer's.
  std::optional<ActingPrincipal> writer;
  if (args.format == "delta") {
    writer = acting_principal(config, args.target.as, gov::Role::kOperator);
    if (!config.principals.empty() && !writer) {
      throw core::InputError(fmt::format("governance view: name the acting principal (role operator on target '{}') "
                                         "with --as NAME or DRIFTGOV_PRINCIPAL",
                                         config.target));
    }
  } else {
    check_reader(config, args.target.as);
  }
  std::map<std::string, std::map<std::string, std::string>> refresh_hashes;  // monitor -> refresh id -> hash
  gov::GovernedViewSources sources;
  sources.lakehouse = config.selected_target().lakehouse;
  sources.refresh_config_hash = [&](const std::string& monitor,
                                    const std::string& refresh_id) -> std::optional<std::string> {
    if (!refresh_hashes.contains(monitor)) {
      auto& hashes = refresh_hashes[monitor];
      for (const auto& m : config.monitors) {
        if (m.name != monitor) continue;
        for (const auto& record : monitor::read_refreshes(m)) hashes[record.refresh_id] = record.config_hash;
      }
    }
    const auto& hashes = refresh_hashes.at(monitor);
    const auto found = hashes.find(refresh_id);
    if (found == hashes.end() || found->second.empty()) return std::nullopt;
    return found->second;
  };
  const auto rows = gov::build_governed_view(sources, args.model);
  if (args.format == "json") {
    fmt::print("{}\n", gov::governed_view_json(rows).dump(2, ' ', false, json::error_handler_t::replace));
    return kExitOk;
  }
  if (args.format == "delta") {
    const auto table = gov::governed_view_table(sources.lakehouse);
    delta::TableWriteOptions options;
    options.mode = delta::WriteMode::kOverwrite;
    options.overwrite_schema = true;
    const auto batch = gov::governed_view_batch(rows);
    bool given = false;
    const auto written = delta::write_table(table, batch.schema,
                                            [&]() -> std::optional<core::RecordBatch> {
                                              if (given) return std::nullopt;
                                              given = true;
                                              return batch;
                                            },
                                            options);
    fmt::print("wrote {} rows to {} (version {})\n", rows.size(), table, written.version);
    return kExitOk;
  }
  if (rows.empty()) {
    fmt::print("no governance events in target {}{}\n", config.target,
               args.model.empty() ? "" : fmt::format(" for model {}", args.model));
    return kExitOk;
  }
  print_table(rows);
  return kExitOk;
}

}  // namespace

void register_governance_view(CLI::App& app) {
  auto args = std::make_shared<ViewArguments>();
  auto* governance = app.add_subcommand("governance", "The governed view of every governance event (docs/governance.md)");
  governance->require_subcommand(1);
  auto* view = governance->add_subcommand(
      "view", "One row per model version and event: drift, staged set, training, evaluation, approvals, promotion");
  args->target.add_to(view, "viewer (operator for --format delta)");
  view->add_option("--model", args->model, "Only the rows of this registered model (or model id)");
  view->add_option("--format", args->format, "table, json, or delta (writes <lakehouse>/governance/governed_view)")
      ->capture_default_str();
  add_verb(view, [args] { return run_view(*args); });
}

}  // namespace driftgov::cli
