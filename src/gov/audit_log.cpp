#include "driftgov/gov/audit_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <nlohmann/json.hpp>

#include "driftgov/core/column.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/delta/predicate.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "gov/chained_table.hpp"

namespace driftgov::gov {
namespace {

using detail::now_us;
using detail::table_exists;

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

}  // namespace

const std::string& genesis_hash() {
  static const std::string zeros(64, '0');
  return zeros;
}

std::string canonical_entry_text(const AuditEntry& entry) {
  std::string text = "driftgov-audit-v1\n";
  const auto field = [&text](std::string_view name, std::string_view value) {
    detail::append_canonical_field(text, name, value);
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
  const auto lock = detail::lock_for_append(table, options.wait_seconds);
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

    if (detail::append_row_once(table, entry_batch(entry), kApplicationId, entry.seq, entry.time_us)) return entry;
    if (attempt >= kCommitAttempts) {
      throw AuditLogBusyError(fmt::format("{}: seq {} was taken by another writer {} times in a row; nothing was "
                                          "written",
                                          table, entry.seq, attempt));
    }
  }
}

void order_by_seq(std::vector<AuditEntry>& entries) {
  const auto by_seq = [](const AuditEntry& a, const AuditEntry& b) { return a.seq < b.seq; };
  if (std::is_sorted(entries.begin(), entries.end(), by_seq)) return;
  // Sorts positions, then moves each entry once (a sort of the entries themselves moves their nine strings
  // log N times each).
  std::vector<std::size_t> order(entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&entries](std::size_t a, std::size_t b) { return entries[a].seq < entries[b].seq; });
  std::vector<AuditEntry> sorted;
  sorted.reserve(entries.size());
  for (const auto index : order) sorted.push_back(std::move(entries[index]));
  entries = std::move(sorted);
}

std::vector<AuditEntry> read_audit_log(const std::string& table) {
  if (!table_exists(table)) return {};
  const auto snapshot = delta::Snapshot::load(table);
  auto entries = scan_entries(snapshot, {});
  order_by_seq(entries);
  return entries;
}

VerifyResult verify_audit_entries(const std::vector<AuditEntry>& entries, const Principals& principals,
                                  std::int64_t signatures_attested_through) {
  // In seq order without copying the entries: their addresses, sorted only when the entries are not in order.
  std::vector<const AuditEntry*> ordered;
  ordered.reserve(entries.size());
  for (const auto& entry : entries) ordered.push_back(&entry);
  const auto by_seq = [](const AuditEntry* a, const AuditEntry* b) { return a->seq < b->seq; };
  if (!std::is_sorted(ordered.begin(), ordered.end(), by_seq)) std::stable_sort(ordered.begin(), ordered.end(), by_seq);
  VerifyResult result;
  result.entries = static_cast<std::int64_t>(entries.size());
  const std::string* previous_hash = &genesis_hash();
  for (std::size_t index = 0; index < ordered.size(); ++index) {
    const auto& entry = *ordered[index];
    const detail::ChainedRow row{entry.seq, entry.actor, entry.entry_hash, entry.prev_hash, entry.signature};
    if (auto problem = detail::check_chained_row(row, index, sha256_hex(canonical_entry_text(entry)), *previous_hash,
                                                 principals, {"entry", "an entry", "entry_hash"},
                                                 entry.seq > signatures_attested_through)) {
      result.bad_seq = problem->first;
      result.problem = std::move(problem->second);
      return result;
    }
    previous_hash = &entry.entry_hash;
  }
  return result;
}

VerifyResult verify_audit_log(const std::string& table, const Principals& principals) {
  return verify_audit_entries(read_audit_log(table), principals);
}

}  // namespace driftgov::gov
