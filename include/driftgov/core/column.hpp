#pragma once
// Column batches: typed values plus validity, the unit every reader produces and every profiler consumes.
// Layout (one Column holds exactly one of the value buffers, chosen by type.id):
//   kBoolean, kInt8..kInt64, kDate, kTimestamp -> ints   (booleans as 0/1; dates in days; timestamps in unit)
//   kFloat32, kFloat64                          -> doubles (float32 widened exactly)
//   kDecimal                                    -> decimals (unscaled 128-bit values)
//   kString, kBinary                            -> offsets (length + 1 entries) into bytes
//   kList, kMap                                 -> offsets (length + 1 entries) into children[0]
//   kStruct                                     -> children, one per field, each of the same length
//   kMap: children[0] is a kStruct column of entries with fields "key" and "value".
// `validity` has one byte per row (1 = value present); an empty vector means every row is valid.
// A Column owns its buffers, with one exception: a column imported from Arrow for profiling may borrow its values
// (borrowed_doubles for float64, borrowed_ints for int64 and timestamps), with `owner` keeping the producer's buffer
// alive and doubles/ints left empty. Only the profiler reads such columns, through double_values()/int_values();
// the values of their null rows are whatever the producer's buffer holds. It is not thread-safe to mutate a Column
// concurrently.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/core/types.hpp"

namespace driftgov::core {

__extension__ typedef __int128 Int128;

struct Column {
  DataType type;
  std::int64_t length = 0;
  std::vector<std::uint8_t> validity;
  std::vector<std::int64_t> ints;
  std::vector<double> doubles;
  std::vector<Int128> decimals;
  std::vector<std::int64_t> offsets;
  std::string bytes;
  std::vector<Column> children;
  const double* borrowed_doubles = nullptr;
  const std::int64_t* borrowed_ints = nullptr;
  std::shared_ptr<const void> owner;  // keeps the borrowed values alive

  Column() = default;
  explicit Column(DataType column_type);

  bool is_valid(std::int64_t row) const { return validity.empty() || validity[static_cast<std::size_t>(row)] != 0; }
  std::int64_t null_count() const;
  // The values of a float (doubles) or integer-backed (ints) column, owned or borrowed.
  const double* double_values() const { return borrowed_doubles != nullptr ? borrowed_doubles : doubles.data(); }
  const std::int64_t* int_values() const { return borrowed_ints != nullptr ? borrowed_ints : ints.data(); }
  std::string_view string_at(std::int64_t row) const {
    const auto begin = offsets[static_cast<std::size_t>(row)];
    const auto end = offsets[static_cast<std::size_t>(row) + 1];
    return std::string_view(bytes).substr(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
  }

  // Appenders for flat columns. Append a null with append_null (works for every type, nested too).
  void append_null();
  void append_int(std::int64_t value);
  void append_double(double value);
  void append_decimal(Int128 value);
  void append_string(std::string_view value);
  void reserve(std::int64_t rows);
  // Clears values but keeps the type and the capacity of the buffers.
  void clear();

 private:
  void mark_valid();
};

// Exact decimal text of an unscaled value: decimal_to_string(-12345, 2) == "-123.45", (5, 3) == "0.005".
std::string decimal_to_string(Int128 unscaled, int scale);

enum class DecimalParse { kOk, kNotANumber, kOverflow };
// Reads decimal text ("-12.5", "1e3", "0.125E-1"; optional sign, digits with an optional point, an optional
// exponent) as the unscaled value of a decimal(precision, scale), rounding half away from zero to the scale (as
// Java's BigDecimal.setScale(scale, HALF_UP), which Spark uses). kOverflow when the rounded value needs more than
// `precision` digits; `unscaled` is set only for kOk.
DecimalParse parse_decimal(std::string_view text, int precision, int scale, Int128& unscaled);

struct RecordBatch {
  Schema schema;
  std::vector<Column> columns;
  std::int64_t num_rows = 0;
};

// The rows of `column` at `rows` (in that order; indexes must be valid). Works for every type, nested ones
// included: used to split a batch by partition or group and to drop rows a deletion vector deletes.
Column take_rows(const Column& column, const std::vector<std::int64_t>& rows);
RecordBatch take_rows(const RecordBatch& batch, const std::vector<std::int64_t>& rows);

}  // namespace driftgov::core
