#pragma once
// A table as of one version: protocol, metadata, schema and the set of live data files, rebuilt by log replay
// (PROTOCOL.md, "Action Reconciliation") from the newest usable checkpoint plus the commits after it.
// A Snapshot is an immutable value; load it again to see newer commits. It refers to the io::Storage it was loaded
// from (scans read its data files there), which must outlive it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/actions.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/delta/schema.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {

// Reader features this build implements. A table whose protocol needs any other is refused with
// core::UnsupportedError naming the feature.
const std::set<std::string>& supported_reader_features();
// Refuses a protocol this reader cannot honour. `table` names the table in the message.
void check_reader_protocol(const Protocol& protocol, const std::string& table);

struct TimeTravel {
  std::optional<std::int64_t> version;
  std::optional<std::int64_t> timestamp_ms;
};

class Snapshot {
 public:
  // Loads `location` (a folder holding _delta_log) at the latest version or as `travel` says. Throws InputError
  // for a missing table, a missing version, a gap in the commits, or a log without protocol or metadata, and
  // UnsupportedError for a reader feature this build lacks.
  // `table_root` is a path in `storage`.
  static Snapshot load(const std::string& table_root, const TimeTravel& travel = {},
                       io::Storage& storage = io::local_storage());
  // Same, with the version taken from a source name (`path@v=N`, `path@ts=...`).
  static Snapshot load(const TableLocation& location, io::Storage& storage = io::local_storage());
  // The latest version, or nullopt when there is no log or it holds no commit yet (a writer then creates the
  // table). Lists the log once (from the last checkpoint on when `_last_checkpoint` points to a usable one).
  static std::optional<Snapshot> load_latest_if_any(const std::string& table_root,
                                                    io::Storage& storage = io::local_storage());

  const std::string& table_root() const { return table_root_; }
  io::Storage& storage() const { return *storage_; }
  std::int64_t version() const { return version_; }
  const Protocol& protocol() const { return protocol_; }
  const Metadata& metadata() const { return metadata_; }
  const TableSchema& schema() const { return schema_; }
  ColumnMappingMode column_mapping_mode() const { return column_mapping_mode_; }
  // Live logical files, ordered by path (then deletion vector).
  const std::vector<AddFile>& files() const { return files_; }
  // Remove tombstones still in the log (for VACUUM-like tools and tests).
  const std::vector<RemoveFile>& tombstones() const { return tombstones_; }
  const std::map<std::string, TransactionId>& transactions() const { return transactions_; }
  const std::map<std::string, DomainMetadata>& domains() const { return domains_; }
  // commitInfo of the snapshot's own commit, when its commit file is still there and holds one.
  const std::optional<CommitInfo>& commit_info() const { return commit_info_; }
  // The version of the checkpoint the replay started from, if any.
  std::optional<std::int64_t> checkpoint_version() const { return checkpoint_version_; }

  // The latest txn version for an application id (idempotent writes), or nullopt.
  std::optional<std::int64_t> transaction_version(const std::string& app_id) const;
  // A file's partition values keyed by logical column name (the log keys them by physical name under column
  // mapping). Throws InputError when a partition column has no entry.
  PartitionValues logical_partition_values(const AddFile& file) const;
  // The file's path in the storage: relative paths URI-decoded under the table root; absolute file: URIs decoded.
  std::string file_path(const AddFile& file) const;

 private:
  // Replays `listing` as `travel` says. A listing of part of the log (`whole_log` false, from list_log_from)
  // gives nullopt when it cannot serve: no usable checkpoint in it, or one this build cannot read.
  static std::optional<Snapshot> from_listing(const LogListing& listing, const TimeTravel& travel, bool whole_log);
  // Replays from the checkpoint `hint` points to, listing the log from it on; nullopt when that cannot serve
  // `travel` (no hint, a timestamp, an older version, or from_listing's reasons).
  static std::optional<Snapshot> from_last_checkpoint(const std::string& table_root,
                                                      const std::optional<LastCheckpointHint>& hint,
                                                      const TimeTravel& travel, io::Storage& storage);

  std::string table_root_;
  io::Storage* storage_ = nullptr;
  std::int64_t version_ = -1;
  Protocol protocol_;
  Metadata metadata_;
  TableSchema schema_;
  ColumnMappingMode column_mapping_mode_ = ColumnMappingMode::kNone;
  std::vector<AddFile> files_;
  std::vector<RemoveFile> tombstones_;
  std::map<std::string, TransactionId> transactions_;
  std::map<std::string, DomainMetadata> domains_;
  std::optional<CommitInfo> commit_info_;
  std::optional<std::int64_t> checkpoint_version_;
};

// Resolves a data file path from the log against a table root (shared by snapshots and transactions).
std::string resolve_data_path(const std::string& table_root, const std::string& log_path);

// A column of `rows` copies of one partition value, typed as the partition column (PROTOCOL.md, "Partition Value
// Serialization"): nullopt or "" is null; dates as yyyy-mm-dd; timestamps as "yyyy-mm-dd hh:mm:ss[.ffffff]"
// (timestamp columns in the writer's zone, taken as UTC) or ISO 8601 with Z. Errors name `context` and the column.
core::Column partition_value_column(const core::Field& field, const std::optional<std::string>& value,
                                    std::int64_t rows, const std::string& context);

}  // namespace driftgov::delta
