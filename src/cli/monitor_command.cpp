// driftgov monitor run|list|status|history: refreshing the monitors of driftgov.yaml and reading their refresh
// records (docs/monitoring.md).
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/governance.hpp"
#include "cli/lineage_job.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/monitor/config.hpp"
#include "driftgov/monitor/refresh.hpp"

namespace driftgov::cli {
namespace {

using nlohmann::json;

struct MonitorArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string name;
  bool all = false;
  bool full = false;
  bool due = false;
  double wait = 0.0;
  bool json_output = false;
  std::int64_t limit = 20;
  std::string as;
};

monitor::Config load(const MonitorArguments& args) {
  return monitor::load_config(args.config, config_load_options(args.target, args.variables));
}

std::string instant_or_dash(const std::optional<std::int64_t>& instant) {
  return instant ? monitor::format_instant(*instant) : "-";
}

std::string version_or_dash(const std::optional<std::int64_t>& version) {
  return version ? std::to_string(*version) : "-";
}

json record_json(const monitor::RefreshRecord& r) {
  json j = {{"refresh_id", r.refresh_id}, {"monitor", r.monitor},       {"target", r.target},
            {"state", r.state},           {"trigger", r.trigger},       {"full_refresh", r.full},
            {"start_time", monitor::format_instant(r.start_time_us)},   {"rows_read", r.rows_read},
            {"windows_touched", r.windows_touched},                     {"null_timestamp_rows", r.null_timestamp_rows},
            {"monitor_version", r.monitor_version},                     {"config_hash", r.config_hash}};
  j["end_time"] = r.end_time_us ? json(monitor::format_instant(*r.end_time_us)) : json(nullptr);
  j["table_version_from"] = r.version_from ? json(*r.version_from) : json(nullptr);
  j["table_version_to"] = r.version_to ? json(*r.version_to) : json(nullptr);
  j["message"] = r.message.empty() ? json(nullptr) : json(r.message);
  return j;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int run_refresh(const MonitorArguments& args) {
  const auto config = load(args);
  std::vector<const monitor::MonitorConfig*> chosen;
  if (args.all || args.due) {
    for (const auto& m : config.monitors) chosen.push_back(&m);
  } else if (!args.name.empty()) {
    chosen.push_back(&config.monitor(args.name));
  } else {
    throw core::InputError("monitor run: name a monitor, or pass --all or --due");
  }
  // With principals, the acting principal needs `operator` and signs one audit entry per refresh that wrote and
  // the incidents its breaches open or join. Governance on means every refresh has a signer: none named is refused.
  std::optional<ActingPrincipal> actor;
  if (!config.principals.empty() || !args.as.empty()) {
    actor = acting_principal(config, args.as, gov::Role::kOperator);
    if (!actor) {
      throw core::InputError(fmt::format("monitor run: the configuration declares principals, so a refresh is signed: "
                                         "name the acting principal (role operator on target '{}') with --as NAME or "
                                         "DRIFTGOV_PRINCIPAL",
                                         config.target));
    }
  }
  json results = json::array();
  int code = kExitOk;
  for (const auto* m : chosen) {
    if (args.due) {
      if (!m->schedule) {
        if (!args.json_output) fmt::print("{}: no schedule, skipped\n", m->name);
        continue;
      }
      std::optional<std::int64_t> last_success;
      for (const auto& r : monitor::read_refreshes(*m)) {
        if (r.state == "SUCCESS") last_success = r.start_time_us;
      }
      if (!monitor::is_due(m->schedule->cron, m->schedule->zone, last_success, now_us())) {
        if (!args.json_output) fmt::print("{}: not due (last success {})\n", m->name, instant_or_dash(last_success));
        continue;
      }
    }
    monitor::RefreshOptions options;
    options.full = args.full;
    options.wait_seconds = args.wait;
    options.trigger = args.due ? "SCHEDULE" : "MANUAL";
    options.driftgov_version = DRIFTGOV_VERSION;
    monitor::RefreshSummary summary;
    try {
      LineageJob lineage(config, m->name + ".refresh", "MONITOR_REFRESH");
      if (lineage.enabled()) lineage.run().inputs = {gov::delta_lineage_dataset(m->table)};
      summary = lineage.around([&] { return monitor::refresh_monitor(config, *m, options); },
                               [&](const monitor::RefreshSummary& done, gov::LineageRun& run) {
                                 auto input = gov::delta_lineage_dataset(m->table, done.version_to);
                                 input.row_count = done.rows_read;
                                 input.file_count = done.files_read;
                                 run.inputs = {std::move(input)};
                                 run.outputs.clear();
                                 for (const auto& table : {monitor::profile_metrics_table(*m),
                                                           monitor::drift_metrics_table(*m),
                                                           monitor::breaches_table(*m)}) {
                                   auto output = gov::delta_lineage_dataset(table);
                                   if (output.version) run.outputs.push_back(std::move(output));
                                 }
                               });
    } catch (const monitor::MonitorBusyError& error) {
      fmt::print(stderr, "driftgov: {}\n", error.what());
      code = kExitBusy;
      continue;
    }
    std::vector<gov::BreachOutcome> incidents;
    json staged = json::array();
    if (actor && summary.state == "SUCCESS") {
      append_monitor_refresh_entry(config, actor->name, actor->key, summary);
      incidents = record_monitor_breaches(config, *m, *actor, summary);
      staged = auto_stage_incidents(config, *m, *actor, incidents);
    }
    if (args.json_output) {
      json j = monitor::summary_json(summary);
      j["incidents"] = json::array();
      for (const auto& incident : incidents) {
        j["incidents"].push_back({{"incident_id", incident.incident_id}, {"opened", incident.opened},
                                  {"breach_ids", incident.recorded}});
      }
      if (!staged.empty()) j["auto_stage"] = staged;
      results.push_back(std::move(j));
      continue;
    }
    if (summary.state == "UP_TO_DATE") {
      fmt::print("{}: up to date at table version {} (nothing written)\n", m->name, summary.version_to);
      continue;
    }
    fmt::print("{}: {} {} refresh of versions {}..{}: {} rows from {} files, {} windows written ({} recomputed), "
               "{:.2f} s\n",
               m->name, summary.state, summary.full ? "full" : "incremental", version_or_dash(summary.version_from),
               summary.version_to, summary.rows_read, summary.files_read, summary.windows_touched,
               summary.windows_recomputed, summary.seconds);
    if (summary.null_timestamp_rows > 0) {
      fmt::print("  {} rows have a null or unreadable {} and belong to no window\n", summary.null_timestamp_rows,
                 m->timestamp_col);
    }
    fmt::print("  tables: {}\n          {}\n", monitor::profile_metrics_table(*m), monitor::drift_metrics_table(*m));
    fmt::print("  telemetry: {}\n", summary.telemetry_path);
    if (!summary.breaches.empty()) {
      fmt::print("  {} breaches (table {}):\n", summary.breaches.size(), monitor::breaches_table(*m));
      std::size_t shown = 0;
      for (const auto& b : summary.breaches) {
        if (++shown > 10) {
          fmt::print("    ... and {} more\n", summary.breaches.size() - 10);
          break;
        }
        fmt::print("    [{}] {} {} window {}{}{}{}: {} = {}\n", b.breach_id.substr(0, 12), b.rule,
                   b.granularity, monitor::format_instant(b.window_start),
                   b.slice_key ? fmt::format(" slice {}={}", *b.slice_key, b.slice_value.value_or("NULL")) : "",
                   b.model_id ? fmt::format(" model {}", *b.model_id) : "",
                   b.column_name == ":table" ? "" : " column " + b.column_name, b.metric,
                   b.value ? fmt::format("{:.6g}", *b.value) : "-");
      }
    }
    for (const auto& incident : incidents) {
      fmt::print("  incident {}: {} ({} breach{})\n", incident.incident_id, incident.opened ? "opened" : "breaches attached",
                 incident.recorded.size(), incident.recorded.size() == 1 ? "" : "es");
    }
    for (const auto& outcome : staged) {
      if (outcome.contains("message")) fmt::print("  {}\n", outcome.at("message").get<std::string>());
    }
  }
  if (args.json_output) fmt::print("{}\n", results.dump(2, ' ', false, json::error_handler_t::replace));
  return code;
}

int run_list(const MonitorArguments& args) {
  const auto config = load(args);
  json out = json::array();
  if (!args.json_output) {
    fmt::print("target {} ({}), lakehouse {}\n", config.target, config.selected_target().mode,
               config.selected_target().lakehouse);
  }
  for (const auto& m : config.monitors) {
    const auto records = monitor::read_refreshes(m);
    const monitor::RefreshRecord* last = records.empty() ? nullptr : &records.back();
    if (args.json_output) {
      json j = {{"monitor", m.name}, {"table", m.table}, {"profile_type", monitor::to_string(m.profile_type)}};
      j["last_refresh"] = last ? record_json(*last) : json(nullptr);
      out.push_back(std::move(j));
      continue;
    }
    fmt::print("{:<24} {:<14} {}  last refresh: {}\n", m.name, monitor::to_string(m.profile_type), m.table,
               last ? fmt::format("{} {} (version {})", last->state, monitor::format_instant(last->start_time_us),
                                  version_or_dash(last->version_to))
                    : "never");
  }
  if (args.json_output) fmt::print("{}\n", out.dump(2, ' ', false, json::error_handler_t::replace));
  return kExitOk;
}

int run_history(const MonitorArguments& args, bool latest_only) {
  const auto config = load(args);
  const auto& m = config.monitor(args.name);
  auto records = monitor::read_refreshes(m);
  if (latest_only && records.size() > 1) records.erase(records.begin(), records.end() - 1);
  if (!latest_only && args.limit > 0 && static_cast<std::int64_t>(records.size()) > args.limit) {
    records.erase(records.begin(), records.end() - args.limit);
  }
  if (args.json_output) {
    json out = json::array();
    for (const auto& r : records) out.push_back(record_json(r));
    fmt::print("{}\n", (latest_only ? (out.empty() ? json(nullptr) : out.back()) : out).dump(2, ' ', false, json::error_handler_t::replace));
    return kExitOk;
  }
  if (records.empty()) {
    fmt::print("{}: never refreshed\n", m.name);
    return kExitOk;
  }
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    const auto& r = *it;
    fmt::print("{}  {:<8} {:<9} {:<11} versions {}..{}  rows {}  windows {}  {}{}\n", r.refresh_id,
               r.state, r.trigger, r.full ? "full" : "incremental", version_or_dash(r.version_from),
               version_or_dash(r.version_to), r.rows_read, r.windows_touched, monitor::format_instant(r.start_time_us),
               r.message.empty() ? "" : "  " + r.message);
  }
  return kExitOk;
}

}  // namespace

