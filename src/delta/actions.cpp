#include "driftgov/delta/actions.hpp"

#include <fmt/format.h>

#include "driftgov/core/error.hpp"

namespace driftgov::delta {
namespace {

using nlohmann::json;

// Reads the fields of one action object, naming origin, action and field in every error.
class FieldReader {
 public:
  FieldReader(const json& object, const ActionOrigin& origin, std::string_view action)
      : object_(object), origin_(origin), action_(action) {
    if (!object_.is_object()) fail("", "an object");
  }

  [[noreturn]] void fail(std::string_view field, std::string_view expected) const {
    const std::string where =
        origin_.line > 0 ? fmt::format("{}: line {}", origin_.file, origin_.line) : origin_.file;
    const std::string name = field.empty() ? std::string(action_) : fmt::format("{}.{}", action_, field);
    throw core::InputError(fmt::format("{}: field '{}': expected {}", where, name, expected));
  }

  const json* find(std::string_view field) const {
    auto found = object_.find(std::string(field));
    if (found == object_.end() || found->is_null()) return nullptr;
    return &*found;
  }

  const json& need(std::string_view field, std::string_view expected) const {
    const json* value = find(field);
    if (!value) fail(field, fmt::format("{} (the field is required)", expected));
    return *value;
  }

  std::string string(std::string_view field) const { return as_string(need(field, "a string"), field); }
  std::optional<std::string> optional_string(std::string_view field) const {
    const json* value = find(field);
    return value ? std::optional(as_string(*value, field)) : std::nullopt;
  }
  std::int64_t integer(std::string_view field) const { return as_integer(need(field, "an integer"), field); }
  std::optional<std::int64_t> optional_integer(std::string_view field) const {
    const json* value = find(field);
    return value ? std::optional(as_integer(*value, field)) : std::nullopt;
  }
  bool boolean(std::string_view field) const { return as_boolean(need(field, "a boolean"), field); }
  std::optional<bool> optional_boolean(std::string_view field) const {
    const json* value = find(field);
    return value ? std::optional(as_boolean(*value, field)) : std::nullopt;
  }
  StringMap string_map(std::string_view field) const {
    return as_string_map(need(field, "an object of strings"), field);
  }
  std::optional<StringMap> optional_string_map(std::string_view field) const {
    const json* value = find(field);
    return value ? std::optional(as_string_map(*value, field)) : std::nullopt;
  }
  PartitionValues partition_values(std::string_view field) const {
    const json& value = need(field, "an object of strings or nulls");
    if (!value.is_object()) fail(field, "an object of strings or nulls");
    PartitionValues values;
    for (const auto& [key, item] : value.items()) {
      if (item.is_null()) {
        values.emplace(key, std::nullopt);
      } else if (item.is_string()) {
        values.emplace(key, item.get<std::string>());
      } else {
        fail(fmt::format("{}.{}", field, key), "a string or null");
      }
    }
    return values;
  }
  std::vector<std::string> string_list(std::string_view field) const {
    return as_string_list(need(field, "an array of strings"), field);
  }
  std::optional<std::vector<std::string>> optional_string_list(std::string_view field) const {
    const json* value = find(field);
    return value ? std::optional(as_string_list(*value, field)) : std::nullopt;
  }

 private:
  std::string as_string(const json& value, std::string_view field) const {
    if (!value.is_string()) fail(field, "a string");
    return value.get<std::string>();
  }
  std::int64_t as_integer(const json& value, std::string_view field) const {
    if (value.is_number_integer()) return value.get<std::int64_t>();
    // Some writers store counters as whole floating-point numbers; anything fractional is an error.
    if (value.is_number_float()) {
      const double number = value.get<double>();
      if (number == static_cast<double>(static_cast<std::int64_t>(number))) return static_cast<std::int64_t>(number);
    }
    fail(field, "an integer");
  }
  bool as_boolean(const json& value, std::string_view field) const {
    if (!value.is_boolean()) fail(field, "a boolean");
    return value.get<bool>();
  }
  StringMap as_string_map(const json& value, std::string_view field) const {
    if (!value.is_object()) fail(field, "an object of strings");
    StringMap map;
    for (const auto& [key, item] : value.items()) {
      if (item.is_null()) continue;
      if (!item.is_string()) fail(fmt::format("{}.{}", field, key), "a string");
      map.emplace(key, item.get<std::string>());
    }
    return map;
  }
  std::vector<std::string> as_string_list(const json& value, std::string_view field) const {
    if (!value.is_array()) fail(field, "an array of strings");
    std::vector<std::string> list;
    for (const auto& item : value) {
      if (!item.is_string()) fail(field, "an array of strings");
      list.push_back(item.get<std::string>());
    }
    return list;
  }

