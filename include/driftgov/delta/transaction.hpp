#pragma once
// Optimistic transactions on a Delta table (PROTOCOL.md; Spark's OptimisticTransaction and ConflictChecker).
// A transaction reads a snapshot, records what it read, stages actions, and commits by creating the next commit
// file put-if-absent (a temp file hard-linked to its final name, which fails if the name exists; a plain rename
// would overwrite). On a lost race it checks the winning commits with Spark's rules at WriteSerializable
// isolation and retries at the next version, or fails with the exception Spark would raise.
// Data files must be written before commit(); a crash before the commit file exists leaves only stray files no
// snapshot references. A Transaction object is used from one thread; separate processes may commit concurrently.

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/actions.hpp"
#include "driftgov/delta/schema.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {

// A commit lost to a concurrent one that invalidates it. `exception_name()` is Spark's name for the same case:
// ConcurrentAppendException, ConcurrentDeleteReadException, ConcurrentDeleteDeleteException,
// MetadataChangedException, ProtocolChangedException, ConcurrentTransactionException.
class ConcurrentModificationError : public core::InputError {
 public:
  ConcurrentModificationError(std::string exception_name, const std::string& message)
      : core::InputError(exception_name + ": " + message), exception_name_(std::move(exception_name)) {}
  const std::string& exception_name() const { return exception_name_; }

 private:
  std::string exception_name_;
};

struct CommitOptions {
  // Attempts after conflicts that Spark's rules allow to be retried.
  int max_attempts = 100;
  // A checkpoint is written after every commit whose version is a multiple of this (the table property
  // delta.checkpointInterval overrides it). 0 disables checkpoints.
  int checkpoint_interval = 10;
  // Where the commit file (put-if-absent) and the checkpoint are written and concurrent commits are read;
  // nullptr means the storage the transaction was started on.
  io::Storage* storage = nullptr;
};

struct CommitResult {
  std::int64_t version = -1;
  int attempts = 0;
  bool checkpoint_written = false;
  // Why the checkpoint due after the commit was not written (empty when none was due or it was written). The
  // commit stands either way: a checkpoint only speeds up reading, so its failure is a warning, as in Spark.
  std::string checkpoint_error;
};

class Transaction {
 public:
  // Starts a transaction on the latest snapshot of `table_root` (a path in `storage`, which must outlive the
  // transaction); a folder without a log, or with no commit in it, starts a new table. Lists the log once.
  static Transaction start(const std::string& table_root, io::Storage& storage = io::local_storage());

  const std::string& table_root() const { return table_root_; }
  // -1 for a table that does not exist yet.
  std::int64_t read_version() const { return snapshot_ ? snapshot_->version() : -1; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }

  // What the transaction read, for conflict detection. A transaction that reads nothing is a blind append.
  void read_whole_table() { read_whole_table_ = true; }
  // Files of the snapshot selected by `predicate` (on the logical file: partition values, stats) were read.
  // Files a concurrent commit adds that match it conflict (ConcurrentAppendException).
  void read_files_matching(std::function<bool(const PartitionValues& logical_partition_values)> predicate);
  // The latest version of txn `app_id` was read (idempotent writes).
  std::optional<std::int64_t> read_transaction_version(const std::string& app_id);

  void update_metadata(Metadata metadata);
  void update_protocol(Protocol protocol);
  void add_file(AddFile file) { adds_.push_back(std::move(file)); }
  // Removes a live file of the snapshot (dataChange true), keeping its partition values, size and stats.
  void remove_file(const AddFile& file, std::int64_t deletion_timestamp_ms);
  void set_transaction(const std::string& app_id, std::int64_t version);
  void set_operation(std::string operation, nlohmann::json parameters);

  // Commits; returns the version written. Throws ConcurrentModificationError per Spark's conflict rules,
  // core::IOError on a storage failure (the commit file then does not exist), InputError for a table property
  // delta.checkpointInterval that is not an integer (before committing). A checkpoint that fails after the commit
  // does not throw: CommitResult::checkpoint_error says why. A transaction commits at most once.
  CommitResult commit(const CommitOptions& options = {});

  // The metadata the commit will leave (the new one, or the snapshot's).
  const Metadata* effective_metadata() const;

 private:
  std::vector<Action> build_actions(std::int64_t attempt_version) const;
  void check_conflicts(std::int64_t winning_version, const std::vector<Action>& winning) const;
  bool is_blind_append() const;

  std::string table_root_;
  io::Storage* storage_ = nullptr;
  std::optional<Snapshot> snapshot_;
  bool read_whole_table_ = false;
  std::vector<std::function<bool(const PartitionValues&)>> read_predicates_;
  std::set<std::string> read_app_ids_;
  std::optional<Metadata> new_metadata_;
  std::optional<Protocol> new_protocol_;
  std::vector<AddFile> adds_;
  std::vector<RemoveFile> removes_;
  std::vector<TransactionId> transactions_;
  std::string operation_ = "WRITE";
  nlohmann::json operation_parameters_ = nlohmann::json::object();
  bool committed_ = false;
};

// Creates `target` with `contents` only if it does not exist (io::Storage::put_if_absent). Returns false when
// `target` already exists.
bool write_file_if_absent(const std::string& target, const std::string& contents,
                          io::Storage& storage = io::local_storage());

// "driftgov/<version>", the engineInfo of every commit.
std::string engine_info();
std::string new_uuid();

}  // namespace driftgov::delta