void register_monitor(CLI::App& app) {
  auto args = std::make_shared<MonitorArguments>();
  auto* command = app.add_subcommand("monitor", "Monitors of driftgov.yaml: run, list, status, history "
                                                "(docs/monitoring.md)");
  command->require_subcommand(1);
  const auto add_config = [&](CLI::App* sub) {
    sub->add_option("--config", args->config, "The configuration file")->capture_default_str();
    sub->add_option("--target", args->target, "Target (dev, staging, prod, ...); default: the default target");
    sub->add_option("--var", args->variables, "Override a variable: NAME=VALUE (repeatable)");
    sub->add_flag("--json", args->json_output, "Print JSON");
  };
  auto* run = command->add_subcommand("run", "Refresh monitors: incremental unless --full");
  run->add_option("NAME", args->name, "The monitor to refresh");
  run->add_flag("--all", args->all, "Refresh every monitor");
  run->add_flag("--due", args->due, "Refresh the monitors whose schedule fired since their last success");
  run->add_flag("--full", args->full, "Recompute every window from the table's current version");
  run->add_option("--wait", args->wait, "Seconds to wait for a running refresh of the same monitor (default 0)");
  run->add_option("--as", args->as, "Acting principal (default: DRIFTGOV_PRINCIPAL): needs role operator; signs the "
                                    "audit entry of each refresh");
  add_config(run);
  add_verb(run, [args] { return run_refresh(*args); });
  auto* list = command->add_subcommand("list", "Monitors and their last refresh");
  add_config(list);
  add_verb(list, [args] { return run_list(*args); });
  auto* status = command->add_subcommand("status", "The latest refresh of a monitor");
  status->add_option("NAME", args->name, "Monitor")->required();
  add_config(status);
  add_verb(status, [args] { return run_history(*args, true); });
  auto* history = command->add_subcommand("history", "Refreshes of a monitor, newest first");
  history->add_option("NAME", args->name, "Monitor")->required();
  history->add_option("--limit", args->limit, "Show at most this many (default 20; 0: all)");
  add_config(history);
  add_verb(history, [args] { return run_history(*args, false); });
}

}  // namespace driftgov::cli
