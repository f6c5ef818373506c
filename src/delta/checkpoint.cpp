#include "driftgov/delta/checkpoint.hpp"

#include <fmt/format.h>

#include <chrono>
#include <set>
#include <nlohmann/json.hpp>

#include "delta/json_columns.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/parquet/reader.hpp"
#include "driftgov/parquet/writer.hpp"


namespace driftgov::delta {
namespace {

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

bool is_text(const DataType& type) { return type.id == TypeId::kString || type.id == TypeId::kBinary; }
bool is_integer(const DataType& type) { return type.is_integer(); }
bool is_boolean(const DataType& type) { return type.id == TypeId::kBoolean; }
bool is_struct(const DataType& type) { return type.id == TypeId::kStruct; }
bool is_text_map(const DataType& type) {
  return type.id == TypeId::kMap && is_text(type.children[0].type) && is_text(type.children[1].type);
}

// A child of a struct column by name when it has the expected kind of type; nullptr when absent. A present child
// of another type sets `mismatch` (parse_action would refuse it, so such rows take the JSON path).
const core::Column* child_of(const core::Column& parent, std::string_view name, bool (*fits)(const DataType&),
                             bool& mismatch) {
  for (std::size_t i = 0; i < parent.type.children.size(); ++i) {
    if (parent.type.children[i].name != name) continue;
    if (fits(parent.type.children[i].type)) return &parent.children[i];
    mismatch = true;
    return nullptr;
  }
  return nullptr;
}

// Reads add actions straight from the columns of a checkpoint's `add` struct: a checkpoint of a large table is
// almost all adds, and building a JSON object per row only to parse it again costs more than the Parquet decoding.
// A row the fast path cannot take exactly as parse_action would (a missing required field, a value out of range,
// an unexpected column type) goes through the JSON path, which also words the error.
class AddColumnReader {
 public:
  explicit AddColumnReader(const core::Column& add) {
    bool mismatch = false;
    path_ = child_of(add, "path", is_text, mismatch);
    partition_values_ = child_of(add, "partitionValues", is_text_map, mismatch);
    size_ = child_of(add, "size", is_integer, mismatch);
    modification_time_ = child_of(add, "modificationTime", is_integer, mismatch);
    data_change_ = child_of(add, "dataChange", is_boolean, mismatch);
    stats_ = child_of(add, "stats", is_text, mismatch);
    stats_parsed_ = child_of(add, "stats_parsed", is_struct, mismatch);
    tags_ = child_of(add, "tags", is_text_map, mismatch);
    deletion_vector_ = child_of(add, "deletionVector", is_struct, mismatch);
    base_row_id_ = child_of(add, "baseRowId", is_integer, mismatch);
    default_row_commit_version_ = child_of(add, "defaultRowCommitVersion", is_integer, mismatch);
    clustering_provider_ = child_of(add, "clusteringProvider", is_text, mismatch);
    if (deletion_vector_) {
      dv_storage_type_ = child_of(*deletion_vector_, "storageType", is_text, mismatch);
      dv_path_ = child_of(*deletion_vector_, "pathOrInlineDv", is_text, mismatch);
      dv_offset_ = child_of(*deletion_vector_, "offset", is_integer, mismatch);
      dv_size_ = child_of(*deletion_vector_, "sizeInBytes", is_integer, mismatch);
      dv_cardinality_ = child_of(*deletion_vector_, "cardinality", is_integer, mismatch);
    }
    usable_ = !mismatch && path_ && partition_values_ && size_ && modification_time_ && data_change_ &&
              (!deletion_vector_ || (dv_storage_type_ && dv_path_ && dv_size_ && dv_cardinality_));
  }

