#pragma once
// Typed access, by column name, to the rows of a batch scanned from one of driftgov's own Delta tables (the
// monitor's metric, breach, state and refreshes tables). One reader for all of them: the report, the exports and
// the refresh read their tables through it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "driftgov/core/column.hpp"

namespace driftgov::delta {

class BatchRows {
 public:
  // `table` names the table in messages.
  BatchRows(const core::RecordBatch& batch, std::string table) : batch_(batch), table_(std::move(table)) {}

  std::int64_t size() const { return batch_.num_rows; }
  // The column, or nullptr when the table lacks it (an older table may lack a newer column: it reads as null).
  const core::Column* find(std::string_view name) const;
  // The column; throws core::InputError naming the table and the column when it is missing.
  const core::Column& require(std::string_view name) const;

  // A value, or nullopt when it is null or the column is absent (nullptr).
  static std::optional<std::string> text(const core::Column* column, std::int64_t row);
  // Floating point columns as they are, integer columns converted.
  static std::optional<double> real(const core::Column* column, std::int64_t row);
  // Integer, boolean, timestamp and date columns (their stored integer).
  static std::optional<std::int64_t> integer(const core::Column* column, std::int64_t row);
  // A window struct's start and end (microseconds since the epoch).
  static std::optional<std::pair<std::int64_t, std::int64_t>> window(const core::Column* column, std::int64_t row);
  // A value as JSON: integers and floating point numbers as numbers (NaN and infinities as null), booleans,
  // strings, structs as objects, lists as arrays, timestamps and dates as their value text (ISO 8601).
  static nlohmann::json json(const core::Column& column, std::int64_t row);

 private:
  const core::RecordBatch& batch_;
  std::string table_;
};

}  // namespace driftgov::delta
