#pragma once
// Building the rows of the monitor's Delta tables (docs/monitoring.md, "Output tables"): a typed column builder
// for the nested columns the tables use (window structs, arrays of structs), and the tables' schemas.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/core/column.hpp"

namespace driftgov::monitor {

// A column being built row by row. Struct columns get one child builder per field.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(core::DataType type);
  const core::DataType& type() const { return column_.type; }
  std::int64_t length() const { return column_.length; }
  void null();
  void integer(std::int64_t value);
  void real(double value);
  void text(std::string_view value);
  void boolean(bool value) { integer(value ? 1 : 0); }
  void optional_real(const std::optional<double>& value);
  void optional_integer(const std::optional<std::int64_t>& value);
  void optional_text(const std::optional<std::string>& value);
  // Struct: call child(i) for every field, then end_struct() (or null() for a null struct).
  ColumnBuilder& child(std::size_t index);
  void end_struct();
  // List: append elements through element(), then end_list(count) with the number appended.
  ColumnBuilder& element();
  void end_list(std::int64_t count);
  core::Column finish();

 private:
  void mark_valid();
  core::Column column_;
  std::vector<ColumnBuilder> children_;
};

// A batch being built: one ColumnBuilder per field of the schema, addressed by name.
class BatchBuilder {
 public:
  explicit BatchBuilder(core::Schema schema);
  ColumnBuilder& operator[](std::string_view name);
  // Ends a row: columns the row did not set get a null; setting one twice is a bug (InternalError).
  void end_row();
  std::int64_t rows() const { return rows_; }
  const core::Schema& schema() const { return schema_; }
  core::RecordBatch finish();

 private:
  core::Schema schema_;
  std::vector<ColumnBuilder> columns_;
  std::int64_t rows_ = 0;
};

core::Field field(std::string name, core::DataType type, bool nullable = true);
core::DataType struct_type(std::vector<core::Field> fields);
core::DataType list_type(core::DataType element);
core::DataType window_type();  // struct<start: timestamp, end: timestamp>

// Schemas. `model_id_col` empty: the monitor has no model id column and the tables do not carry one.
core::Schema profile_metrics_schema(const std::string& model_id_col);
core::Schema drift_metrics_schema(const std::string& model_id_col);
core::Schema breaches_schema(const std::string& model_id_col);
core::Schema state_schema();
core::Schema refreshes_schema();

}  // namespace driftgov::monitor
