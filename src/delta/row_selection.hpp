#pragma once
// Gathering rows of column batches lives in core (core::take_rows); the Delta readers and writers use it to split a
// batch by partition and to drop rows a deletion vector deletes.
#include "driftgov/core/column.hpp"

namespace driftgov::delta {
using core::take_rows;
}  // namespace driftgov::delta
