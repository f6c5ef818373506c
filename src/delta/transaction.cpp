#include "driftgov/delta/transaction.hpp"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <thread>

#include "driftgov/delta/checkpoint.hpp"
#include "driftgov/delta/log.hpp"

#ifndef DRIFTGOV_VERSION
#error "DRIFTGOV_VERSION must be defined by the build"
#endif

namespace driftgov::delta {
namespace {

std::string checkpoint_failure(std::int64_t version, const char* reason) {
  return fmt::format("version {} is committed, but its checkpoint was not written (readers replay the commits "
                     "instead): {}",
                     version, reason);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a winning commit did, in the terms Spark's ConflictChecker uses.
struct WinningCommitSummary {
  std::vector<const AddFile*> changed_data_added_files;  // dataChange adds of a commit that is not a blind append
  std::vector<const AddFile*> blind_append_added_files;
  std::vector<const RemoveFile*> removed_files;  // dataChange removes
  std::vector<std::string> app_ids;
  bool has_metadata = false;
  bool has_protocol = false;
  std::string operation;

  explicit WinningCommitSummary(const std::vector<Action>& actions) {
    bool blind_append = false;
    for (const auto& action : actions) {
      if (const auto* info = std::get_if<CommitInfo>(&action)) {
        auto found = info->value.find("isBlindAppend");
        blind_append = found != info->value.end() && found->is_boolean() && found->get<bool>();
        operation = info->operation();
      }
    }
    for (const auto& action : actions) {
      if (const auto* add = std::get_if<AddFile>(&action)) {
        if (!add->data_change) continue;
        (blind_append ? blind_append_added_files : changed_data_added_files).push_back(add);
      } else if (const auto* remove = std::get_if<RemoveFile>(&action)) {
        if (remove->data_change) removed_files.push_back(remove);
      } else if (const auto* txn = std::get_if<TransactionId>(&action)) {
        app_ids.push_back(txn->app_id);
      } else if (std::holds_alternative<Metadata>(action)) {
        has_metadata = true;
      } else if (std::holds_alternative<Protocol>(action)) {
        has_protocol = true;
      }
    }
  }
};

}  // namespace

std::string engine_info() { return std::string("driftgov/") + DRIFTGOV_VERSION; }

std::string new_uuid() {
  // Seeded from the system's entropy source (64 bits) and the clock: two processes or threads never share a seed
  // in practice, without asking the operating system for a process id.
  static thread_local std::mt19937_64 generator{[] {
    std::random_device entropy;
    return ((static_cast<std::uint64_t>(entropy()) << 32) | entropy()) ^ static_cast<std::uint64_t>(now_ms());
  }()};
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff, high & 0xffff,
                     low >> 48, low & 0xffffffffffffULL);
}

bool write_file_if_absent(const std::string& target, const std::string& contents, io::Storage& storage) {
  return storage.put_if_absent(target, contents);
}

Transaction Transaction::start(const std::string& table_root, io::Storage& storage) {
  Transaction transaction;
  transaction.table_root_ = table_root;
  transaction.storage_ = &storage;
  transaction.snapshot_ = Snapshot::load_latest_if_any(table_root, storage);
  return transaction;
}

void Transaction::read_files_matching(std::function<bool(const PartitionValues&)> predicate) {
  read_predicates_.push_back(std::move(predicate));
}

std::optional<std::int64_t> Transaction::read_transaction_version(const std::string& app_id) {
  read_app_ids_.insert(app_id);
  return snapshot_ ? snapshot_->transaction_version(app_id) : std::nullopt;
}

void Transaction::update_metadata(Metadata metadata) { new_metadata_ = std::move(metadata); }
void Transaction::update_protocol(Protocol protocol) { new_protocol_ = std::move(protocol); }

void Transaction::remove_file(const AddFile& file, std::int64_t deletion_timestamp_ms) {
  RemoveFile remove;
  remove.path = file.path;
  remove.deletion_timestamp = deletion_timestamp_ms;
  remove.data_change = true;
  remove.extended_file_metadata = true;
  remove.partition_values = file.partition_values;
  remove.size = file.size;
  remove.stats = file.stats;
  remove.tags = file.tags;
  remove.deletion_vector = file.deletion_vector;
  remove.base_row_id = file.base_row_id;
  remove.default_row_commit_version = file.default_row_commit_version;
  removes_.push_back(std::move(remove));
}

void Transaction::set_transaction(const std::string& app_id, std::int64_t version) {
  transactions_.push_back(TransactionId{app_id, version, now_ms()});
}

void Transaction::set_operation(std::string operation, nlohmann::json parameters) {
  operation_ = std::move(operation);
  operation_parameters_ = std::move(parameters);
}

const Metadata* Transaction::effective_metadata() const {
  if (new_metadata_) return &*new_metadata_;
  return snapshot_ ? &snapshot_->metadata() : nullptr;
}

// As Spark decides it: only adds, and nothing read. A metadata change (a new table, mergeSchema) does not matter
// here: a winner's metadata change conflicts with every concurrent transaction whatever this flag says.
bool Transaction::is_blind_append() const {
  return !read_whole_table_ && read_predicates_.empty() && removes_.empty() &&
         std::all_of(adds_.begin(), adds_.end(), [](const AddFile& add) { return add.data_change; });
}

std::vector<Action> Transaction::build_actions(std::int64_t attempt_version) const {
  std::vector<Action> actions;
  CommitInfo info;
  info.value = {{"timestamp", now_ms()},
                {"operation", operation_},
                {"operationParameters", operation_parameters_},
                {"isolationLevel", "WriteSerializable"},
                {"isBlindAppend", is_blind_append()},
                {"engineInfo", engine_info()},
                {"txnId", new_uuid()}};
  if (read_version() >= 0) info.value["readVersion"] = read_version();
  std::int64_t output_rows = 0;
  std::int64_t output_bytes = 0;
  for (const auto& add : adds_) {
    output_bytes += add.size;
    if (add.stats) {
      auto stats = nlohmann::json::parse(*add.stats, nullptr, false);
      if (stats.is_object() && stats.contains("numRecords") && stats["numRecords"].is_number_integer()) {
        output_rows += stats["numRecords"].get<std::int64_t>();
      }
    }
  }
  // Spark records operation metrics as strings.
  info.value["operationMetrics"] = {{"numFiles", std::to_string(adds_.size())},
                                    {"numOutputRows", std::to_string(output_rows)},
                                    {"numOutputBytes", std::to_string(output_bytes)},
                                    {"numRemovedFiles", std::to_string(removes_.size())}};
  (void)attempt_version;
  actions.emplace_back(std::move(info));
  if (new_protocol_) actions.emplace_back(*new_protocol_);
  if (new_metadata_) actions.emplace_back(*new_metadata_);
  for (const auto& txn : transactions_) actions.emplace_back(txn);
  for (const auto& remove : removes_) actions.emplace_back(remove);
  for (const auto& add : adds_) actions.emplace_back(add);
  return actions;
}

void Transaction::check_conflicts(std::int64_t winning_version, const std::vector<Action>& winning) const {
  const WinningCommitSummary summary(winning);
  const std::string context = fmt::format("{}: a concurrent transaction committed version {} ({})",
                                          table_root_, winning_version,
                                          summary.operation.empty() ? "unknown operation" : summary.operation);
  if (summary.has_protocol) {
    // The winner's protocol must still be one we can read (this throws UnsupportedError otherwise).
    for (const auto& action : winning) {
      if (const auto* protocol = std::get_if<Protocol>(&action)) check_reader_protocol(*protocol, table_root_);
    }
    if (new_protocol_) {
      throw ConcurrentModificationError("ProtocolChangedException",
                                        context + " and changed the protocol version, as this transaction does");
    }
  }
  if (summary.has_metadata) {
    throw ConcurrentModificationError("MetadataChangedException", context + " and changed the table metadata");
  }
  // At WriteSerializable, a blind append only conflicts with a transaction that changes the metadata.
  std::vector<const AddFile*> added = summary.changed_data_added_files;
  if (new_metadata_) added.insert(added.end(), summary.blind_append_added_files.begin(),
                                  summary.blind_append_added_files.end());
  if (!added.empty() && (read_whole_table_ || !read_predicates_.empty())) {
    for (const auto* add : added) {
      bool matches = read_whole_table_;
      if (!matches && snapshot_) {
        const auto values = snapshot_->logical_partition_values(*add);
        matches = std::any_of(read_predicates_.begin(), read_predicates_.end(),
                              [&](const auto& predicate) { return predicate(values); });
      }
      if (matches) {
        throw ConcurrentModificationError(
            "ConcurrentAppendException",
            fmt::format("{} and added file '{}' to data this transaction read", context, add->path));
      }
    }
  }
  if (!summary.removed_files.empty()) {
    std::set<std::string> read_paths;
    std::set<std::string> removed_paths;
    for (const auto& remove : removes_) removed_paths.insert(remove.path);
    if (snapshot_ && !read_whole_table_) {
      for (const auto& file : snapshot_->files()) {
        const auto values = snapshot_->logical_partition_values(file);
        if (std::any_of(read_predicates_.begin(), read_predicates_.end(),
                        [&](const auto& predicate) { return predicate(values); })) {
          read_paths.insert(file.path);
        }
      }
    }
    for (const auto* remove : summary.removed_files) {
      if (read_whole_table_ || read_paths.contains(remove->path)) {
        throw ConcurrentModificationError(
            "ConcurrentDeleteReadException",
            fmt::format("{} and removed file '{}', which this transaction read", context, remove->path));
      }
      if (removed_paths.contains(remove->path)) {
        throw ConcurrentModificationError(
            "ConcurrentDeleteDeleteException",
            fmt::format("{} and removed file '{}', which this transaction also removes", context, remove->path));
      }
    }
  }
  for (const auto& app_id : summary.app_ids) {
    const bool ours = std::any_of(transactions_.begin(), transactions_.end(),
                                  [&](const TransactionId& txn) { return txn.app_id == app_id; });
    if (read_app_ids_.contains(app_id) || ours) {
      throw ConcurrentModificationError(
          "ConcurrentTransactionException",
          fmt::format("{} and recorded a transaction for application '{}' that this transaction depends on", context,
                      app_id));
    }
  }
}

CommitResult Transaction::commit(const CommitOptions& options) {
  DRIFTGOV_CHECK(!committed_, "transaction on {} committed twice", table_root_);
  if (!snapshot_ && !new_metadata_) {
    throw core::InputError(fmt::format("{}: a new table needs its metadata (schema) in the first commit",
                                       table_root_));
  }
  if (!snapshot_ && !new_protocol_) {
    throw core::InputError(fmt::format("{}: a new table needs its protocol in the first commit", table_root_));
  }
  // Checked before committing: after the commit nothing may fail the write.
  int interval = options.checkpoint_interval;
  if (const Metadata* metadata = effective_metadata()) {
    auto found = metadata->configuration.find("delta.checkpointInterval");
    if (found != metadata->configuration.end()) {
      try {
        interval = std::stoi(found->second);
      } catch (const std::exception&) {
        throw core::InputError(fmt::format("{}: table property delta.checkpointInterval '{}' is not an integer",
                                           table_root_, found->second));
      }
    }
  }
  const std::string log_directory = io::join_path(table_root_, "_delta_log");
  io::Storage& storage = options.storage ? *options.storage : *storage_;
  CommitResult result;
  std::int64_t attempt_version = read_version() + 1;
  for (int attempt = 1;; ++attempt) {
    const auto actions = build_actions(attempt_version);
    if (write_file_if_absent(io::join_path(log_directory, commit_file_name(attempt_version)), serialize_commit(actions), storage)) {
      committed_ = true;
      result.version = attempt_version;
      result.attempts = attempt;
      break;
    }
    if (attempt >= options.max_attempts) {
      throw core::InputError(fmt::format("{}: gave up committing after {} attempts lost to concurrent writers",
                                         table_root_, attempt));
    }
    // Check every commit that won since our last attempt, then try after the newest.
    const auto listing = list_log(table_root_, storage);
    const std::int64_t latest = listing.latest_version().value_or(attempt_version);
    for (std::int64_t version = attempt_version; version <= latest; ++version) {
      auto found = listing.commits.find(version);
      if (found == listing.commits.end()) continue;
      check_conflicts(version, read_commit(found->second, storage));
    }
    attempt_version = latest + 1;
  }

  if (interval > 0 && result.version > 0 && result.version % interval == 0) {
    // The commit stands from here on. A checkpoint only speeds up reading (readers replay the commits without
    // it), so a failure to write one is reported beside the result, not thrown: the caller would otherwise take
    // a committed write for a failed one and retry it. Spark logs such failures and continues the same way.
    try {
      write_checkpoint(Snapshot::load(table_root_, TimeTravel{result.version, std::nullopt}, storage), storage);
      result.checkpoint_written = true;
    } catch (const core::UnsupportedError&) {
      // A build without the Parquet writer commits without checkpoints.
    } catch (const core::IOError& error) {
      result.checkpoint_error = checkpoint_failure(result.version, error.what());
    } catch (const core::InputError& error) {
      result.checkpoint_error = checkpoint_failure(result.version, error.what());
    }
  }
  return result;
}

}  // namespace driftgov::delta
