// Splunk HTTP Event Collector envelopes of the dashboard document's events (docs/export.md).
#include <fmt/format.h>

#include "driftgov/core/error.hpp"
#include "driftgov/dashboard/export.hpp"
#include "driftgov/delta/log.hpp"

namespace driftgov::dashboard {
namespace {

using nlohmann::json;

// Seconds since the epoch of an instant of the document ("2026-03-02T00:00:00Z", "...:00.250000Z").
double epoch_seconds(const json& instant) {
  if (!instant.is_string()) {
    throw core::InternalError(fmt::format("dashboard document: {} is not an instant", instant.dump()));
  }
  return static_cast<double>(delta::parse_timestamp_us(instant.get<std::string>(), "dashboard document")) /
         1e6;
}

class Writer {
 public:
  Writer(const json& document, const HecOptions& options) : document_(document), options_(options) {}

  void event(const char* sourcetype, const char* table, const json& time, json fields) {
    json envelope = {{"time", epoch_seconds(time)},
                     {"host", options_.host},
                     {"source", document_["tables"][table]["path"]},
                     {"sourcetype", sourcetype}};
    if (options_.index) envelope["index"] = *options_.index;
    fields["project"] = document_["project"];
    fields["target"] = document_["target"];
    fields["monitor"] = document_["monitor"];
    envelope["event"] = std::move(fields);
    out_ += envelope.dump(-1, ' ', false, json::error_handler_t::replace);
    out_ += '\n';
  }

  std::string take() { return std::move(out_); }

 private:
  const json& document_;
  const HecOptions& options_;
  std::string out_;
};

}  // namespace

std::string splunk_hec_events(const json& document, const HecOptions& options) {
  Writer writer(document, options);
  // Drift: every point of the whole-table trends, then the newest window of every slice (the whole table's
  // newest window is already among the trend points).
  for (const auto& series : document["trends"]) {
    for (const auto& point : series["points"]) {
      json event = point;
      for (const char* key : {"granularity", "drift_type", "model_id", "column", "data_type"}) {
        event[key] = series[key];
      }
      event["slice_key"] = nullptr;
      event["slice_value"] = nullptr;
      writer.event("driftgov:drift", "drift_metrics", point["window"]["start"], std::move(event));
    }
  }
  for (const auto& entry : document["status"]) {
    if (entry["slice_key"].is_null()) continue;
    const auto base = [&](json event) {
      for (const char* key :
           {"granularity", "drift_type", "model_id", "slice_key", "slice_value", "window"}) {
        event[key] = entry[key];
      }
      return event;
    };
    writer.event("driftgov:drift", "drift_metrics", entry["window"]["start"],
                 base({{"column", ":table"},
                       {"dataset_drift", entry["dataset_drift"]},
                       {"share_of_drifted_columns", entry["share_of_drifted_columns"]},
                       {"provenance", entry["provenance"]}}));
    for (const auto& column : entry["columns"]) {
      writer.event("driftgov:drift", "drift_metrics", entry["window"]["start"], base(column));
    }
  }
  for (const auto& breach : document["breaches"])
    writer.event("driftgov:breach", "breaches", breach["detected_at"], breach);
  for (const auto& refresh : document["refreshes"]) {
    const auto& time = refresh["end_time"].is_string() ? refresh["end_time"] : refresh["start_time"];
    writer.event("driftgov:refresh", "refreshes", time, refresh);
  }
  return writer.take();
}

}  // namespace driftgov::dashboard