  const json& object_;
  const ActionOrigin& origin_;
  std::string_view action_;
};

std::optional<DeletionVectorDescriptor> parse_deletion_vector(const FieldReader& parent, std::string_view action,
                                                              const ActionOrigin& origin) {
  const json* value = parent.find("deletionVector");
  if (!value) return std::nullopt;
  const std::string name = fmt::format("{}.deletionVector", action);
  FieldReader reader(*value, origin, name);
  DeletionVectorDescriptor descriptor;
  const std::string storage = reader.string("storageType");
  if (storage != "i" && storage != "u" && storage != "p") reader.fail("storageType", "one of 'u', 'i', 'p'");
  descriptor.storage_type = storage[0];
  descriptor.path_or_inline_dv = reader.string("pathOrInlineDv");
  if (auto offset = reader.optional_integer("offset")) {
    if (*offset < 0 || *offset > INT32_MAX) reader.fail("offset", "a non-negative 32-bit integer");
    descriptor.offset = static_cast<std::int32_t>(*offset);
  }
  const auto size = reader.integer("sizeInBytes");
  if (size < 0 || size > INT32_MAX) reader.fail("sizeInBytes", "a non-negative 32-bit integer");
  descriptor.size_in_bytes = static_cast<std::int32_t>(size);
  descriptor.cardinality = reader.integer("cardinality");
  if (descriptor.cardinality < 0) reader.fail("cardinality", "a non-negative integer");
  return descriptor;
}

// Checkpoints store stats as a JSON string; commit files do too. Anything else is an error.
std::optional<std::string> parse_stats(const FieldReader& reader) { return reader.optional_string("stats"); }

AddFile parse_add(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "add");
  AddFile add;
  add.path = reader.string("path");
  if (add.path.empty()) reader.fail("path", "a non-empty path");
  add.partition_values = reader.partition_values("partitionValues");
  add.size = reader.integer("size");
  add.modification_time = reader.integer("modificationTime");
  add.data_change = reader.boolean("dataChange");
  add.stats = parse_stats(reader);
  add.tags = reader.optional_string_map("tags");
  add.deletion_vector = parse_deletion_vector(reader, "add", origin);
  add.base_row_id = reader.optional_integer("baseRowId");
  add.default_row_commit_version = reader.optional_integer("defaultRowCommitVersion");
  add.clustering_provider = reader.optional_string("clusteringProvider");
  return add;
}

RemoveFile parse_remove(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "remove");
  RemoveFile remove;
  remove.path = reader.string("path");
  if (remove.path.empty()) reader.fail("path", "a non-empty path");
  remove.deletion_timestamp = reader.optional_integer("deletionTimestamp");
  remove.data_change = reader.boolean("dataChange");
  remove.extended_file_metadata = reader.optional_boolean("extendedFileMetadata");
  if (reader.find("partitionValues")) remove.partition_values = reader.partition_values("partitionValues");
  remove.size = reader.optional_integer("size");
  remove.stats = parse_stats(reader);
  remove.tags = reader.optional_string_map("tags");
  remove.deletion_vector = parse_deletion_vector(reader, "remove", origin);
  remove.base_row_id = reader.optional_integer("baseRowId");
  remove.default_row_commit_version = reader.optional_integer("defaultRowCommitVersion");
  return remove;
}

