#pragma once
// OpenLineage run events (docs/lineage.md): every governed job (a monitor refresh, training, evaluation, staging,
// promotion) emits START, then COMPLETE or FAIL, as OpenLineage 2-0-2 RunEvents with the dataset facets `schema`,
// `version` (the Delta version) and, on inputs, `dataQualityMetrics`. Events are appended to a JSON-lines file and
// POSTed to an OpenLineage endpoint when one is configured (`lineage:` in driftgov.yaml).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace driftgov::gov {

// `lineage:` in driftgov.yaml. Relative `file` paths resolve against the selected target's lakehouse.
struct LineageConfig {
  std::string job_namespace;  // `namespace`; default: the project's name
  std::string file;           // JSON-lines file the events are appended to; "" for none
  std::string url;            // the endpoint's base URL (events go to <url><endpoint>); "" for none
  std::string endpoint = "/api/v1/lineage";
  std::string api_key_env;    // an environment variable holding a bearer token for the endpoint; "" for none
  double timeout_seconds = 5.0;
  bool enabled() const { return !file.empty() || !url.empty(); }
};

// A column of the `schema` facet: Delta's type name ("long", "decimal(10,2)", "array<string>"); a struct is
// "struct" with its fields nested, as the facet's schema allows.
struct LineageField {
  std::string name;
  std::string type;
  std::vector<LineageField> fields;
};

// The column metrics of OpenLineage's DataQualityMetricsInputDatasetFacet.
struct LineageColumnMetrics {
  std::optional<std::int64_t> null_count, distinct_count;
  std::optional<double> sum, count, min, max;
};

struct LineageDataset {
  std::string dataset_namespace;  // "file" for a local path, "<scheme>://<authority>" for a URI (OpenLineage naming)
  std::string name;               // the path
  std::vector<LineageField> fields;      // the `schema` facet; left out when empty
  std::optional<std::int64_t> version;   // the `version` facet (a Delta table's version)
  std::optional<std::int64_t> row_count, file_count;  // `dataQualityMetrics` (inputs only)
  std::map<std::string, LineageColumnMetrics> columns;
};

enum class LineageEventType { kStart, kComplete, kFail };

struct LineageRun {
  std::string run_id;    // a UUID (version 7), one per run: START and COMPLETE/FAIL share it
  std::string job_name;  // "<monitor>.refresh", "model.train", ...
  std::string job_type;  // the JobTypeJobFacet's jobType: MONITOR_REFRESH, TRAIN, EVALUATE, STAGE, PROMOTE
  std::vector<LineageDataset> inputs, outputs;
};

// RFC 3339 text of an instant, UTC with microseconds: 2026-12-02T05:41:07.123456Z.
std::string utc_time_text(std::int64_t time_us);

// A new UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits (libsodium).
std::string new_lineage_run_id();

// The dataset named by a local path or a URI, by OpenLineage's naming rules; no facets.
LineageDataset lineage_dataset(const std::string& location);
// The same, with the `schema` and `version` facets of a Delta table at `version` (its latest version when
// nullopt). A location that holds no Delta table gives the dataset without facets.
LineageDataset delta_lineage_dataset(const std::string& table_root, std::optional<std::int64_t> version = std::nullopt);

// The events' `producer` URI: "urn:driftgov:<version>".
std::string lineage_producer(const std::string& driftgov_version);

// The RunEvent as JSON; `error` is the FAIL event's message.
nlohmann::json lineage_event(const LineageConfig& config, const LineageRun& run, LineageEventType type,
                             std::int64_t time_us, const std::string& driftgov_version, const std::string& error = "");

// Emits the events of the configured `lineage:`: appends each event's line to the file (under the file's lock,
// so concurrent jobs never interleave lines) and POSTs it to the endpoint. Writing the file is part of the job:
// a storage failure throws core::IOError. A failed POST (no connection, a non-2xx status) does not fail the job:
// it is returned as a warning for the caller to print, the event being in the file.
class LineageEmitter {
 public:
  LineageEmitter(LineageConfig config, std::string driftgov_version);
  bool enabled() const { return config_.enabled(); }
  // Returns the warnings of the POST (empty when it succeeded or no endpoint is configured).
  std::vector<std::string> emit(const LineageRun& run, LineageEventType type, const std::string& error = "");

 private:
  LineageConfig config_;
  std::string version_;
};

}  // namespace driftgov::gov
