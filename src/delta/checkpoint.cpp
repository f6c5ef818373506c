#include "driftgov/delta/checkpoint.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "delta/json_columns.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/parquet/reader.hpp"
#include "driftgov/parquet/writer.hpp"


namespace driftgov::delta {
namespace {

namespace fs = std::filesystem;
using core::DataType;
using core::Field;
using core::TypeId;
using nlohmann::json;

Field field(std::string name, DataType type) { return Field{std::move(name), std::move(type), true, std::nullopt}; }

DataType struct_of(std::vector<Field> fields) {
  DataType type{TypeId::kStruct};
  type.children = std::move(fields);
  return type;
}

DataType string_map() {
  DataType type{TypeId::kMap};
  type.children = {Field{"key", DataType::string(), false, std::nullopt}, field("value", DataType::string())};
  return type;
}

DataType string_list() {
  DataType type{TypeId::kList};
  type.children = {field("element", DataType::string())};
  return type;
}

// The checkpoint row schema Spark writes (stats as JSON text), one struct column per action kind.
const core::Schema& checkpoint_schema() {
  static const core::Schema schema = [] {
    const DataType deletion_vector =
        struct_of({field("storageType", DataType::string()), field("pathOrInlineDv", DataType::string()),
                   field("offset", DataType::int32()), field("sizeInBytes", DataType::int32()),
                   field("cardinality", DataType::int64())});
    core::Schema built;
    built.fields = {
        field("txn", struct_of({field("appId", DataType::string()), field("version", DataType::int64()),
                                field("lastUpdated", DataType::int64())})),
        field("add", struct_of({field("path", DataType::string()), field("partitionValues", string_map()),
                                field("size", DataType::int64()), field("modificationTime", DataType::int64()),
                                field("dataChange", DataType::boolean()), field("stats", DataType::string()),
                                field("tags", string_map()), field("deletionVector", deletion_vector),
                                field("baseRowId", DataType::int64()),
                                field("defaultRowCommitVersion", DataType::int64()),
                                field("clusteringProvider", DataType::string())})),
        field("remove", struct_of({field("path", DataType::string()), field("deletionTimestamp", DataType::int64()),
                                   field("dataChange", DataType::boolean()),
                                   field("extendedFileMetadata", DataType::boolean()),
                                   field("partitionValues", string_map()), field("size", DataType::int64()),
                                   field("tags", string_map()), field("deletionVector", deletion_vector),
                                   field("baseRowId", DataType::int64()),
                                   field("defaultRowCommitVersion", DataType::int64())})),
        field("metaData",
              struct_of({field("id", DataType::string()), field("name", DataType::string()),
                         field("description", DataType::string()),
                         field("format", struct_of({field("provider", DataType::string()),
                                                    field("options", string_map())})),
                         field("schemaString", DataType::string()), field("partitionColumns", string_list()),
                         field("configuration", string_map()), field("createdTime", DataType::int64())})),
        field("protocol", struct_of({field("minReaderVersion", DataType::int32()),
                                     field("minWriterVersion", DataType::int32()),
                                     field("readerFeatures", string_list()), field("writerFeatures", string_list())})),
        field("domainMetadata", struct_of({field("domain", DataType::string()),
                                           field("configuration", DataType::string()),
                                           field("removed", DataType::boolean())})),
    };
    return built;
  }();
  return schema;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// delta.deletedFileRetentionDuration ("interval 7 days" by default): tombstones older than this are dropped.
std::int64_t tombstone_retention_ms(const StringMap& configuration) {
  std::int64_t retention = 7LL * 86400000LL;
  auto found = configuration.find("delta.deletedFileRetentionDuration");
  if (found == configuration.end()) return retention;
  std::string text = found->second;
  if (text.starts_with("interval ")) text = text.substr(9);
  try {
    std::size_t used = 0;
    const std::int64_t count = std::stoll(text, &used);
    std::string unit = text.substr(used);
    while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    if (unit.ends_with("s")) unit.pop_back();
    if (unit == "day") retention = count * 86400000LL;
    else if (unit == "hour") retention = count * 3600000LL;
    else if (unit == "minute") retention = count * 60000LL;
    else if (unit == "second") retention = count * 1000LL;
    else if (unit == "week") retention = count * 7 * 86400000LL;
  } catch (const std::exception&) {
    // An unreadable interval keeps the default.
  }
  return retention;
}

void write_text_atomically(const fs::path& path, const std::string& text) {
  const fs::path temp = path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(), now_ms());
  {
    std::ofstream stream(temp, std::ios::binary | std::ios::trunc);
    stream << text;
    if (!stream.flush()) throw core::InputError(fmt::format("{}: cannot write", temp.string()));
  }
  fs::rename(temp, path);
}

std::vector<Action> parquet_actions(parquet::FileReader& reader) {
  const std::string& name = reader.description();
  std::vector<Action> actions;
  for (int group = 0; group < reader.num_row_groups(); ++group) {
    const auto batch = reader.read_row_group(group);
    for (std::int64_t row = 0; row < batch.num_rows; ++row) {
      json object = json::object();
      for (std::size_t column = 0; column < batch.columns.size(); ++column) {
        if (!batch.columns[column].is_valid(row)) continue;
        json value = json_at(batch.columns[column], row);
        // Some writers leave the struct of an absent action present with every field null.
        if (value.is_object() && std::all_of(value.begin(), value.end(), [](const json& item) { return item.is_null(); })) {
          continue;
        }
        object[batch.schema.fields[column].name] = std::move(value);
      }
      // Checkpoints may carry stats only as a struct (delta.checkpoint.writeStatsAsJson = false).
      if (auto add = object.find("add"); add != object.end() && add->is_object()) {
        auto parsed = add->find("stats_parsed");
        const bool has_text = add->contains("stats") && !(*add)["stats"].is_null();
        if (!has_text && parsed != add->end() && parsed->is_object()) (*add)["stats"] = dump_json(*parsed, name);
      }
      if (auto action = parse_action(object, ActionOrigin{fmt::format("{} (row {})", name, row), 0})) {
        actions.push_back(std::move(*action));
      }
    }
  }
  return actions;
}

std::vector<Action> read_parquet_actions(const fs::path& file) {
  auto reader = parquet::FileReader::open(file.string());
  return parquet_actions(reader);
}

}  // namespace

std::vector<Action> parse_parquet_checkpoint(std::string bytes, const std::string& description) {
  auto reader = parquet::FileReader::open_memory(std::move(bytes), description);
  return parquet_actions(reader);
}

void write_checkpoint(const Snapshot& snapshot) {
  std::vector<Action> actions;
  actions.emplace_back(snapshot.protocol());
  actions.emplace_back(snapshot.metadata());
  for (const auto& [app_id, txn] : snapshot.transactions()) actions.emplace_back(txn);
  for (const auto& [domain, metadata] : snapshot.domains()) actions.emplace_back(metadata);
  for (const auto& add : snapshot.files()) actions.emplace_back(add);
  const std::int64_t horizon = now_ms() - tombstone_retention_ms(snapshot.metadata().configuration);
  for (const auto& remove : snapshot.tombstones()) {
    if (remove.deletion_timestamp.value_or(0) > horizon) actions.emplace_back(remove);
  }

  const auto& schema = checkpoint_schema();
  core::RecordBatch batch;
  batch.schema = schema;
  for (const auto& column : schema.fields) batch.columns.push_back(make_column(column.type));
  for (const auto& action : actions) {
    const json object = action_to_json(action);
    // An action serialises as {"kind": {...}}. Take key and value from a named iterator: a structured binding
    // to `*object.items().begin()` would refer to a temporary proxy that dies at the end of the statement.
    const auto first = object.begin();
    const std::string& kind = first.key();
    const json& value = first.value();
    for (std::size_t i = 0; i < schema.fields.size(); ++i) {
      append_json(batch.columns[i], schema.fields[i].name == kind ? value : json(nullptr),
                  fmt::format("checkpoint {}", schema.fields[i].name));
    }
  }
  batch.num_rows = static_cast<std::int64_t>(actions.size());

  const fs::path log_directory = snapshot.table_root() / "_delta_log";
  const fs::path path = log_directory / fmt::format("{:020d}.checkpoint.parquet", snapshot.version());
  parquet::WriterOptions options;
  options.compression = parquet::Compression::kSnappy;
  // Concurrent writers of one version's checkpoint write the same rows; the atomic rename keeps a whole file.
  parquet::write_parquet_file(path.string(), batch, options);
  const json last = {{"version", snapshot.version()},
                     {"size", batch.num_rows},
                     {"sizeInBytes", static_cast<std::int64_t>(fs::file_size(path))},
                     {"numOfAddFiles", snapshot.files().size()}};
  // _last_checkpoint may only move forward: a slower writer of an older checkpoint must not move it back.
  const auto listing = list_log(snapshot.table_root());
  if (!listing.last_checkpoint || listing.last_checkpoint->version < snapshot.version()) {
    write_text_atomically(log_directory / "_last_checkpoint", last.dump());
  }
}

std::vector<Action> parse_json_checkpoint(std::string_view text, const std::string& file_name) {
  return parse_commit(text, file_name);
}

std::vector<Action> read_checkpoint(const CheckpointFiles& checkpoint, const LogListing& listing) {
  std::vector<Action> actions;
  for (const auto& file : checkpoint.files) {
    std::vector<Action> part = file.extension() == ".json" ? parse_json_checkpoint(read_file_text(file), file.string())
                                                           : read_parquet_actions(file);
    for (auto& action : part) {
      if (const auto* sidecar = std::get_if<SidecarFile>(&action)) {
        const std::string decoded = decode_path(sidecar->path, file.string());
        const fs::path sidecar_path = decoded.starts_with("/") || decoded.starts_with("file:")
                                          ? fs::path(decoded.starts_with("file:") ? decoded.substr(5) : decoded)
                                          : listing.log_directory / "_sidecars" / decoded;
        for (auto& sidecar_action : read_parquet_actions(sidecar_path)) actions.push_back(std::move(sidecar_action));
        continue;
      }
      actions.push_back(std::move(action));
    }
  }
  return actions;
}

}  // namespace driftgov::delta