Metadata parse_metadata(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "metaData");
  Metadata metadata;
  metadata.id = reader.string("id");
  metadata.name = reader.optional_string("name");
  metadata.description = reader.optional_string("description");
  FieldReader format(reader.need("format", "an object"), origin, "metaData.format");
  metadata.format.provider = format.string("provider");
  if (auto options = format.optional_string_map("options")) metadata.format.options = std::move(*options);
  metadata.schema_string = reader.string("schemaString");
  metadata.partition_columns = reader.string_list("partitionColumns");
  metadata.created_time = reader.optional_integer("createdTime");
  // Required by the protocol, but Spark's own older checkpoints and tables omit an empty map.
  if (auto configuration = reader.optional_string_map("configuration")) {
    metadata.configuration = std::move(*configuration);
  }
  return metadata;
}

Protocol parse_protocol(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "protocol");
  Protocol protocol;
  const auto reader_version = reader.integer("minReaderVersion");
  const auto writer_version = reader.integer("minWriterVersion");
  if (reader_version < 0 || reader_version > INT32_MAX) reader.fail("minReaderVersion", "a small integer");
  if (writer_version < 0 || writer_version > INT32_MAX) reader.fail("minWriterVersion", "a small integer");
  protocol.min_reader_version = static_cast<std::int32_t>(reader_version);
  protocol.min_writer_version = static_cast<std::int32_t>(writer_version);
  protocol.reader_features = reader.optional_string_list("readerFeatures");
  protocol.writer_features = reader.optional_string_list("writerFeatures");
  return protocol;
}

CommitInfo parse_commit_info(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "commitInfo");
  CommitInfo info;
  info.value = value;
  // Validate the fields readers rely on, so that a bad value fails here rather than later.
  (void)reader.optional_integer("timestamp");
  (void)reader.optional_integer("inCommitTimestamp");
  return info;
}

TransactionId parse_txn(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "txn");
  TransactionId txn;
  txn.app_id = reader.string("appId");
  txn.version = reader.integer("version");
  txn.last_updated = reader.optional_integer("lastUpdated");
  return txn;
}

DomainMetadata parse_domain_metadata(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "domainMetadata");
  DomainMetadata domain;
  domain.domain = reader.string("domain");
  domain.configuration = reader.string("configuration");
  domain.removed = reader.boolean("removed");
  return domain;
}

AddCdcFile parse_cdc(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "cdc");
  AddCdcFile cdc;
  cdc.path = reader.string("path");
  cdc.partition_values = reader.partition_values("partitionValues");
  cdc.size = reader.integer("size");
  cdc.data_change = reader.optional_boolean("dataChange").value_or(false);
  cdc.tags = reader.optional_string_map("tags");
  return cdc;
}

CheckpointMetadata parse_checkpoint_metadata(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "checkpointMetadata");
  CheckpointMetadata metadata;
  metadata.version = reader.integer("version");
  metadata.tags = reader.optional_string_map("tags");
  return metadata;
}

SidecarFile parse_sidecar(const json& value, const ActionOrigin& origin) {
  FieldReader reader(value, origin, "sidecar");
  SidecarFile sidecar;
  sidecar.path = reader.string("path");
  sidecar.size_in_bytes = reader.integer("sizeInBytes");
  sidecar.modification_time = reader.integer("modificationTime");
  sidecar.tags = reader.optional_string_map("tags");
  return sidecar;
}

json partition_values_to_json(const PartitionValues& values) {
  json object = json::object();
  for (const auto& [key, value] : values) object[key] = value ? json(*value) : json(nullptr);
  return object;
}

json deletion_vector_to_json(const DeletionVectorDescriptor& descriptor) {
  json object = {{"storageType", std::string(1, descriptor.storage_type)},
                 {"pathOrInlineDv", descriptor.path_or_inline_dv},
                 {"sizeInBytes", descriptor.size_in_bytes},
                 {"cardinality", descriptor.cardinality}};
  if (descriptor.offset) object["offset"] = *descriptor.offset;
  return object;
}

template <typename Value>
void put_optional(json& object, const char* name, const std::optional<Value>& value) {
  if (value) object[name] = *value;
}