  // The add at `row`, or nullopt when the row must take the JSON path.
  std::optional<AddFile> read(std::int64_t row, const std::string& description) const {
    if (!usable_ || !path_->is_valid(row) || !partition_values_->is_valid(row) || !size_->is_valid(row) ||
        !modification_time_->is_valid(row) || !data_change_->is_valid(row)) {
      return std::nullopt;
    }
    const auto index = static_cast<std::size_t>(row);
    AddFile add;
    add.path = std::string(path_->string_at(row));
    if (add.path.empty()) return std::nullopt;
    const auto& entries = partition_values_->children[0];
    for (auto entry = partition_values_->offsets[index]; entry < partition_values_->offsets[index + 1]; ++entry) {
      if (!entries.children[0].is_valid(entry)) return std::nullopt;
      std::optional<std::string> value;
      if (entries.children[1].is_valid(entry)) value = std::string(entries.children[1].string_at(entry));
      add.partition_values.insert_or_assign(std::string(entries.children[0].string_at(entry)), std::move(value));
    }
    add.size = size_->ints[index];
    add.modification_time = modification_time_->ints[index];
    add.data_change = data_change_->ints[index] != 0;
    if (stats_ && stats_->is_valid(row)) {
      add.stats = std::string(stats_->string_at(row));
    } else if (stats_parsed_ && stats_parsed_->is_valid(row)) {
      // Checkpoints may carry stats only as a struct (delta.checkpoint.writeStatsAsJson = false).
      add.stats = dump_json(json_at(*stats_parsed_, row), description);
    }
    if (tags_ && tags_->is_valid(row)) {
      StringMap tags;
      const auto& tag_entries = tags_->children[0];
      for (auto entry = tags_->offsets[index]; entry < tags_->offsets[index + 1]; ++entry) {
        if (!tag_entries.children[0].is_valid(entry)) return std::nullopt;
        if (!tag_entries.children[1].is_valid(entry)) continue;
        tags.insert_or_assign(std::string(tag_entries.children[0].string_at(entry)),
                              std::string(tag_entries.children[1].string_at(entry)));
      }
      add.tags = std::move(tags);
    }
    if (deletion_vector_ && deletion_vector_->is_valid(row)) {
      if (!dv_storage_type_->is_valid(row) || !dv_path_->is_valid(row) || !dv_size_->is_valid(row) ||
          !dv_cardinality_->is_valid(row)) {
        return std::nullopt;
      }
      DeletionVectorDescriptor descriptor;
      const auto storage = dv_storage_type_->string_at(row);
      if (storage != "i" && storage != "u" && storage != "p") return std::nullopt;
      descriptor.storage_type = storage[0];
      descriptor.path_or_inline_dv = std::string(dv_path_->string_at(row));
      if (dv_offset_ && dv_offset_->is_valid(row)) {
        const auto offset = dv_offset_->ints[index];
        if (offset < 0 || offset > INT32_MAX) return std::nullopt;
        descriptor.offset = static_cast<std::int32_t>(offset);
      }
      const auto size = dv_size_->ints[index];
      if (size < 0 || size > INT32_MAX) return std::nullopt;
      descriptor.size_in_bytes = static_cast<std::int32_t>(size);
      descriptor.cardinality = dv_cardinality_->ints[index];
      if (descriptor.cardinality < 0) return std::nullopt;
      add.deletion_vector = std::move(descriptor);
    }
    if (base_row_id_ && base_row_id_->is_valid(row)) add.base_row_id = base_row_id_->ints[index];
    if (default_row_commit_version_ && default_row_commit_version_->is_valid(row)) {
      add.default_row_commit_version = default_row_commit_version_->ints[index];
    }
    if (clustering_provider_ && clustering_provider_->is_valid(row)) {
      add.clustering_provider = std::string(clustering_provider_->string_at(row));
    }
    return add;
  }

