#pragma once
// Delta log actions (PROTOCOL.md, "Actions") and their JSON form, one action per line of a commit file.
// Parsing is strict about the fields the protocol requires and their types; an error names the file, the line
// and the field. Unknown actions and unknown fields are ignored, as the protocol demands of readers.
// Values are plain structs: copyable, no shared state.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace driftgov::delta {

// Partition values keep the log's text; an absent (null) value is nullopt. An empty string also means null
// (PROTOCOL.md, "Partition Value Serialization"); that is decided when values are typed, not here.
using PartitionValues = std::map<std::string, std::optional<std::string>>;
using StringMap = std::map<std::string, std::string>;

struct DeletionVectorDescriptor {
  char storage_type = 'i';  // 'i' inline (Z85 bytes), 'u' relative (prefix + Z85 UUID), 'p' absolute path
  std::string path_or_inline_dv;
  std::optional<std::int32_t> offset;
  std::int32_t size_in_bytes = 0;
  std::int64_t cardinality = 0;

  // `<storageType><pathOrInlineDv>[@<offset>]`: tells apart one data file's successive deletion vectors.
  std::string unique_id() const;
  friend bool operator==(const DeletionVectorDescriptor&, const DeletionVectorDescriptor&) = default;
};

struct AddFile {
  std::string path;  // as in the log: a URI-encoded relative or absolute path (see decode_path)
  PartitionValues partition_values;
  std::int64_t size = 0;
  std::int64_t modification_time = 0;
  bool data_change = true;
  std::optional<std::string> stats;  // JSON text
  std::optional<StringMap> tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<std::int64_t> base_row_id;
  std::optional<std::int64_t> default_row_commit_version;
  std::optional<std::string> clustering_provider;

  // (path, dvId): the primary key of a logical file in log replay.
  std::string key() const;
};

struct RemoveFile {
  std::string path;
  std::optional<std::int64_t> deletion_timestamp;
  bool data_change = true;
  std::optional<bool> extended_file_metadata;
  std::optional<PartitionValues> partition_values;
  std::optional<std::int64_t> size;
  std::optional<std::string> stats;
  std::optional<StringMap> tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<std::int64_t> base_row_id;
  std::optional<std::int64_t> default_row_commit_version;

  std::string key() const;
};

struct Format {
  std::string provider = "parquet";
  StringMap options;
};

struct Metadata {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  Format format;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::optional<std::int64_t> created_time;
  StringMap configuration;
};

struct Protocol {
  std::int32_t min_reader_version = 1;
  std::int32_t min_writer_version = 2;
  std::optional<std::vector<std::string>> reader_features;
  std::optional<std::vector<std::string>> writer_features;
  friend bool operator==(const Protocol&, const Protocol&) = default;
};

// Kept as JSON: every engine writes its own fields, and operationParameters values have any type.
struct CommitInfo {
  nlohmann::json value = nlohmann::json::object();
  std::optional<std::int64_t> timestamp() const;
  std::optional<std::int64_t> in_commit_timestamp() const;
  std::string operation() const;  // empty when absent
};

struct TransactionId {
  std::string app_id;
  std::int64_t version = 0;
  std::optional<std::int64_t> last_updated;
};

struct DomainMetadata {
  std::string domain;
  std::string configuration;
  bool removed = false;
};

struct AddCdcFile {
  std::string path;
  PartitionValues partition_values;
  std::int64_t size = 0;
  bool data_change = false;
  std::optional<StringMap> tags;
};

struct CheckpointMetadata {
  std::int64_t version = 0;
  std::optional<StringMap> tags;
};

struct SidecarFile {
  std::string path;  // relative to _delta_log/_sidecars, or absolute
  std::int64_t size_in_bytes = 0;
  std::int64_t modification_time = 0;
  std::optional<StringMap> tags;
};

using Action = std::variant<AddFile, RemoveFile, Metadata, Protocol, CommitInfo, TransactionId, DomainMetadata,
                            AddCdcFile, CheckpointMetadata, SidecarFile>;

// Where an action came from, for error messages: "_delta_log/00000000000000000003.json", line 7.
struct ActionOrigin {
  std::string file;
  std::int64_t line = 0;  // 1-based; 0 for rows of a checkpoint (then `line` means nothing)
};

// Parses one action object (`{"add": {...}}`). Returns nullopt for an action kind the protocol added later and
// this reader does not know (ignored, as the protocol requires), or for a checkpoint row with no action set.
// Throws core::InputError naming the origin and field.
std::optional<Action> parse_action(const nlohmann::json& object, const ActionOrigin& origin);

// Parses a newline-delimited commit file. Blank lines are skipped.
std::vector<Action> parse_commit(std::string_view text, const std::string& file_name);

// The JSON object for an action, as written to a commit file (one line, no trailing newline).
nlohmann::json action_to_json(const Action& action);
std::string serialize_commit(const std::vector<Action>& actions);
// JSON text of a value; throws core::InputError naming `context` when a string in it is not valid UTF-8.
std::string dump_json(const nlohmann::json& value, std::string_view context);

// Decodes the RFC 2396 %-escapes of an add/remove path. Throws InputError on a malformed escape.
std::string decode_path(std::string_view encoded, const std::string& context);
// Encodes a relative path as Spark does: characters outside the URI path set become %XX.
std::string encode_path(std::string_view path);

}  // namespace driftgov::delta
