#pragma once
// Checkpoint files (PROTOCOL.md, "Checkpoints"): classic and multi-part Parquet (v1), and UUID-named v2
// checkpoints in JSON or Parquet that may point to sidecar files. Every row becomes an Action, so a checkpoint
// feeds the same log replay as commit files. Parquet rows are read through parquet::FileReader; stats are taken
// from `stats` (JSON text) or, when a checkpoint carries only `stats_parsed`, rebuilt as JSON from it.

#include <functional>
#include <vector>

#include "driftgov/delta/actions.hpp"
#include "driftgov/delta/log.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {

// Declared, not included: snapshot.cpp replays checkpoints through this header (no include loop).
class Snapshot;

// Receives actions one by one; it may move from them.
using ActionSink = std::function<void(Action&)>;

// Passes every action of a complete checkpoint, sidecars included (read from the listing's storage), to `sink` in
// file order, without holding them
// all (a large table's checkpoint is mostly adds, read column-wise). Throws core::UnsupportedError when this build
// cannot read the checkpoint's file format (the caller may fall back to replaying commit files, discarding what
// the sink received), InputError for a malformed checkpoint (naming the file and field).
void read_checkpoint(const CheckpointFiles& checkpoint, const LogListing& listing, const ActionSink& sink);

// Writes a classic single-file checkpoint of `snapshot` (protocol, metadata, txn, domain metadata, live adds and
// unexpired tombstones), published atomically to `storage`, then `_last_checkpoint` (read there first: it only
// moves forward). Throws
// core::UnsupportedError when this build has no Parquet writer, core::IOError on a storage failure (the
// previous checkpoint and `_last_checkpoint` stay as they were).
void write_checkpoint(const Snapshot& snapshot, io::Storage& storage = io::local_storage());

// The actions in a Parquet checkpoint (or sidecar) held in memory; `description` names it in messages.
std::vector<Action> parse_parquet_checkpoint(std::string bytes, const std::string& description);

// The actions of one v2 checkpoint in JSON form (checkpointMetadata, sidecar and non-file actions).
std::vector<Action> parse_json_checkpoint(std::string_view text, const std::string& file_name);

}  // namespace driftgov::delta
