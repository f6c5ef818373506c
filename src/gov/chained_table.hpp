#pragma once
// What the hash-chained governance tables (the audit log, the incidents) share: the append lock and the one-row
// idempotent commit. Private to src/gov.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/gov/principals.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::gov::detail {

// Takes the exclusive append lock of `table` (<table>/_driftgov_append.lock on the local storage), waiting up to
// wait_seconds; then throws AuditLogBusyError naming the table and the lock ("nothing was written").
std::unique_ptr<io::Storage::Lock> lock_for_append(const std::string& table, double wait_seconds);

// Appends the one-row `batch` to `table` (created when absent) with the Delta transaction (app_id, seq); false when
// the table records that seq (or a later one) already, so nothing was written.
bool append_row_once(const std::string& table, const core::RecordBatch& batch, const std::string& app_id,
                     std::int64_t seq, std::int64_t time_us);

// Whether the local folder `table` holds a Delta table.
bool table_exists(const std::string& table);

// Appends "<name> <byte length> <value>\n" to `text`: one field of a canonical serialization.
void append_canonical_field(std::string& text, std::string_view name, std::string_view value);

// The chain fields of one row of a hash-chained table.
struct ChainedRow {
  std::int64_t seq;
  const std::string& actor;
  const std::string& hash;  // the stored hash of the row's canonical text
  const std::string& prev_hash;
  const std::string& signature;
};

// Names of a table's rows in messages: "entry" and "entry_hash" for the audit log.
struct ChainWords {
  const char* row;          // "entry"
  const char* a_row;        // "an entry"
  const char* hash_column;  // "entry_hash"
};

// The first problem of the row at `index` (rows sorted by seq) and the seq to name, or nullopt: a seq that is not
// index + 1 (a repeat, a gap), a hash that is not `recomputed_hash` (an edit), a prev_hash that is not
// `previous_hash` (an insertion, deletion or reordering re-hashed around), an actor that is not a principal, a
// signature that is not valid for the actor's configured key (unless `check_signature` is false: a signature a
// verified checkpoint attests, docs/governance.md "Checkpoints").
std::optional<std::pair<std::int64_t, std::string>> check_chained_row(const ChainedRow& row, std::size_t index,
                                                                      const std::string& recomputed_hash,
                                                                      const std::string& previous_hash,
                                                                      const Principals& principals,
                                                                      const ChainWords& words,
                                                                      bool check_signature = true);

// A generic row of a chained table, for tables written after the audit log and the incidents (approvals, the
// model registry): its fields in column order, each an int64 column (`seq`, a count), a timestamp column
// (microseconds) or a string column. The last two are the row's hash and signature.
struct FieldRef {
  const char* name;
  std::variant<std::int64_t*, std::string*> value;
  bool is_time = false;
};

// The table schema of a row's fields (none nullable).
core::Schema chained_schema(const std::vector<FieldRef>& fields);
// One batch of rows (each given as its fields; all of one layout).
core::RecordBatch chained_batch(const std::vector<std::vector<FieldRef>>& rows);
// The canonical text of a row: the line `header`, then append_canonical_field of every field but the last two
// (hash and signature), integers and times in decimal.
std::string chained_canonical_text(const char* header, const std::vector<FieldRef>& fields);
// Reads every row of `table` into records made by `make` and filled through `fields_of`; in seq order (a stable
// sort on the first field); empty when the table does not exist. Returns the table version read (-1: none).
template <typename Record, typename FieldsOf>
std::int64_t read_chained_rows(const std::string& table, std::vector<Record>& records, FieldsOf fields_of);

// The untyped core of read_chained_rows: calls `row(values)` with each row's values in column order (an int64 or
// a string; a null as 0 or ""). Returns the table version read (-1: the table does not exist).
using ChainedValue = std::variant<std::int64_t, std::string>;
std::int64_t scan_chained_rows(const std::string& table, const std::vector<std::string>& columns,
                               const std::function<void(std::vector<ChainedValue>&)>& row);

template <typename Record, typename FieldsOf>
std::int64_t read_chained_rows(const std::string& table, std::vector<Record>& records, FieldsOf fields_of) {
  Record probe;
  std::vector<std::string> columns;
  for (const auto& field : fields_of(probe)) columns.emplace_back(field.name);
  const auto version = scan_chained_rows(table, columns, [&](std::vector<ChainedValue>& values) {
    Record record;
    auto fields = fields_of(record);
    for (std::size_t index = 0; index < fields.size(); ++index) {
      if (auto* number = std::get_if<std::int64_t*>(&fields[index].value)) {
        **number = std::get<std::int64_t>(values[index]);
      } else {
        *std::get<std::string*>(fields[index].value) = std::move(std::get<std::string>(values[index]));
      }
    }
    records.push_back(std::move(record));
  });
  std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.seq < b.seq; });
  return version;
}

// The strings of a JSON array text (other values left out); empty when the text is not an array.
std::vector<std::string> json_strings(const std::string& text);

// Microseconds since the epoch, by the system clock.
std::int64_t now_us();

}  // namespace driftgov::gov::detail
