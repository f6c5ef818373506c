#pragma once
// The files of a Delta log (PROTOCOL.md, "Delta Log Entries", "Checkpoints", "Last Checkpoint File") in an
// io::Storage, and how a source name states the table version (docs/delta.md, "Naming a version").
// A table root is a path in its storage (a local path, a key prefix); the log's files are named by joining it
// with "_delta_log/..." (io::join_path). Reading the log never changes it; every function here is safe to call
// while writers commit.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/delta/actions.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {

// A table named with an optional version: `path`, `path@v=12`, `path@ts=2024-01-01T00:00:00Z`.
struct TableLocation {
  std::string path;
  std::optional<std::int64_t> version;
  std::optional<std::int64_t> timestamp_ms;  // milliseconds since the epoch, UTC
  std::string text;                          // the name as given, for messages
};

// Splits a version suffix from a source name. A name without a suffix is returned whole. Throws InputError for a
// malformed suffix (naming the expected forms).
TableLocation parse_table_location(std::string_view name);
// Parses "2024-01-01", "2024-01-01T10:00:00", "2024-01-01 10:00:00.123", with an optional "Z" or "+hh:mm" offset
// (no offset means UTC). Returns milliseconds since the epoch; throws InputError naming `context`.
std::int64_t parse_timestamp_ms(std::string_view text, std::string_view context);
std::int64_t parse_timestamp_us(std::string_view text, std::string_view context);  // same, in microseconds
std::string format_timestamp_ms(std::int64_t milliseconds);  // "2024-01-01T00:00:00.000Z"

// True when `path` is a folder holding a `_delta_log` folder (the version suffix, if any, is ignored).
bool is_delta_table(const std::string& name, io::Storage& storage = io::local_storage());

enum class CheckpointKind { kClassic, kMultiPart, kUuid };

struct CheckpointFiles {
  std::int64_t version = 0;
  CheckpointKind kind = CheckpointKind::kClassic;
  std::vector<std::string> files;  // parts in order; one file unless multi-part
};

struct LastCheckpointHint {
  std::int64_t version = 0;
  std::optional<std::int64_t> size;
  std::optional<std::int64_t> parts;
};

struct LogListing {
  std::string table_root;
  std::string log_directory;                              // table_root joined with "_delta_log"
  std::map<std::int64_t, std::string> commits;            // version -> NNN.json
  std::vector<CheckpointFiles> checkpoints;               // complete checkpoints only, by version
  std::optional<LastCheckpointHint> last_checkpoint;      // absent when missing or unreadable
  io::Storage* storage = nullptr;                         // where the files are (never null once listed)

  std::optional<std::int64_t> latest_version() const;
  // The newest complete checkpoint at or below `version`.
  const CheckpointFiles* checkpoint_at_or_before(std::int64_t version) const;
};

// Lists `_delta_log`. Throws InputError when the folder does not exist (naming the table).
LogListing list_log(const std::string& table_root, io::Storage& storage = io::local_storage());
// The same, except that a missing `_delta_log` folder lists as empty (a table not created yet) and
// `last_checkpoint` is left empty.
LogListing list_log_if_present(const std::string& table_root, io::Storage& storage = io::local_storage());
// Lists `_delta_log` from `version` on (Delta's LogStore listFrom, io::Storage::list_after): the commits and
// checkpoints of `version` and later only, so that a snapshot replayed from a checkpoint lists none of the files
// before it. `last_checkpoint` is left empty; a missing folder lists as empty.
LogListing list_log_from(const std::string& table_root, std::int64_t version,
                         io::Storage& storage = io::local_storage());
// `_delta_log/_last_checkpoint`, or nullopt when it is missing, torn or unreadable (it is only a hint).
std::optional<LastCheckpointHint> read_last_checkpoint(const std::string& table_root,
                                                       io::Storage& storage = io::local_storage());

// Reads one commit file, parsing every action (errors name the file and line).
std::vector<Action> read_commit(const std::string& commit_file, io::Storage& storage = io::local_storage());
std::string read_file_text(const std::string& path, io::Storage& storage = io::local_storage());

std::string commit_file_name(std::int64_t version);  // 00000000000000000012.json

struct CommitTimestamp {
  std::int64_t version = 0;
  std::int64_t timestamp_ms = 0;
  bool in_commit = false;  // commitInfo.inCommitTimestamp rather than the commit file's modification time
};

// In-commit timestamps (PROTOCOL.md, "In-Commit Timestamps") as a table configuration states them, in the final
// form (delta.enableInCommitTimestamps, ...) or Delta 3.2's preview form (the same names ending in -preview).
struct InCommitTimestamps {
  bool enabled = false;
  std::int64_t enablement_version = 0;                   // the first commit carrying an in-commit timestamp
  std::optional<std::int64_t> enablement_timestamp_ms;   // that commit's in-commit timestamp, when recorded
};
InCommitTimestamps in_commit_timestamps(const StringMap& configuration);

// Commit timestamps as Spark uses them for time travel and history: the in-commit timestamp from the enablement
// version on where in-commit timestamps are enabled, otherwise the commit file's modification time, made strictly
// increasing (a commit whose time is not after its predecessor's counts as one millisecond later). Throws
// InputError naming the commit file when an in-commit timestamp is missing. `configuration` is the latest table
// configuration.
std::vector<CommitTimestamp> commit_timestamps(const LogListing& listing, const StringMap& configuration);

// The version a timestamp selects: the latest commit with timestamp <= t, searching only the commits with
// in-commit timestamps when t is at or after the enablement timestamp (default: the first in-commit timestamp)
// and only the ones before them otherwise, as the protocol says. Refuses (InputError) a timestamp before the first
// commit searched or after the latest one, as Spark does.
std::int64_t version_at_timestamp(const std::vector<CommitTimestamp>& timestamps, std::int64_t timestamp_ms,
                                  const std::string& table,
                                  std::optional<std::int64_t> enablement_timestamp_ms = std::nullopt);

}  // namespace driftgov::delta