 private:
  bool usable_ = false;
  const core::Column* path_ = nullptr;
  const core::Column* partition_values_ = nullptr;
  const core::Column* size_ = nullptr;
  const core::Column* modification_time_ = nullptr;
  const core::Column* data_change_ = nullptr;
  const core::Column* stats_ = nullptr;
  const core::Column* stats_parsed_ = nullptr;
  const core::Column* tags_ = nullptr;
  const core::Column* deletion_vector_ = nullptr;
  const core::Column* base_row_id_ = nullptr;
  const core::Column* default_row_commit_version_ = nullptr;
  const core::Column* clustering_provider_ = nullptr;
  const core::Column* dv_storage_type_ = nullptr;
  const core::Column* dv_path_ = nullptr;
  const core::Column* dv_offset_ = nullptr;
  const core::Column* dv_size_ = nullptr;
  const core::Column* dv_cardinality_ = nullptr;
};

// The action of one checkpoint row through its JSON form (every action kind; the fallback for adds).
std::optional<Action> row_action(const core::RecordBatch& batch, std::int64_t row, const std::string& name) {
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
  return parse_action(object, ActionOrigin{fmt::format("{} (row {})", name, row), 0});
}

void parquet_actions(parquet::FileReader& reader, const ActionSink& sink) {
  const std::string& name = reader.description();
  // Only the action columns log replay uses (commitInfo and cdc change no table state).
  static const std::set<std::string> replayed = {"txn",      "add",           "remove",             "metaData",
                                                 "protocol", "domainMetadata", "checkpointMetadata", "sidecar"};
  std::vector<std::size_t> projection;
  for (std::size_t i = 0; i < reader.schema().fields.size(); ++i) {
    if (replayed.contains(reader.schema().fields[i].name)) projection.push_back(i);
  }
  if (projection.empty()) return;
  core::RecordBatch batch;
  for (int group = 0; group < reader.num_row_groups(); ++group) {
    reader.read_row_group(group, projection, batch);
    std::optional<std::size_t> add_index;
    std::optional<AddColumnReader> adds;
    for (std::size_t i = 0; i < batch.columns.size(); ++i) {
      if (batch.schema.fields[i].name == "add" && batch.columns[i].type.id == TypeId::kStruct) {
        add_index = i;
        adds.emplace(batch.columns[i]);
      }
    }
    for (std::int64_t row = 0; row < batch.num_rows; ++row) {
      if (add_index && batch.columns[*add_index].is_valid(row)) {
        // A row holds one action; the fast path only takes rows where the add is the only one.
        bool alone = true;
        for (std::size_t i = 0; i < batch.columns.size() && alone; ++i) {
          alone = i == *add_index || !batch.columns[i].is_valid(row);
        }
        if (alone) {
          if (auto add = adds->read(row, name)) {
            Action action(std::move(*add));
            sink(action);
            continue;
          }
        }
      }
      if (auto action = row_action(batch, row, name)) sink(*action);
    }
  }
}

void read_parquet_actions(const std::string& file, io::Storage& storage, const ActionSink& sink) {
  parquet::ReaderOptions options;
  options.storage = &storage;
  auto reader = parquet::FileReader::open(file, options);
  parquet_actions(reader, sink);
}

}  // namespace

std::vector<Action> parse_parquet_checkpoint(std::string bytes, const std::string& description) {
  auto reader = parquet::FileReader::open_memory(std::move(bytes), description);
  std::vector<Action> actions;
  parquet_actions(reader, [&](Action& action) { actions.push_back(std::move(action)); });
  return actions;
}

void write_checkpoint(const Snapshot& snapshot, io::Storage& storage) {
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

  const std::string log_directory = io::join_path(snapshot.table_root(), "_delta_log");
  const std::string path = io::join_path(log_directory, fmt::format("{:020d}.checkpoint.parquet", snapshot.version()));
  parquet::WriterOptions options;
  options.compression = parquet::Compression::kSnappy;
  options.storage = &storage;
  // Concurrent writers of one version's checkpoint write the same rows; the atomic rename keeps a whole file.
  parquet::write_parquet_file(path, batch, options);
  const json last = {{"version", snapshot.version()},
                     {"size", batch.num_rows},
                     {"sizeInBytes", storage.stat(path).value_or(io::FileInfo{}).size},
                     {"numOfAddFiles", snapshot.files().size()}};
  // _last_checkpoint may only move forward: a slower writer of an older checkpoint must not move it back.
  const auto previous = read_last_checkpoint(snapshot.table_root(), storage);
  if (!previous || previous->version < snapshot.version()) {
    io::write_file_atomically(storage, io::join_path(log_directory, "_last_checkpoint"), last.dump());
  }
}

std::vector<Action> parse_json_checkpoint(std::string_view text, const std::string& file_name) {
  return parse_commit(text, file_name);
}

void read_checkpoint(const CheckpointFiles& checkpoint, const LogListing& listing, const ActionSink& sink) {
  io::Storage& storage = listing.storage ? *listing.storage : io::local_storage();
  const auto forward = [&](const std::string& file, Action& action) {
    if (const auto* sidecar = std::get_if<SidecarFile>(&action)) {
      const std::string decoded = decode_path(sidecar->path, file);
      const std::string sidecar_path = decoded.starts_with("/") || decoded.starts_with("file:")
                                           ? (decoded.starts_with("file:") ? decoded.substr(5) : decoded)
                                           : io::join_path(io::join_path(listing.log_directory, "_sidecars"), decoded);
      read_parquet_actions(sidecar_path, storage, sink);
      return;
    }
    sink(action);
  };
  for (const auto& file : checkpoint.files) {
    if (file.ends_with(".json")) {
      for (auto& action : parse_json_checkpoint(read_file_text(file, storage), file)) forward(file, action);
    } else {
      read_parquet_actions(file, storage, [&](Action& action) { forward(file, action); });
    }
  }
}

}  // namespace driftgov::delta
