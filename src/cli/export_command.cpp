// driftgov export MONITOR --format dashboard-json|splunk-hec|lakeview: a monitor's results for dashboards,
// Splunk and Databricks (docs/export.md).
#include <fmt/format.h>
#include <sys/utsname.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/dashboard/export.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::cli {
namespace {

struct ExportArguments {
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string name;
  std::string format = "dashboard-json";
  std::string out = "-";
  std::string index;
  std::string host;
  std::string catalog;
  std::string schema;
  bool embed_charts = false;
};

// The chart module's renderer, for --embed-charts; empty while this build has none.
dashboard::ChartRenderer chart_renderer() { return {}; }

std::string host_name() {
  utsname system{};
  if (uname(&system) != 0) return "localhost";
  return system.nodename;
}

int run_export(const ExportArguments& args) {
  const auto config = monitor::load_config(args.config, config_load_options(args.target, args.variables));
  const auto& monitor = config.monitor(args.name);
  const bool document_format = args.format == "dashboard-json";
  if (args.embed_charts && !document_format) {
    throw core::InputError(
        fmt::format("--embed-charts applies to --format dashboard-json, not {}", args.format));
  }
  if (!args.index.empty() && args.format != "splunk-hec") {
    throw core::InputError(fmt::format("--index applies to --format splunk-hec, not {}", args.format));
  }
  if ((!args.catalog.empty() || !args.schema.empty()) && args.format != "lakeview") {
    throw core::InputError(
        fmt::format("--catalog and --schema apply to --format lakeview, not {}", args.format));
  }
  std::string text;
  if (args.format == "lakeview") {
    text = dashboard::lakeview_dashboard(monitor, {args.catalog, args.schema}).dump(2) + "\n";
  } else {
    dashboard::DocumentOptions options;
    options.driftgov_version = DRIFTGOV_VERSION;
    options.now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    if (args.embed_charts) {
      options.charts = chart_renderer();
      if (!options.charts) {
        throw core::UnsupportedError("--embed-charts: this build has no chart renderer (docs/export.md)");
      }
    }
    const auto document = dashboard::dashboard_document(config, monitor, options);
    if (document_format) {
      text = document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      dashboard::HecOptions hec{args.host.empty() ? host_name() : args.host, std::nullopt};
      if (!args.index.empty()) hec.index = args.index;
      text = dashboard::splunk_hec_events(document, hec);
    }
  }
  if (args.out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    io::write_file_atomically(io::local_storage(), args.out, text);
    fmt::print(stderr, "{}: {} written to {}\n", monitor.name, args.format, args.out);
  }
  return kExitOk;
}

}  // namespace

void register_export(CLI::App& app) {
  auto args = std::make_shared<ExportArguments>();
  auto* command = app.add_subcommand("export",
                                     "A monitor's results as a dashboard document, Splunk HEC events or "
                                     "a Databricks AI/BI dashboard (docs/export.md)");
  command->add_option("MONITOR", args->name, "The monitor (a name in driftgov.yaml)")->required();
  command->add_option("--format", args->format, "dashboard-json (default), splunk-hec or lakeview")
      ->check(CLI::IsMember({"dashboard-json", "splunk-hec", "lakeview"}));
  command->add_option("--out", args->out, "Output file; - for stdout (default)");
  command->add_option("--config", args->config, "The configuration file")->capture_default_str();
  command->add_option("--target", args->target,
                      "Target (dev, staging, prod, ...); default: the default target");
  command->add_option("--var", args->variables, "Override a variable: NAME=VALUE (repeatable)");
  command->add_flag("--embed-charts", args->embed_charts,
                    "dashboard-json: embed the charts as SVG data URIs");
  command->add_option("--index", args->index, "splunk-hec: the Splunk index of every event");
  command->add_option("--host", args->host,
                      "splunk-hec: the host of every event (default: this machine's name)");
  command->add_option("--catalog", args->catalog, "lakeview: the Unity Catalog holding the metric tables");
  command->add_option("--schema", args->schema,
                      "lakeview: their schema (default: the monitor's output_schema)");
  add_verb(command, [args] { return run_export(*args); });
}

}  // namespace driftgov::cli
