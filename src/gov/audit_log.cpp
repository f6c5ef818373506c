#include "driftgov/gov/audit_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "driftgov/core/column.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/predicate.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"

namespace driftgov::gov {
namespace {

constexpr const char* kApplicationId = "driftgov.audit_log";
constexpr int kCommitAttempts = 5;

core::Schema audit_schema() {
  using core::DataType;
  const auto text = [](const char* name) { return core::Field{name, DataType::string(), false, std::nullopt}; };
  return core::Schema{{core::Field{"seq", DataType::int64(), false, std::nullopt},
                       core::Field{"time", DataType::timestamp(), false, std::nullopt}, text("actor"), text("action"),
                       text("target"), text("subject"), text("details"), text("prev_hash"), text("entry_hash"),
                       text("signature")}};
}

core::RecordBatch entry_batch(const AuditEntry& entry) {
  core::RecordBatch batch;
  batch.schema = audit_schema();
  for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
  batch.columns[0].append_int(entry.seq);
  batch.columns[1].append_int(entry.time_us);
  const std::string* texts[] = {&entry.actor,     &entry.action,    &entry.target,     &entry.subject,
                                &entry.details,   &entry.prev_hash, &entry.entry_hash, &entry.signature};
  for (std::size_t index = 0; index < std::size(texts); ++index) batch.columns[index + 2].append_string(*texts[index]);
  batch.num_rows = 1;
  return batch;
}

bool table_exists(const std::string& table) { return io::local_storage().is_folder(table + "/_delta_log"); }

// The entries of the table's rows that a scan with `options` yields (every row of the files it reads).
std::vector<AuditEntry> scan_entries(const delta::Snapshot& snapshot, delta::ScanOptions options) {
  const std::vector<std::string> names = {"seq",     "time",    "actor",     "action",     "target",
                                          "subject", "details", "prev_hash", "entry_hash", "signature"};
  options.columns = names;
  delta::Scan scan(snapshot, std::move(options));
  std::vector<AuditEntry> entries;
  while (auto batch = scan.next()) {
    const auto& columns = batch->columns;
    const auto text = [&columns](std::size_t index, std::int64_t row) {
      return columns[index].is_valid(row) ? std::string(columns[index].string_at(row)) : std::string();
    };
    for (std::int64_t row = 0; row < batch->num_rows; ++row) {
      AuditEntry entry;
      const auto r = static_cast<std::size_t>(row);
      entry.seq = columns[0].is_valid(row) ? columns[0].ints[r] : 0;
      entry.time_us = columns[1].is_valid(row) ? columns[1].ints[r] : 0;
      entry.actor = text(2, row);
      entry.action = text(3, row);
      entry.target = text(4, row);
      entry.subject = text(5, row);
      entry.details = text(6, row);
      entry.prev_hash = text(7, row);
      entry.entry_hash = text(8, row);
      entry.signature = text(9, row);
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

// The newest entry: seq from the idempotence record of the last append (the data files holding other seqs are
// skipped by their stats); a table without one (written by another tool) is read whole.
std::optional<AuditEntry> last_entry(const std::string& table) {
  if (!table_exists(table)) return std::nullopt;
  const auto snapshot = delta::Snapshot::load(table);
  delta::ScanOptions options;
  const auto recorded = snapshot.transaction_version(kApplicationId);
  if (recorded) options.predicate = delta::parse_predicate(fmt::format("seq >= {}", *recorded), table);
  auto entries = scan_entries(snapshot, std::move(options));
  if (entries.empty()) return std::nullopt;
  return *std::max_element(entries.begin(), entries.end(),
                           [](const AuditEntry& a, const AuditEntry& b) { return a.seq < b.seq; });
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const std::string& genesis_hash() {
  static const std::string zeros(64, '0');
  return zeros;
}

std::string canonical_entry_text(const AuditEntry& entry) {
  std::string text = "driftgov-audit-v1\n";
  const auto field = [&text](std::string_view name, std::string_view value) {
    text += fmt::format("{} {} ", name, value.size());
    text += value;
    text += '\n';
  };
  field("seq", std::to_string(entry.seq));
  field("time", std::to_string(entry.time_us));
  field("actor", entry.actor);
  field("action", entry.action);
  field("target", entry.target);
  field("subject", entry.subject);
  field("details", entry.details);
  field("prev_hash", entry.prev_hash);
  return text;
}

std::string audit_log_table(const std::string& lakehouse) { return lakehouse + "/governance/audit_log"; }

AuditEntry append_audit_entry(const std::string& table, const std::string& actor_name, const KeyPair& actor,
                              const AppendRequest& request, const AppendOptions& options) {
  if (!nlohmann::json::accept(request.details)) {
    throw core::InputError(fmt::format("audit entry '{}': details must be JSON text, found '{}'", request.action,
                                       request.details.substr(0, 80)));
  }
  auto& storage = io::local_storage();
  const std::string lock_path = table + "/_driftgov_append.lock";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.wait_seconds);
  std::unique_ptr<io::Storage::Lock> lock;
  while (!(lock = storage.try_lock(lock_path))) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw AuditLogBusyError(fmt::format("{}: another append holds the lock {} (waited {:.1f} s); nothing was written",
                                          table, lock_path, options.wait_seconds));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Under the lock no other driftgov append runs; the idempotence record still guards against a writer that
  // ignores the lock (or a lease that expired on an object store): its seq is taken, so chain again after it.
  for (int attempt = 1;; ++attempt) {
    const auto previous = last_entry(table);
    AuditEntry entry;
    entry.seq = previous ? previous->seq + 1 : 1;
    entry.time_us = request.time_us.value_or(now_us());
    entry.actor = actor_name;
    entry.action = request.action;
    entry.target = request.target;
    entry.subject = request.subject;
    entry.details = request.details;
    entry.prev_hash = previous ? previous->entry_hash : genesis_hash();
    entry.entry_hash = sha256_hex(canonical_entry_text(entry));
    const auto signature = actor.sign(entry.entry_hash);
    entry.signature = to_hex(signature.data(), signature.size());

    delta::TableWriteOptions write;
    write.mode = delta::WriteMode::kAppend;
    write.storage = &storage;
    write.idempotent = delta::TransactionId{kApplicationId, entry.seq, entry.time_us / 1000};
    const auto batch = entry_batch(entry);
    bool given = false;
    const auto result = delta::write_table(table, batch.schema,
                                           [&batch, &given]() -> std::optional<core::RecordBatch> {
                                             if (given) return std::nullopt;
                                             given = true;
                                             return batch;
                                           },
                                           write);
    if (!result.skipped) return entry;
    if (attempt >= kCommitAttempts) {
      throw AuditLogBusyError(fmt::format("{}: seq {} was taken by another writer {} times in a row; nothing was "
                                          "written",
                                          table, entry.seq, attempt));
    }
  }
}

std::vector<AuditEntry> read_audit_log(const std::string& table) {
  if (!table_exists(table)) return {};
  const auto snapshot = delta::Snapshot::load(table);
  auto entries = scan_entries(snapshot, {});
  std::stable_sort(entries.begin(), entries.end(), [](const AuditEntry& a, const AuditEntry& b) { return a.seq < b.seq; });
  return entries;
}

VerifyResult verify_audit_entries(std::vector<AuditEntry> entries, const Principals& principals) {
  std::stable_sort(entries.begin(), entries.end(), [](const AuditEntry& a, const AuditEntry& b) { return a.seq < b.seq; });
  VerifyResult result;
  result.entries = static_cast<std::int64_t>(entries.size());
  const auto fail = [&result](std::int64_t seq, std::string problem) {
    result.bad_seq = seq;
    result.problem = std::move(problem);
    return result;
  };
  const std::string* previous_hash = &genesis_hash();
  for (std::size_t index = 0; index < entries.size(); ++index) {
    const auto& entry = entries[index];
    const auto expected_seq = static_cast<std::int64_t>(index) + 1;
    if (entry.seq < expected_seq) {  // sorted: the previous entry has the same seq, or this is the first
      return fail(entry.seq, index == 0 ? fmt::format("seq {} is not a positive number (the log starts at 1)", entry.seq)
                                        : fmt::format("seq {} appears more than once (a duplicated or inserted entry)",
                                                      entry.seq));
    }
    if (entry.seq > expected_seq) {
      return fail(expected_seq, fmt::format("entry seq {} is missing (deleted); the next entry is seq {}",
                                            expected_seq, entry.seq));
    }
    if (sha256_hex(canonical_entry_text(entry)) != entry.entry_hash) {
      return fail(entry.seq, "entry_hash does not match the entry's fields (the entry was edited)");
    }
    if (entry.prev_hash != *previous_hash) {
      return fail(entry.seq,
                  index == 0 ? std::string("prev_hash of the first entry is not 64 zeros")
                             : fmt::format("prev_hash is not the entry_hash of entry seq {} (an entry was inserted, "
                                           "deleted or reordered)",
                                           entry.seq - 1));
    }
    const auto principal = principals.find(entry.actor);
    if (principal == principals.end()) {
      return fail(entry.seq, fmt::format("actor '{}' is not a principal of the configuration", entry.actor));
    }
    Signature signature{};
    if (!from_hex(entry.signature, signature.data(), signature.size())) {
      return fail(entry.seq, fmt::format("signature is not {} lowercase hex digits", 2 * kSignatureBytes));
    }
    if (!verify_signature(principal->second.public_key, entry.entry_hash, signature)) {
      return fail(entry.seq, fmt::format("signature is not valid for actor '{}' (public key {})", entry.actor,
                                         principal->second.public_key.text()));
    }
    previous_hash = &entry.entry_hash;
  }
  return result;
}

VerifyResult verify_audit_log(const std::string& table, const Principals& principals) {
  return verify_audit_entries(read_audit_log(table), principals);
}

}  // namespace driftgov::gov
