#pragma once
// What the hash-chained governance tables (the audit log, the incidents) share: the append lock and the one-row
// idempotent commit. Private to src/gov.
#include <cstdint>
#include <memory>
#include <string>
#include <optional>
#include <string_view>
#include <utility>

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
// signature that is not valid for the actor's configured key.
std::optional<std::pair<std::int64_t, std::string>> check_chained_row(const ChainedRow& row, std::size_t index,
                                                                      const std::string& recomputed_hash,
                                                                      const std::string& previous_hash,
                                                                      const Principals& principals,
                                                                      const ChainWords& words);

// Microseconds since the epoch, by the system clock.
std::int64_t now_us();

}  // namespace driftgov::gov::detail