struct ActionWriter {
  json operator()(const AddFile& add) const {
    json object = {{"path", add.path},
                   {"partitionValues", partition_values_to_json(add.partition_values)},
                   {"size", add.size},
                   {"modificationTime", add.modification_time},
                   {"dataChange", add.data_change}};
    put_optional(object, "stats", add.stats);
    put_optional(object, "tags", add.tags);
    if (add.deletion_vector) object["deletionVector"] = deletion_vector_to_json(*add.deletion_vector);
    put_optional(object, "baseRowId", add.base_row_id);
    put_optional(object, "defaultRowCommitVersion", add.default_row_commit_version);
    put_optional(object, "clusteringProvider", add.clustering_provider);
    return {{"add", object}};
  }
  json operator()(const RemoveFile& remove) const {
    json object = {{"path", remove.path}, {"dataChange", remove.data_change}};
    put_optional(object, "deletionTimestamp", remove.deletion_timestamp);
    put_optional(object, "extendedFileMetadata", remove.extended_file_metadata);
    if (remove.partition_values) object["partitionValues"] = partition_values_to_json(*remove.partition_values);
    put_optional(object, "size", remove.size);
    put_optional(object, "stats", remove.stats);
    put_optional(object, "tags", remove.tags);
    if (remove.deletion_vector) object["deletionVector"] = deletion_vector_to_json(*remove.deletion_vector);
    put_optional(object, "baseRowId", remove.base_row_id);
    put_optional(object, "defaultRowCommitVersion", remove.default_row_commit_version);
    return {{"remove", object}};
  }
  json operator()(const Metadata& metadata) const {
    json object = {{"id", metadata.id},
                   {"format", {{"provider", metadata.format.provider}, {"options", metadata.format.options}}},
                   {"schemaString", metadata.schema_string},
                   {"partitionColumns", metadata.partition_columns},
                   {"configuration", metadata.configuration}};
    put_optional(object, "name", metadata.name);
    put_optional(object, "description", metadata.description);
    put_optional(object, "createdTime", metadata.created_time);
    return {{"metaData", object}};
  }
  json operator()(const Protocol& protocol) const {
    json object = {{"minReaderVersion", protocol.min_reader_version},
                   {"minWriterVersion", protocol.min_writer_version}};
    put_optional(object, "readerFeatures", protocol.reader_features);
    put_optional(object, "writerFeatures", protocol.writer_features);
    return {{"protocol", object}};
  }
  json operator()(const CommitInfo& info) const { return {{"commitInfo", info.value}}; }
  json operator()(const TransactionId& txn) const {
    json object = {{"appId", txn.app_id}, {"version", txn.version}};
    put_optional(object, "lastUpdated", txn.last_updated);
    return {{"txn", object}};
  }
  json operator()(const DomainMetadata& domain) const {
    return {{"domainMetadata",
             {{"domain", domain.domain}, {"configuration", domain.configuration}, {"removed", domain.removed}}}};
  }
  json operator()(const AddCdcFile& cdc) const {
    json object = {{"path", cdc.path},
                   {"partitionValues", partition_values_to_json(cdc.partition_values)},
                   {"size", cdc.size},
                   {"dataChange", cdc.data_change}};
    put_optional(object, "tags", cdc.tags);
    return {{"cdc", object}};
  }
  json operator()(const CheckpointMetadata& metadata) const {
    json object = {{"version", metadata.version}};
    put_optional(object, "tags", metadata.tags);
    return {{"checkpointMetadata", object}};
  }
  json operator()(const SidecarFile& sidecar) const {
    json object = {{"path", sidecar.path},
                   {"sizeInBytes", sidecar.size_in_bytes},
                   {"modificationTime", sidecar.modification_time}};
    put_optional(object, "tags", sidecar.tags);
    return {{"sidecar", object}};
  }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string DeletionVectorDescriptor::unique_id() const {
  std::string id(1, storage_type);
  id += path_or_inline_dv;
  if (offset) id += fmt::format("@{}", *offset);
  return id;
}

std::string AddFile::key() const {
  return deletion_vector ? path + '\n' + deletion_vector->unique_id() : path;
}

std::string RemoveFile::key() const {
  return deletion_vector ? path + '\n' + deletion_vector->unique_id() : path;
}

std::optional<std::int64_t> CommitInfo::timestamp() const {
  auto found = value.find("timestamp");
  if (found == value.end() || !found->is_number()) return std::nullopt;
  return found->get<std::int64_t>();
}

std::optional<std::int64_t> CommitInfo::in_commit_timestamp() const {
  auto found = value.find("inCommitTimestamp");
  if (found == value.end() || !found->is_number()) return std::nullopt;
  return found->get<std::int64_t>();
}

std::string CommitInfo::operation() const {
  auto found = value.find("operation");
  return found != value.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::optional<Action> parse_action(const json& object, const ActionOrigin& origin) {
  if (!object.is_object()) {
    FieldReader(object, origin, "action");  // throws: not an object
  }
  std::optional<Action> result;
  for (const auto& [name, value] : object.items()) {
    if (value.is_null()) continue;  // checkpoint rows carry every action column, all but one null
    std::optional<Action> action;
    if (name == "add") action = parse_add(value, origin);
    else if (name == "remove") action = parse_remove(value, origin);
    else if (name == "metaData") action = parse_metadata(value, origin);
    else if (name == "protocol") action = parse_protocol(value, origin);
    else if (name == "commitInfo") action = parse_commit_info(value, origin);
    else if (name == "txn") action = parse_txn(value, origin);
    else if (name == "domainMetadata") action = parse_domain_metadata(value, origin);
    else if (name == "cdc") action = parse_cdc(value, origin);
    else if (name == "checkpointMetadata") action = parse_checkpoint_metadata(value, origin);
    else if (name == "sidecar") action = parse_sidecar(value, origin);
    if (!action) continue;
    if (result) {
      const std::string where =
          origin.line > 0 ? fmt::format("{}: line {}", origin.file, origin.line) : origin.file;
      throw core::InputError(fmt::format("{}: more than one action in one line (second is '{}')", where, name));
    }
    result = std::move(action);
  }
  return result;
}

std::vector<Action> parse_commit(std::string_view text, const std::string& file_name) {
  std::vector<Action> actions;
  std::int64_t line_number = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    auto end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    json object = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) {
      throw core::InputError(fmt::format("{}: line {}: not valid JSON", file_name, line_number));
    }
    if (auto action = parse_action(object, ActionOrigin{file_name, line_number})) {
      actions.push_back(std::move(*action));
    }
  }
  return actions;
}

