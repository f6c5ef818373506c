#pragma once
// Exporting a monitor's results for the tools people already watch (docs/export.md): the consolidated
// dashboard document (an audit dashboard's or Splunk's input; docs/schemas/dashboard.schema.json), the same
// events as Splunk HTTP Event Collector envelopes, and a Databricks AI/BI (Lakeview) dashboard definition
// whose datasets are SQL over the monitor's metric tables (docs/schemas/lakeview-dashboard.schema.json).
//
// The document is built from the monitor's Delta tables as they are when it is called (one snapshot of each,
// named with its version in the document): <monitor>_profile_metrics, _drift_metrics, _breaches and
// refreshes. Every number in it carries its provenance: the table, the Delta version read and the refresh
// that wrote the row.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "driftgov/monitor/config.hpp"

namespace driftgov::dashboard {

// Draws charts from a dashboard document: (name, SVG text) pairs, e.g. ("psi_heatmap", "<svg ...>"). The
// chart module provides one; the document embeds each chart as a data URI under "charts".
using ChartRenderer =
    std::function<std::vector<std::pair<std::string, std::string>>(const nlohmann::json& document)>;

struct DocumentOptions {
  std::string driftgov_version = "0.1.0";
  std::int64_t now_us = 0;  // generated_at
  ChartRenderer charts;     // empty: no "charts" member
};

// Reads the monitor's tables and builds the dashboard document. Throws core::InputError when the monitor has
// no successful refresh yet or one of its tables is missing (naming the table and the command that writes
// it).
nlohmann::json dashboard_document(const monitor::Config& config, const monitor::MonitorConfig& monitor,
                                  const DocumentOptions& options);

struct HecOptions {
  std::string host;                  // the envelopes' `host`
  std::optional<std::string> index;  // the envelopes' `index`, when set
};

// The document's events as newline-delimited Splunk HTTP Event Collector envelopes, one per line: sourcetype
// driftgov:drift (each drift row of the document once), driftgov:breach (each breach) and driftgov:refresh
// (each refresh).
std::string splunk_hec_events(const nlohmann::json& document, const HecOptions& options);

struct LakeviewOptions {
  std::string catalog;  // Unity Catalog name; empty: two-part names (schema.table)
  std::string schema;   // empty: the monitor's output_schema
};

// A Databricks AI/BI (Lakeview) dashboard (.lvdash.json) over the monitor's two metric tables, named
// [catalog.]schema.<monitor>_profile_metrics and _drift_metrics. It needs only the configuration, not the
// data.
nlohmann::json lakeview_dashboard(const monitor::MonitorConfig& monitor, const LakeviewOptions& options);

}  // namespace driftgov::dashboard
