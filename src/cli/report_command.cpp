// driftgov report MONITOR --out DIR: the charts and report.html of a monitor's metric tables (docs/report.md).
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/report_output.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/report/monitor_report.hpp"
#include "driftgov/report/render.hpp"

namespace driftgov::cli {

void write_report_files(const report::ReportData& data, const std::string& folder, bool pdf, std::FILE* listing) {
  auto& storage = io::local_storage();
  const auto path = [&](const std::string& name) { return folder + "/" + name; };
  const auto charts = report::build_charts(data);
  io::write_file_atomically(storage, path("report.html"), report::build_html(data));
  fmt::print(listing, "report: {}\n", path("report.html"));
  for (const auto& chart : charts) {
    io::write_file_atomically(storage, path(chart.name + ".svg"), chart.svg);
    io::write_file_atomically(storage, path(chart.name + ".png"),
                              report::render_svg(chart.svg, report::ImageFormat::kPng));
    if (pdf) {
      io::write_file_atomically(storage, path(chart.name + ".pdf"),
                                report::render_svg(chart.svg, report::ImageFormat::kPdf));
    }
    fmt::print(listing, "png: {}\n", path(chart.name + ".png"));
  }
  if (!data.empty_reason.empty()) fmt::print(stderr, "driftgov: warning: {}\n", data.empty_reason);
}

namespace {

struct ReportArguments {
  std::string monitor;
  std::string config = "driftgov.yaml";
  std::string target;
  std::vector<std::string> variables;
  std::string from, to, granularity, slice, model = "*";
  std::string metric = "population_stability_index";
  std::size_t top = 5;
  std::string out;
  bool pdf = false;
};

int run_report(const ReportArguments& args) {
  if (args.out.empty()) throw CLI::RequiredError("--out");
  const auto config = monitor::load_config(args.config, config_load_options(args.target, args.variables));
  const auto& m = config.monitor(args.monitor);
  report::MonitorReportOptions options;
  options.granularity = args.granularity;
  if (!args.from.empty()) options.from_us = delta::parse_timestamp_us(args.from, "--from");
  if (!args.to.empty()) options.to_us = delta::parse_timestamp_us(args.to, "--to");
  if (options.from_us && options.to_us && *options.from_us >= *options.to_us) {
    throw core::InputError(fmt::format("--from {} must be before --to {}", args.from, args.to));
  }
  if (!args.slice.empty()) options.slice = split_assignment(args.slice, "--slice", SplitAt::kFirstEquals);
  options.model_id = args.model;
  options.metric = args.metric;
  options.top_n = args.top;
  write_report_files(report::monitor_report(m, options), args.out, args.pdf);
  return kExitOk;
}

}  // namespace

void register_report(CLI::App& app) {
  auto args = std::make_shared<ReportArguments>();
  auto* command = app.add_subcommand(
      "report", "Charts (SVG, PNG) and a one-file report.html of a monitor's metric tables (docs/report.md)");
  command->add_option("MONITOR", args->monitor, "The monitor of driftgov.yaml")->required();
  // Required, but checked when the verb runs, so that an excess argument is reported as such (as profile's -o).
  command->add_option("--out", args->out, "Folder to write report.html and the charts to (required)");
  command->add_option("--config", args->config, "The configuration file")->capture_default_str();
  command->add_option("--target", args->target, "Target (dev, staging, prod, ...); default: the default target");
  command->add_option("--var", args->variables, "Override a variable: NAME=VALUE (repeatable)");
  command->add_option("--from", args->from, "Windows starting at or after this instant (e.g. 2026-03-01)");
  command->add_option("--to", args->to, "Windows starting before this instant");
  command->add_option("--granularity", args->granularity, "Granularity of the windows (default: the monitor's first)");
  command->add_option("--slice", args->slice, "Report on the slice KEY=VALUE instead of the whole table");
  command->add_option("--model", args->model, "Model id shown when the monitor has model_id_col")->capture_default_str();
  command->add_option("--metric", args->metric, "Drift metric of the time series and heatmap")->capture_default_str();
  command->add_option("--top", args->top, "Features in the time series, distributions and gallery (0: all)")
      ->capture_default_str();
  command->add_flag("--pdf", args->pdf, "Write every chart as PDF too");
  add_verb(command, [args] { return run_report(*args); });
}

}  // namespace driftgov::cli
