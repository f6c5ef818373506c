#pragma once
// Delta schemas (PROTOCOL.md, "Schema Serialization Format") and core::Schema, both ways.
// A Delta field carries a metadata map (column mapping ids and physical names, type-change history, comments)
// that core::Field has no room for, so TableSchema keeps it in a tree that mirrors the core types:
// ColumnMetadata::children follow core::DataType::children (struct fields; list element; map key and value).
// Type mapping: byte/short/integer/long -> int8..int64, float/double, decimal(p,s), boolean, string, binary, date,
// timestamp -> timestamp[us, UTC], timestamp_ntz -> timestamp_ntz[us], void -> null. Anything else (variant,
// intervals) is refused with core::UnsupportedError naming the type.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "driftgov/core/types.hpp"
#include "driftgov/delta/actions.hpp"

namespace driftgov::delta {

struct ColumnMetadata {
  nlohmann::json values = nlohmann::json::object();  // the field's "metadata" object
  std::vector<ColumnMetadata> children;

  std::optional<std::string> physical_name() const;  // delta.columnMapping.physicalName
  std::optional<std::int32_t> column_id() const;     // delta.columnMapping.id
  friend bool operator==(const ColumnMetadata&, const ColumnMetadata&) = default;
};

struct TableSchema {
  core::Schema schema;                  // logical names and types (field ids only in physical_schema)
  std::vector<ColumnMetadata> metadata;  // one per top-level field
  friend bool operator==(const TableSchema&, const TableSchema&) = default;
};

enum class ColumnMappingMode { kNone, kName, kId };

// Parses metaData.schemaString. `context` names where it came from, for error messages.
TableSchema parse_schema(const std::string& schema_string, const std::string& context);
// The schemaString for a schema (metadata carried over; fields without metadata get an empty object).
std::string serialize_schema(const TableSchema& schema);
// A TableSchema for a core::Schema with no Delta metadata (a new table without column mapping).
TableSchema table_schema_from(const core::Schema& schema);

// delta.columnMapping.mode from the table configuration. Throws InputError on an unknown mode.
ColumnMappingMode column_mapping_mode(const StringMap& configuration);

// The schema as stored in data files: physical names and field ids under column mapping (nested too).
// Without column mapping it equals the logical schema.
core::Schema physical_schema(const TableSchema& schema, ColumnMappingMode mode);
// Physical name of a top-level column (the logical name without column mapping).
std::string physical_column_name(const TableSchema& schema, std::size_t index, ColumnMappingMode mode);

// A Delta type name for messages and JSON: "long", "decimal(10,2)", "struct<a: int>", ...
std::string delta_type_name(const core::DataType& type);

}  // namespace driftgov::delta
