#pragma once
// The files of a Delta log (PROTOCOL.md, "Delta Log Entries", "Checkpoints", "Last Checkpoint File") on the local
// file system, and how a source name states the table version (docs/delta.md, "Naming a version").
// Reading the log never changes it; every function here is safe to call while writers commit.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/delta/actions.hpp"

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
bool is_delta_table(const std::string& name);

enum class CheckpointKind { kClassic, kMultiPart, kUuid };

struct CheckpointFiles {
  std::int64_t version = 0;
  CheckpointKind kind = CheckpointKind::kClassic;
  std::vector<std::filesystem::path> files;  // parts in order; one file unless multi-part
};

struct LastCheckpointHint {
  std::int64_t version = 0;
  std::optional<std::int64_t> size;
  std::optional<std::int64_t> parts;
};

struct LogListing {
  std::filesystem::path table_root;
  std::filesystem::path log_directory;
  std::map<std::int64_t, std::filesystem::path> commits;  // version -> NNN.json
  std::vector<CheckpointFiles> checkpoints;               // complete checkpoints only, by version
  std::optional<LastCheckpointHint> last_checkpoint;      // absent when missing or unreadable

  std::optional<std::int64_t> latest_version() const;
  // The newest complete checkpoint at or below `version`.
  const CheckpointFiles* checkpoint_at_or_before(std::int64_t version) const;
};

// Lists `_delta_log`. Throws InputError when the folder does not exist (naming the table).
LogListing list_log(const std::filesystem::path& table_root);

// Reads one commit file, parsing every action (errors name the file and line).
std::vector<Action> read_commit(const std::filesystem::path& commit_file);
std::string read_file_text(const std::filesystem::path& path);

std::string commit_file_name(std::int64_t version);  // 00000000000000000012.json

struct CommitTimestamp {
  std::int64_t version = 0;
  std::int64_t timestamp_ms = 0;
};

// Commit timestamps as Spark uses them for time travel: the in-commit timestamp where that feature is enabled
// (from delta.inCommitTimestampEnablementVersion on), otherwise the commit file's modification time, made strictly
// increasing (a commit whose time is not after its predecessor's counts as one millisecond later).
// `configuration` is the latest table configuration.
std::vector<CommitTimestamp> commit_timestamps(const LogListing& listing, const StringMap& configuration);

// The version a timestamp selects: the latest commit with timestamp <= t. Refuses (InputError) a timestamp before
// the first available commit or after the latest one, as Spark does.
std::int64_t version_at_timestamp(const std::vector<CommitTimestamp>& timestamps, std::int64_t timestamp_ms,
                                  const std::string& table);

}  // namespace driftgov::delta
