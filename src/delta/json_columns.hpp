#pragma once
// JSON values <-> column values for a given type: how checkpoint rows become actions and actions become rows.
// Structs are JSON objects by field name, lists arrays, maps objects keyed by the key's text; dates read and
// write as "yyyy-mm-dd" and timestamps as ISO 8601 (the forms Delta stats use).

#include <nlohmann/json.hpp>

#include "driftgov/core/column.hpp"

namespace driftgov::delta {

// An empty column of `type` with the child columns nested types need.
core::Column make_column(const core::DataType& type);
// Appends `value` (null appends a null). Throws core::InputError naming `context` when the value does not fit.
void append_json(core::Column& column, const nlohmann::json& value, const std::string& context);
// The value at `row` (null for a null).
nlohmann::json json_at(const core::Column& column, std::int64_t row);

}  // namespace driftgov::delta
