#include "driftgov/gov/lineage.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/schema.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/io/http.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::gov {
namespace {

using nlohmann::json;

// The versions of the OpenLineage specification and facets these events follow.
constexpr const char* kRunEventSchema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
constexpr const char* kSchemaFacet = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
constexpr const char* kVersionFacet =
    "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet";
constexpr const char* kQualityFacet =
    "https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/"
    "DataQualityMetricsInputDatasetFacet";
constexpr const char* kJobTypeFacet = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";
constexpr const char* kErrorFacet =
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";
constexpr const char* kEngineFacet =
    "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet";
constexpr double kLockWaitSeconds = 30.0;

json facet(const std::string& producer, const char* schema_url) {
  return json{{"_producer", producer}, {"_schemaURL", schema_url}};
}

}  // namespace

std::string utc_time_text(std::int64_t time_us) {
  const std::int64_t seconds = time_us >= 0 ? time_us / 1000000 : (time_us - 999999) / 1000000;
  const std::int64_t micros = time_us - seconds * 1000000;
  const auto day_point = std::chrono::sys_seconds(std::chrono::seconds(seconds));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", day_point, micros);
}

namespace {

const char* type_name(LineageEventType type) {
  switch (type) {
    case LineageEventType::kStart: return "START";
    case LineageEventType::kComplete: return "COMPLETE";
    case LineageEventType::kFail: return "FAIL";
  }
  return "OTHER";
}

json fields_json(const std::vector<LineageField>& fields) {
  json out = json::array();
  for (const auto& field : fields) {
    json item{{"name", field.name}, {"type", field.type}};
    if (!field.fields.empty()) item["fields"] = fields_json(field.fields);
    out.push_back(std::move(item));
  }
  return out;
}

LineageField lineage_field(const std::string& name, const core::DataType& type) {
  LineageField field{name, delta::delta_type_name(type), {}};
  if (type.id == core::TypeId::kStruct) {
    field.type = "struct";
    for (const auto& child : type.children) field.fields.push_back(lineage_field(child.name, child.type));
  }
  return field;
}

json dataset_json(const LineageDataset& dataset, const std::string& producer, bool input) {
  json out{{"namespace", dataset.dataset_namespace}, {"name", dataset.name}, {"facets", json::object()}};
  if (!dataset.fields.empty()) {
    out["facets"]["schema"] = facet(producer, kSchemaFacet);
    out["facets"]["schema"]["fields"] = fields_json(dataset.fields);
  }
  if (dataset.version) {
    out["facets"]["version"] = facet(producer, kVersionFacet);
    out["facets"]["version"]["datasetVersion"] = std::to_string(*dataset.version);
  }
  out[input ? "inputFacets" : "outputFacets"] = json::object();
  if (input && (dataset.row_count || dataset.file_count || !dataset.columns.empty())) {
    json metrics = facet(producer, kQualityFacet);
    if (dataset.row_count) metrics["rowCount"] = *dataset.row_count;
    if (dataset.file_count) metrics["fileCount"] = *dataset.file_count;
    json columns = json::object();
    for (const auto& [name, column] : dataset.columns) {
      json c = json::object();
      if (column.null_count) c["nullCount"] = *column.null_count;
      if (column.distinct_count) c["distinctCount"] = *column.distinct_count;
      if (column.sum) c["sum"] = *column.sum;
      if (column.count) c["count"] = *column.count;
      if (column.min) c["min"] = *column.min;
      if (column.max) c["max"] = *column.max;
      columns[name] = std::move(c);
    }
    metrics["columnMetrics"] = std::move(columns);  // required by the facet's schema
    out["inputFacets"]["dataQualityMetrics"] = std::move(metrics);
  }
  return out;
}

std::string base_url(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  return url;
}

}  // namespace

std::string new_lineage_run_id() {
  if (sodium_init() < 0) throw core::IOError("libsodium", "initialise", 0, "sodium_init failed");
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  bytes[6] = static_cast<unsigned char>(0x70 | (bytes[6] & 0x0f));  // version 7
  bytes[8] = static_cast<unsigned char>(0x80 | (bytes[8] & 0x3f));  // RFC 9562 variant
  std::string hex;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", bytes[i]);
  }
  return hex;
}

LineageDataset lineage_dataset(const std::string& location) {
  LineageDataset dataset;
  const auto scheme_end = location.find("://");
  if (scheme_end != std::string::npos && location.compare(0, scheme_end, "file") != 0) {
    const auto path_start = location.find('/', scheme_end + 3);
    dataset.dataset_namespace = location.substr(0, path_start);
    dataset.name = path_start == std::string::npos ? "/" : location.substr(path_start);
  } else {
    dataset.dataset_namespace = "file";
    dataset.name = io::absolute_local_path(scheme_end == std::string::npos ? location : location.substr(scheme_end + 3));
  }
  return dataset;
}