json action_to_json(const Action& action) { return std::visit(ActionWriter{}, action); }

std::string dump_json(const json& value, std::string_view context) {
  try {
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::type_error& error) {
    throw core::InputError(fmt::format("{}: a text value is not valid UTF-8 ({})", context, error.what()));
  }
}

std::string serialize_commit(const std::vector<Action>& actions) {
  std::string text;
  for (const auto& action : actions) {
    text += dump_json(action_to_json(action), "commit");
    text += '\n';
  }
  return text;
}

std::string decode_path(std::string_view encoded, const std::string& context) {
  std::string decoded;
  decoded.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      decoded += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) {
      throw core::InputError(fmt::format("{}: path '{}': truncated %-escape", context, encoded));
    }
    const int high = hex_value(encoded[i + 1]);
    const int low = hex_value(encoded[i + 2]);
    if (high < 0 || low < 0) {
      throw core::InputError(fmt::format("{}: path '{}': malformed %-escape at offset {}", context, encoded, i));
    }
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

std::string encode_path(std::string_view path) {
  // Hadoop's Path escapes these characters in file names (and '%' itself); Spark writes the result as the URI.
  static constexpr std::string_view kEscaped = "%\"#<>?\\^`{|}[] ";
  std::string encoded;
  for (const unsigned char c : path) {
    if (c < 0x20 || c == 0x7f || kEscaped.find(static_cast<char>(c)) != std::string_view::npos) {
      encoded += fmt::format("%{:02X}", c);
    } else {
      encoded += static_cast<char>(c);
    }
  }
  return encoded;
}

}  // namespace driftgov::delta
