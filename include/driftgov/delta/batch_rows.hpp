#pragma once
// Typed access to the rows of a batch scanned from one of driftgov's own Delta tables (the monitor's metric, breach,
// state and refreshes tables). One reader for all of them: the report, the exports and the refresh read their
// tables through it. A column is resolved by name once per batch into a handle, whose type is checked then; the
// handle reads row after row with no lookup.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "driftgov/core/column.hpp"

namespace driftgov::delta {

// What a handle reads: text (string or binary columns), a real number (floating point columns as they are,
// integer columns converted), an integer (integer, boolean, timestamp and date columns: their stored integer), or a
// window struct's start and end (microseconds since the epoch).
enum class RowValue { kText, kReal, kInteger, kWindow };

// One column of a batch, resolved once. A column the table lacks (an older table may lack a newer column) and an
// all-null column read as null at every row. Copyable; valid while the batch is.
template <RowValue kind>
class ColumnHandle {
 public:
  using Value = std::conditional_t<
      kind == RowValue::kText, std::string,
      std::conditional_t<kind == RowValue::kReal, double,
                         std::conditional_t<kind == RowValue::kInteger, std::int64_t,
                                            std::pair<std::int64_t, std::int64_t>>>>;

  ColumnHandle() = default;
  // The column as this handle reads it, or nullptr for a column that reads as null everywhere. Throws
  // core::InputError naming the table, the column, its type and what was expected when its type does not fit.
  static ColumnHandle resolve(const core::Column* column, std::string_view table, std::string_view name);

  // The value at `row`, or nullopt when it is null or the column is absent.
  std::optional<Value> at(std::int64_t row) const;
  // Text columns only: the value without a copy, valid while the batch is.
  std::optional<std::string_view> view(std::int64_t row) const
    requires(kind == RowValue::kText);
  bool present() const { return column_ != nullptr; }

 private:
  explicit ColumnHandle(const core::Column* column) : column_(column) {}
  const core::Column* column_ = nullptr;
};

using TextColumn = ColumnHandle<RowValue::kText>;
using RealColumn = ColumnHandle<RowValue::kReal>;
using IntegerColumn = ColumnHandle<RowValue::kInteger>;
using WindowColumn = ColumnHandle<RowValue::kWindow>;

class BatchRows {
 public:
  // `table` names the table in messages.
  BatchRows(const core::RecordBatch& batch, std::string table) : batch_(batch), table_(std::move(table)) {}

  std::int64_t size() const { return batch_.num_rows; }
  const std::string& table() const { return table_; }
  // The column, or nullptr when the table lacks it.
  const core::Column* find(std::string_view name) const;
  // The column; throws core::InputError naming the table and the column when it is missing.
  const core::Column& require(std::string_view name) const;

  // A handle on a column that may be missing (it then reads as null) ...
  template <RowValue kind>
  ColumnHandle<kind> column(std::string_view name) const {
    return ColumnHandle<kind>::resolve(find(name), table_, name);
  }
  // ... or on one that must be there (throws as `require` does).
  template <RowValue kind>
  ColumnHandle<kind> required(std::string_view name) const {
    return ColumnHandle<kind>::resolve(&require(name), table_, name);
  }

  // A value as JSON: integers and floating point numbers as numbers (NaN and infinities as null), booleans,
  // strings, structs as objects, lists as arrays, timestamps and dates as their value text (ISO 8601).
  static nlohmann::json json(const core::Column& column, std::int64_t row);

 private:
  const core::RecordBatch& batch_;
  std::string table_;
};

}  // namespace driftgov::delta
