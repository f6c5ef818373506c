#pragma once
// Gathering rows of column batches: used to split a batch by partition and to drop rows a deletion vector
// deletes. Works for every column type, nested ones included.

#include <cstdint>
#include <vector>

#include "driftgov/core/column.hpp"

namespace driftgov::delta {

// The rows of `column` at `rows` (in that order; indexes must be valid).
core::Column take_rows(const core::Column& column, const std::vector<std::int64_t>& rows);
core::RecordBatch take_rows(const core::RecordBatch& batch, const std::vector<std::int64_t>& rows);

}  // namespace driftgov::delta