LineageDataset delta_lineage_dataset(const std::string& table_root, std::optional<std::int64_t> version) {
  LineageDataset dataset = lineage_dataset(table_root);
  std::optional<delta::Snapshot> snapshot;
  if (version) {
    snapshot = delta::Snapshot::load(table_root, delta::TimeTravel{version, std::nullopt});
  } else {
    snapshot = delta::Snapshot::load_latest_if_any(table_root);
  }
  if (!snapshot) return dataset;
  dataset.version = snapshot->version();
  for (const auto& field : snapshot->schema().schema.fields) {
    dataset.fields.push_back(lineage_field(field.name, field.type));
  }
  return dataset;
}

std::string lineage_producer(const std::string& driftgov_version) { return "urn:driftgov:" + driftgov_version; }

json lineage_event(const LineageConfig& config, const LineageRun& run, LineageEventType type, std::int64_t time_us,
                   const std::string& driftgov_version, const std::string& error) {
  const std::string producer = lineage_producer(driftgov_version);
  json job_facets = json::object();
  job_facets["jobType"] = facet(producer, kJobTypeFacet);
  job_facets["jobType"]["processingType"] = "BATCH";
  job_facets["jobType"]["integration"] = "DRIFTGOV";
  job_facets["jobType"]["jobType"] = run.job_type;
  json run_facets = json::object();
  run_facets["processing_engine"] = facet(producer, kEngineFacet);
  run_facets["processing_engine"]["name"] = "driftgov";
  run_facets["processing_engine"]["version"] = driftgov_version;
  if (type == LineageEventType::kFail) {
    run_facets["errorMessage"] = facet(producer, kErrorFacet);
    run_facets["errorMessage"]["message"] = error;
    run_facets["errorMessage"]["programmingLanguage"] = "C++";
  }
  json inputs = json::array();
  json outputs = json::array();
  for (const auto& dataset : run.inputs) inputs.push_back(dataset_json(dataset, producer, true));
  for (const auto& dataset : run.outputs) outputs.push_back(dataset_json(dataset, producer, false));
  return json{{"eventType", type_name(type)},
              {"eventTime", utc_time_text(time_us)},
              {"producer", producer},
              {"schemaURL", kRunEventSchema},
              {"run", {{"runId", run.run_id}, {"facets", std::move(run_facets)}}},
              {"job", {{"namespace", config.job_namespace}, {"name", run.job_name}, {"facets", std::move(job_facets)}}},
              {"inputs", std::move(inputs)},
              {"outputs", std::move(outputs)}};
}

LineageEmitter::LineageEmitter(LineageConfig config, std::string driftgov_version)
    : config_(std::move(config)), version_(std::move(driftgov_version)) {}

std::vector<std::string> LineageEmitter::emit(const LineageRun& run, LineageEventType type, const std::string& error) {
  std::vector<std::string> warnings;
  if (!config_.enabled()) return warnings;
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string line = lineage_event(config_, run, type, now, version_, error).dump(-1, ' ', false,
                                                                                         json::error_handler_t::replace);
  if (!config_.file.empty()) {
    auto& storage = io::local_storage();
    const std::string lock_path = config_.file + ".lock";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kLockWaitSeconds);
    std::unique_ptr<io::Storage::Lock> lock;
    while (!(lock = storage.try_lock(lock_path))) {
      if (std::chrono::steady_clock::now() >= deadline) {
        throw core::IOError(config_.file, "append a lineage event", 0,
                            fmt::format("another process holds the lock {} (waited {:.0f} s)", lock_path,
                                        kLockWaitSeconds));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string contents = storage.stat(config_.file) ? io::read_file(storage, config_.file) : std::string();
    if (!contents.empty() && !contents.ends_with('\n')) contents += '\n';
    contents += line;
    contents += '\n';
    io::write_file_atomically(storage, config_.file, contents);
  }
  if (!config_.url.empty()) {
    const std::string target = base_url(config_.url) + config_.endpoint;
    std::vector<std::string> headers{"Content-Type: application/json"};
    if (!config_.api_key_env.empty()) {
      const char* token = std::getenv(config_.api_key_env.c_str());
      if (token == nullptr || *token == '\0') {
        warnings.push_back(fmt::format("lineage: {} is not set; the event was posted without a token",
                                       config_.api_key_env));
      } else {
        headers.push_back(fmt::format("Authorization: Bearer {}", token));
      }
    }
    try {
      const auto response = io::http_post(target, line, headers, config_.timeout_seconds);
      if (response.status < 200 || response.status > 299) {
        warnings.push_back(fmt::format("lineage: POST {} answered HTTP {}: {}", target, response.status,
                                       response.body.substr(0, 200)));
      }
    } catch (const std::exception& failure) {
      warnings.push_back(fmt::format("lineage: {} (the {} event of run {}{})", failure.what(), type_name(type),
                                     run.run_id, config_.file.empty() ? " was not recorded" : " is in the file"));
    }
  }
  return warnings;
}

}  // namespace driftgov::gov
