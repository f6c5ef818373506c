#pragma once
// Logical types, fields and schemas shared by every reader and writer.
// A DataType is a value type: cheap to copy for flat types, recursive through `children` for nested ones.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace driftgov::core {

enum class TypeId : std::uint8_t {
  kNull,       // every value is null (Parquet UNKNOWN, an all-empty CSV column)
  kBoolean,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kDecimal,    // precision/scale; unscaled value in Column::decimals
  kDate,       // days since 1970-01-01
  kTimestamp,  // count of `unit` since 1970-01-01T00:00:00, UTC-adjusted when `utc` is true
  kString,     // UTF-8
  kBinary,
  kStruct,     // children = fields
  kList,       // children[0] = element
  kMap,        // children[0] = key, children[1] = value
};

enum class TimeUnit : std::uint8_t { kMilli, kMicro, kNano };

struct Field;

struct DataType {
  DataType();
  explicit DataType(TypeId type_id);
  // Definitions follow Field, which must be complete first (std::vector<Field> member).

  TypeId id = TypeId::kNull;
  int precision = 0;  // kDecimal
  int scale = 0;      // kDecimal
  TimeUnit unit = TimeUnit::kMicro;  // kTimestamp
  bool utc = true;                   // kTimestamp: false means timestamp without time zone (timestamp_ntz)
  std::vector<Field> children;       // kStruct, kList, kMap

  static DataType null();
  static DataType boolean();
  static DataType int32();
  static DataType int64();
  static DataType float32();
  static DataType float64();
  static DataType string();
  static DataType binary();
  static DataType date();
  static DataType timestamp(TimeUnit unit = TimeUnit::kMicro, bool utc = true);
  static DataType decimal(int precision, int scale);

  bool is_integer() const;
  bool is_floating() const { return id == TypeId::kFloat32 || id == TypeId::kFloat64; }
  // Numeric for drift purposes: integers, floats, decimals, dates and timestamps all have an order and a mean.
  bool is_numeric() const;
  bool is_nested() const { return id == TypeId::kStruct || id == TypeId::kList || id == TypeId::kMap; }

  // A stable name used in CLI output, JSON and docs: "int64", "double", "decimal(10,2)", "timestamp[us, UTC]".
  std::string to_string() const;
  friend bool operator==(const DataType&, const DataType&);
};

struct Field {
  std::string name;
  DataType type;
  bool nullable = true;
  std::optional<std::int32_t> field_id;  // Parquet field_id / Delta column mapping id
  friend bool operator==(const Field&, const Field&) = default;
};

inline DataType::DataType() = default;
inline DataType::DataType(TypeId type_id) : id(type_id) {}
inline DataType DataType::null() { return DataType{TypeId::kNull}; }
inline DataType DataType::boolean() { return DataType{TypeId::kBoolean}; }
inline DataType DataType::int32() { return DataType{TypeId::kInt32}; }
inline DataType DataType::int64() { return DataType{TypeId::kInt64}; }
inline DataType DataType::float32() { return DataType{TypeId::kFloat32}; }
inline DataType DataType::float64() { return DataType{TypeId::kFloat64}; }
inline DataType DataType::string() { return DataType{TypeId::kString}; }
inline DataType DataType::binary() { return DataType{TypeId::kBinary}; }
inline DataType DataType::date() { return DataType{TypeId::kDate}; }

struct Schema {
  std::vector<Field> fields;

  // Index of the field with this exact name, or nullopt.
  std::optional<std::size_t> find(std::string_view name) const;
  std::string to_string() const;
  friend bool operator==(const Schema&, const Schema&) = default;
};

// Parses a type name as printed by DataType::to_string and accepted by --type overrides
// ("int64", "int32", "int16", "int8", "double", "float" (32 bits), "decimal(p,s)", "string", "boolean", "date",
// "timestamp"), and Spark SQL's names for them (bigint, smallint, tinyint, ...). Throws InputError naming `context`.
DataType parse_type_name(std::string_view name, std::string_view context);

}  // namespace driftgov::core
