#pragma once
// Data skipping: which files of a snapshot may hold rows inside given column ranges, judged from partition values
// and the per-file stats in the log (minValues, maxValues, nullCount, numRecords). A file is only ever skipped
// when its partition value or its stats prove no row can match; files without usable stats are kept.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "driftgov/core/column.hpp"
#include "driftgov/delta/snapshot.hpp"

namespace driftgov::delta {

// A bound in the representation core::Column uses for the column's type: integers, booleans, dates (days) and
// timestamps (microseconds) as int64; floats as double; decimals as the unscaled Int128; strings as text.
using BoundValue = std::variant<std::int64_t, double, core::Int128, std::string>;

// Rows whose `column` (a top-level logical column), or its struct field at `fields` (logical names, outermost
// first), lies in [lower, upper]; a missing bound is open. Nulls (a field under a null struct too) never
// match a range. Nested fields are judged by the nested stats PROTOCOL.md describes ("Per-file Statistics":
// minValues {"window": {"start": ...}}); partition columns are top-level only.
struct ColumnRange {
  std::string column;
  std::optional<BoundValue> lower;
  std::optional<BoundValue> upper;
  std::vector<std::string> fields = {};
};

// Where a column path lies in `schema`: the top-level column's index, then the index of each struct field
// among its parent's children. Names match exactly. Throws InputError naming `context`, the path and the
// names there are for an unknown column or field, or for a path through a column that is not a struct.
std::vector<std::size_t> resolve_field_path(const core::Schema& schema, const std::string& column,
                                            const std::vector<std::string>& fields,
                                            const std::string& context);
// The field at a path resolve_field_path returned.
const core::Field& field_at(const core::Schema& schema, const std::vector<std::size_t>& path);

// Row `row` of `column` as a bound; nullopt for a null or a type without bounds (booleans count as integers).
std::optional<BoundValue> column_value(const core::Column& column, std::int64_t row);
// -1, 0, 1 for two values holding the same alternative.
int compare(const BoundValue& a, const BoundValue& b);

// Files of `snapshot` that may hold a row satisfying every range. Throws InputError for an unknown column or
// field, a path through a column that is not a struct, or a bound of the wrong kind for the type.
std::vector<const AddFile*> files_overlapping(const Snapshot& snapshot, const std::vector<ColumnRange>& ranges);

}  // namespace driftgov::delta
