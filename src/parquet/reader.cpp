#include "driftgov/parquet/reader.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "decoding.hpp"
#include "flat_column_decoder.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/parquet/compression.hpp"
#include "driftgov/parquet/thrift_compact.hpp"

namespace driftgov::parquet {
namespace {

using core::DataType;
using core::TypeId;

__extension__ typedef unsigned __int128 UInt128;

constexpr int kMaxSchemaDepth = 100;
// Bytes read for a page header beyond the expected page size; headers carrying long statistics may need more.
constexpr std::size_t kPageHeaderAllowance = 4096;
// Values reserved up front for a chunk at most: the row count comes from the file and a hostile one must not
// allocate gigabytes before a page has been seen.
constexpr std::int64_t kMaxReservedValues = std::int64_t{1} << 26;
constexpr std::int64_t kJulianDayOfUnixEpoch = 2440588;
constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// ---------------------------------------------------------------------------------------------------------------
// Byte access: a file read with pread, or a buffer in memory.

class Input {
 public:
  virtual ~Input() = default;
  virtual std::int64_t size() const = 0;
  // The bytes [offset, offset + length), which the caller has checked lie inside the input. `scratch` may hold them.
  virtual std::string_view read(std::int64_t offset, std::int64_t length, std::string& scratch) const = 0;
};

// A file of a storage, read with io::RandomAccessFile::read_at.
class StorageInput final : public Input {
 public:
  explicit StorageInput(std::unique_ptr<io::RandomAccessFile> file) : file_(std::move(file)) {}
  std::int64_t size() const override { return file_->size(); }
  std::string_view read(std::int64_t offset, std::int64_t length, std::string& scratch) const override {
    // The scratch only grows, so that reads of varying size do not zero-fill it again.
    const auto wanted = static_cast<std::size_t>(length);
    if (scratch.size() < wanted) scratch.resize(wanted);
    file_->read_at(offset, length, scratch.data());
    return std::string_view(scratch.data(), wanted);
  }

 private:
  std::unique_ptr<io::RandomAccessFile> file_;
};

class MemoryInput final : public Input {
 public:
  explicit MemoryInput(std::string bytes) : bytes_(std::move(bytes)) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(bytes_.size()); }
  std::string_view read(std::int64_t offset, std::int64_t length, std::string&) const override {
    return std::string_view(bytes_).substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
  }

 private:
  std::string bytes_;
};

// ---------------------------------------------------------------------------------------------------------------
// Schema: the Parquet schema tree, then the nodes that each produce one core::Column.

struct SchemaNode {
  const SchemaElement* element = nullptr;
  std::vector<SchemaNode> children;
};

// How a leaf's physical values become core values.
enum class Conversion {
  kInts,              // BOOLEAN/INT32/INT64 values used as they are (integers, dates, timestamps, times)
  kUnsigned32,        // INT32 read as unsigned
  kUnsigned64,        // INT64 read as unsigned, into decimal(20, 0)
  kInt96,             // 12-byte Impala/Spark timestamps into microseconds
  kDecimalFromInts,   // INT32/INT64 unscaled decimals
  kDecimalFromBytes,  // big-endian two's complement in BYTE_ARRAY/FIXED_LEN_BYTE_ARRAY
  kDoubles,           // FLOAT/DOUBLE
  kFloat16,           // FIXED_LEN_BYTE_ARRAY(2) half floats, widened
  kBytes,             // strings and binary
  kNull,              // UNKNOWN: every value null
};

struct ReaderNode {
  enum class Kind { kLeaf, kStruct, kList, kMap };
  Kind kind = Kind::kLeaf;
  core::Field field;
  int def_level = 0;       // the value is present (not null) when a level entry's definition level >= def_level
  int repeated_def = 0;    // kList/kMap: the list has at least one element when def >= repeated_def
  int repeated_rep = 0;    // kList/kMap: an entry with rep <= repeated_rep (after the first) starts a new element
  std::vector<ReaderNode> children;  // kStruct: fields; kList: element; kMap: key, value
  // kLeaf:
  int leaf = -1;
  int max_rep = 0;
  Type physical = Type::kInt32;
  std::int32_t type_length = 0;
  Conversion conversion = Conversion::kInts;
  std::string path;  // dotted path in the Parquet schema, for messages
  int first_leaf = -1;
};

bool has_logical(const SchemaElement& element, LogicalType::Kind kind) {
  return element.logical_type && element.logical_type->kind == kind;
}

bool has_converted(const SchemaElement& element, ConvertedType type) {
  return element.converted_type && *element.converted_type == type;
}

class SchemaBuilder {
 public:
  SchemaBuilder(const FileMetaData& metadata, const std::string& description)
      : metadata_(metadata), description_(description) {}

  std::vector<ReaderNode> build(int& leaf_count) {
    const auto& elements = metadata_.schema;
    if (elements.empty()) fail("the schema is empty (no root element)");
    std::size_t next = 0;
    SchemaNode root = parse_tree(next, 0);
    if (next != elements.size()) {
      fail(fmt::format("the schema lists {} elements but its tree uses {}", elements.size(), next));
    }
    if (root.children.empty() && root.element->type.has_value()) fail("the schema root is a primitive column");
    std::vector<ReaderNode> fields;
    for (const auto& child : root.children) fields.push_back(convert(child, 0, 0, ""));
    leaf_count = leaves_;
    return fields;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw core::InputError(fmt::format("{}: invalid Parquet schema: {}", description_, what));
  }

  SchemaNode parse_tree(std::size_t& next, int depth) {
    if (depth > kMaxSchemaDepth) fail(fmt::format("nesting deeper than {}", kMaxSchemaDepth));
    const auto& elements = metadata_.schema;
    if (next >= elements.size()) fail("a group has more children than the schema has elements");
    SchemaNode node;
    node.element = &elements[next++];
    const auto& element = *node.element;
    const bool is_group = !element.type.has_value() || (element.num_children && *element.num_children > 0);
    if (is_group) {
      const std::int32_t children = element.num_children.value_or(0);
      if (children < 0 || static_cast<std::size_t>(children) > elements.size() - next) {
        fail(fmt::format("group '{}' claims {} children", element.name, children));
      }
      for (std::int32_t i = 0; i < children; ++i) node.children.push_back(parse_tree(next, depth + 1));
    }
    return node;
  }

  static bool is_group(const SchemaNode& node) { return !node.element->type.has_value() || !node.children.empty(); }

  static std::string join(const std::string& prefix, const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
  }

  // A list node named after `group`: present when def >= def_level; elements start at repetition level `rep`
  // and exist when def >= def_level + (the repeated level's own definition step).
  static ReaderNode list_of(ReaderNode element, const SchemaElement& group, int def_level, int repeated_def,
                            int repeated_rep, bool nullable) {
    ReaderNode list;
    list.kind = ReaderNode::Kind::kList;
    list.def_level = def_level;
    list.repeated_def = repeated_def;
    list.repeated_rep = repeated_rep;
    list.field = core::Field{group.name, DataType(TypeId::kList), nullable, group.field_id};
    list.field.type.children.push_back(element.field);
    list.first_leaf = element.first_leaf;
    list.children.push_back(std::move(element));
    return list;
  }

  // A field as it appears under a parent whose own levels are (parent_def, parent_rep).
  ReaderNode convert(const SchemaNode& node, int parent_def, int parent_rep, const std::string& prefix) {
    const auto& element = *node.element;
    const auto repetition = element.repetition_type.value_or(FieldRepetitionType::kOptional);
    if (repetition != FieldRepetitionType::kRequired && repetition != FieldRepetitionType::kOptional &&
        repetition != FieldRepetitionType::kRepeated) {
      fail(fmt::format("field '{}' has repetition type {}", element.name, static_cast<int>(repetition)));
    }
    const int def = parent_def + (repetition == FieldRepetitionType::kRequired ? 0 : 1);
    const int rep = parent_rep + (repetition == FieldRepetitionType::kRepeated ? 1 : 0);
    const std::string path = join(prefix, element.name);
    if (repetition != FieldRepetitionType::kRepeated) {
      return convert_body(node, def, rep, repetition == FieldRepetitionType::kOptional, path);
    }
    // A repeated field outside a LIST/MAP annotation is a required list of required elements.
    return list_of(convert_body(node, def, rep, false, path), element, parent_def, def, rep, false);
  }

  // The node's own levels (def, rep) are already counted.
  ReaderNode convert_body(const SchemaNode& node, int def, int rep, bool nullable, const std::string& path) {
    const auto& element = *node.element;
    if (is_group(node) && (has_logical(element, LogicalType::Kind::kList) || has_converted(element, ConvertedType::kList))) {
      return convert_list(node, def, rep, nullable, path);
    }
    if (is_group(node) &&
        (has_logical(element, LogicalType::Kind::kMap) || has_converted(element, ConvertedType::kMap) ||
         has_converted(element, ConvertedType::kMapKeyValue))) {
      if (auto map = convert_map(node, def, rep, nullable, path)) return std::move(*map);
    }
    ReaderNode out;
    out.def_level = def;
    out.field = core::Field{element.name, DataType(), nullable, element.field_id};
    if (is_group(node)) {
      if (node.children.empty()) {
        throw core::UnsupportedError(fmt::format("{}: group '{}' without fields", description_, path));
      }
      out.kind = ReaderNode::Kind::kStruct;
      out.field.type = DataType(TypeId::kStruct);
      for (const auto& child : node.children) {
        out.children.push_back(convert(child, def, rep, path));
        out.field.type.children.push_back(out.children.back().field);
      }
      out.first_leaf = out.children.front().first_leaf;
      return out;
    }
    out.kind = ReaderNode::Kind::kLeaf;
    out.leaf = leaves_++;
    out.first_leaf = out.leaf;
    out.max_rep = rep;
    out.path = path;
    leaf_type(element, path, out);
    return out;
  }

  ReaderNode convert_list(const SchemaNode& node, int def, int rep, bool nullable, const std::string& path) {
    const auto& element = *node.element;
    if (node.children.size() != 1) {
      fail(fmt::format("LIST group '{}' has {} children where one repeated child is expected", path,
                       node.children.size()));
    }
    const SchemaNode& repeated = node.children[0];
    if (repeated.element->repetition_type != FieldRepetitionType::kRepeated) {
      fail(fmt::format("the child of LIST group '{}' is not repeated", path));
    }
    const std::string repeated_path = join(path, repeated.element->name);
    // The backward-compatibility rules of LogicalTypes.md: a repeated primitive, a repeated group of several
    // fields, or one named "array" or "<list>_tuple" is itself the element (two-level lists).
    const bool two_level = !is_group(repeated) || repeated.children.size() != 1 ||
                           repeated.element->name == "array" || repeated.element->name == element.name + "_tuple";
    ReaderNode item = two_level ? convert_body(repeated, def + 1, rep + 1, false, repeated_path)
                                : convert(repeated.children[0], def + 1, rep + 1, repeated_path);
    return list_of(std::move(item), element, def, def + 1, rep + 1, nullable);
  }

  // A MAP group: one repeated group of a key and a value. Returns nullopt for shapes that are not a map, which
  // are then read as what they are (a struct holding a list).
  std::optional<ReaderNode> convert_map(const SchemaNode& node, int def, int rep, bool nullable,
                                        const std::string& path) {
    const auto& element = *node.element;
    if (node.children.size() != 1) return std::nullopt;
    const SchemaNode& entries = node.children[0];
    if (entries.element->repetition_type != FieldRepetitionType::kRepeated || !is_group(entries) ||
        entries.children.empty() || entries.children.size() > 2) {
      return std::nullopt;
    }
    if (entries.children.size() == 1) {
      // Keys without values: read as the list of keys, as other readers do.
      return list_of(convert(entries.children[0], def + 1, rep + 1, join(path, entries.element->name)), element, def,
                     def + 1, rep + 1, nullable);
    }
    ReaderNode map;
    map.kind = ReaderNode::Kind::kMap;
    map.def_level = def;
    map.repeated_def = def + 1;
    map.repeated_rep = rep + 1;
    const std::string entries_path = join(path, entries.element->name);
    for (const auto& child : entries.children) map.children.push_back(convert(child, def + 1, rep + 1, entries_path));
    map.field = core::Field{element.name, DataType(TypeId::kMap), nullable, element.field_id};
    auto key = map.children[0].field;
    auto value = map.children[1].field;
    key.name = "key";
    value.name = "value";
    map.field.type.children = {key, value};
    map.first_leaf = map.children[0].first_leaf;
    return map;
  }

  void leaf_type(const SchemaElement& element, const std::string& path, ReaderNode& out) {
    const Type physical = *element.type;
    out.physical = physical;
    if (static_cast<int>(physical) < 0 || static_cast<int>(physical) > 7) {
      fail(fmt::format("column '{}' has unknown physical type {}", path, static_cast<int>(physical)));
    }
    if (physical == Type::kFixedLenByteArray) {
      if (!element.type_length || *element.type_length <= 0) {
        fail(fmt::format("FIXED_LEN_BYTE_ARRAY column '{}' has no positive type_length", path));
      }
      out.type_length = *element.type_length;
    }
    auto& type = out.field.type;
    const auto unsupported = [&](const std::string& what) {
      throw core::UnsupportedError(fmt::format("{}: column '{}': {} is not supported", description_, path, what));
    };
    const auto set = [&](DataType data_type, Conversion conversion) {
      type = std::move(data_type);
      out.conversion = conversion;
    };
    const auto& logical = element.logical_type;
    const bool is_int = physical == Type::kInt32 || physical == Type::kInt64;
    const bool is_binary = physical == Type::kByteArray || physical == Type::kFixedLenByteArray;

    // Logical type first; the converted type only when no logical type is present.
    if (logical && logical->kind == LogicalType::Kind::kUnknown) return set(DataType::null(), Conversion::kNull);
    std::optional<std::pair<int, int>> decimal;  // precision, scale
    if (logical && logical->kind == LogicalType::Kind::kDecimal) {
      decimal = std::pair{logical->decimal_precision, logical->decimal_scale};
    } else if (!logical && has_converted(element, ConvertedType::kDecimal)) {
      decimal = std::pair{element.precision.value_or(0), element.scale.value_or(0)};
    }
    if (decimal) {
      const auto [precision, scale] = *decimal;
      if (precision > 38) unsupported(fmt::format("DECIMAL precision {} (above 38)", precision));
      if (precision <= 0 || scale < 0 || scale > precision) {
        fail(fmt::format("column '{}' has DECIMAL({}, {})", path, precision, scale));
      }
      if (is_int) return set(DataType::decimal(precision, scale), Conversion::kDecimalFromInts);
      if (is_binary) return set(DataType::decimal(precision, scale), Conversion::kDecimalFromBytes);
      fail(fmt::format("DECIMAL column '{}' has physical type {}", path, to_string(physical)));
    }
    if (physical == Type::kInt96) return set(DataType::timestamp(core::TimeUnit::kMicro, false), Conversion::kInt96);
    if (physical == Type::kBoolean) return set(DataType::boolean(), Conversion::kInts);
    if (physical == Type::kFloat) return set(DataType::float32(), Conversion::kDoubles);
    if (physical == Type::kDouble) return set(DataType::float64(), Conversion::kDoubles);
    if (is_binary) {
      if (physical == Type::kFixedLenByteArray && logical && logical->kind == LogicalType::Kind::kFloat16) {
        if (out.type_length != 2) fail(fmt::format("FLOAT16 column '{}' is not 2 bytes wide", path));
        return set(DataType::float32(), Conversion::kFloat16);
      }
      const bool is_string =
          physical == Type::kByteArray &&
          (logical ? (logical->kind == LogicalType::Kind::kString || logical->kind == LogicalType::Kind::kEnum ||
                      logical->kind == LogicalType::Kind::kJson)
                   : (has_converted(element, ConvertedType::kUtf8) || has_converted(element, ConvertedType::kEnum) ||
                      has_converted(element, ConvertedType::kJson)));
      return set(is_string ? DataType::string() : DataType::binary(), Conversion::kBytes);
    }
    // INT32 / INT64.
    const bool is_32 = physical == Type::kInt32;
    if (logical) {
      switch (logical->kind) {
        case LogicalType::Kind::kDate:
          if (!is_32) fail(fmt::format("DATE column '{}' is not INT32", path));
          return set(DataType::date(), Conversion::kInts);
        case LogicalType::Kind::kTimestamp: {
          if (is_32) fail(fmt::format("TIMESTAMP column '{}' is not INT64", path));
          const auto unit = logical->unit == TimeUnitKind::kMillis   ? core::TimeUnit::kMilli
                            : logical->unit == TimeUnitKind::kMicros ? core::TimeUnit::kMicro
                                                                     : core::TimeUnit::kNano;
          return set(DataType::timestamp(unit, logical->is_adjusted_to_utc), Conversion::kInts);
        }
        case LogicalType::Kind::kTime:
          return set(is_32 ? DataType::int32() : DataType::int64(), Conversion::kInts);
        case LogicalType::Kind::kInteger:
          return integer_type(logical->bit_width, logical->is_signed, is_32, path, out);
        default:
          break;
      }
    } else if (element.converted_type) {
      switch (*element.converted_type) {
        case ConvertedType::kDate: return set(DataType::date(), Conversion::kInts);
        case ConvertedType::kTimestampMillis:
          return set(DataType::timestamp(core::TimeUnit::kMilli, true), Conversion::kInts);
        case ConvertedType::kTimestampMicros:
          return set(DataType::timestamp(core::TimeUnit::kMicro, true), Conversion::kInts);
        case ConvertedType::kInt8: return integer_type(8, true, is_32, path, out);
        case ConvertedType::kInt16: return integer_type(16, true, is_32, path, out);
        case ConvertedType::kInt32: return integer_type(32, true, is_32, path, out);
        case ConvertedType::kInt64: return integer_type(64, true, is_32, path, out);
        case ConvertedType::kUint8: return integer_type(8, false, is_32, path, out);
        case ConvertedType::kUint16: return integer_type(16, false, is_32, path, out);
        case ConvertedType::kUint32: return integer_type(32, false, is_32, path, out);
        case ConvertedType::kUint64: return integer_type(64, false, is_32, path, out);
        default: break;
      }
    }
    return set(is_32 ? DataType::int32() : DataType::int64(), Conversion::kInts);
  }

  void integer_type(int bit_width, bool is_signed, bool is_32, const std::string& path, ReaderNode& out) {
    if ((is_32 && bit_width > 32) || (!is_32 && bit_width != 64) ||
        (bit_width != 8 && bit_width != 16 && bit_width != 32 && bit_width != 64)) {
      fail(fmt::format("integer annotation of {} bits on the {} column '{}'", bit_width, is_32 ? "INT32" : "INT64",
                       path));
    }
    auto& type = out.field.type;
    out.conversion = Conversion::kInts;
    if (is_signed) {
      type = DataType(bit_width == 8 ? TypeId::kInt8 : bit_width == 16 ? TypeId::kInt16
                      : bit_width == 32 ? TypeId::kInt32 : TypeId::kInt64);
    } else if (bit_width == 8) {
      type = DataType(TypeId::kInt16);
      out.conversion = Conversion::kUnsigned32;
    } else if (bit_width == 16) {
      type = DataType(TypeId::kInt32);
      out.conversion = Conversion::kUnsigned32;
    } else if (bit_width == 32) {
      type = DataType(TypeId::kInt64);
      out.conversion = Conversion::kUnsigned32;
    } else {
      type = DataType::decimal(20, 0);
      out.conversion = Conversion::kUnsigned64;
    }
  }

  const FileMetaData& metadata_;
  const std::string& description_;
  int leaves_ = 0;
};

void collect_leaves(const ReaderNode& node, std::vector<const ReaderNode*>& out) {
  if (node.kind == ReaderNode::Kind::kLeaf) {
    out.push_back(&node);
    return;
  }
  for (const auto& child : node.children) collect_leaves(child, out);
}

// ---------------------------------------------------------------------------------------------------------------
// Physical values into core values.

core::Int128 big_endian_to_int128(std::string_view bytes, const std::string& path) {
  if (bytes.empty()) return 0;
  // Wider than 16 bytes is allowed when the extra leading bytes only carry the sign.
  const bool negative = (static_cast<std::uint8_t>(bytes[0]) & 0x80) != 0;
  while (bytes.size() > 16) {
    const auto lead = static_cast<std::uint8_t>(bytes[0]);
    if (lead != (negative ? 0xFF : 0x00)) {
      throw core::InputError(fmt::format("column '{}': decimal value of {} bytes overflows 128 bits", path, bytes.size()));
    }
    bytes.remove_prefix(1);
  }
  UInt128 value = negative ? ~static_cast<UInt128>(0) : 0;
  for (const char byte : bytes) value = (value << 8) | static_cast<std::uint8_t>(byte);
  return static_cast<core::Int128>(value);
}

double half_to_double(std::uint16_t half) {
  const int exponent = (half >> 10) & 0x1F;
  const int mantissa = half & 0x3FF;
  const double sign = (half & 0x8000) != 0 ? -1.0 : 1.0;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  return sign * std::ldexp(mantissa + 1024, exponent - 25);
}

// INT96 timestamps (Impala, Spark): nanoseconds of the day, then the Julian day. Read in microseconds with Spark's
// arithmetic (64-bit wrapping, nanoseconds truncated), so that every timestamp Spark writes, whose own encoding
// wraps for years beyond 2262, reads back as the value Spark wrote.
std::int64_t int96_to_micros(std::string_view bytes) {
  std::int64_t nanos_of_day = 0;
  std::int32_t julian_day = 0;
  std::memcpy(&nanos_of_day, bytes.data(), 8);
  std::memcpy(&julian_day, bytes.data() + 8, 4);
  const auto days = static_cast<std::uint64_t>(static_cast<std::int64_t>(julian_day) - kJulianDayOfUnixEpoch);
  return static_cast<std::int64_t>(days * static_cast<std::uint64_t>(kMicrosPerDay) +
                                   static_cast<std::uint64_t>(nanos_of_day / 1000));
}

// Converts one leaf's non-null physical values into a dense core column (no nulls).
core::Column convert_values(const ReaderNode& leaf, PhysicalValues& values) {
  core::Column out(leaf.field.type);
  const std::size_t count = values.size();
  switch (leaf.conversion) {
    case Conversion::kInts:
      out.ints = std::move(values.ints);
      break;
    case Conversion::kUnsigned32:
      out.ints = std::move(values.ints);
      for (auto& value : out.ints) value = static_cast<std::int64_t>(static_cast<std::uint32_t>(value));
      break;
    case Conversion::kUnsigned64:
      out.decimals.reserve(count);
      for (const auto value : values.ints) out.decimals.push_back(static_cast<core::Int128>(static_cast<std::uint64_t>(value)));
      break;
    case Conversion::kInt96:
      out.ints.reserve(count);
      for (std::size_t i = 0; i < count; ++i) out.ints.push_back(int96_to_micros(values.binary_at(i)));
      break;
    case Conversion::kDecimalFromInts:
      out.decimals.assign(values.ints.begin(), values.ints.end());
      break;
    case Conversion::kDecimalFromBytes:
      out.decimals.reserve(count);
      for (std::size_t i = 0; i < count; ++i) out.decimals.push_back(big_endian_to_int128(values.binary_at(i), leaf.path));
      break;
    case Conversion::kDoubles:
      out.doubles = std::move(values.doubles);
      break;
    case Conversion::kFloat16:
      out.doubles.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        const auto bytes = values.binary_at(i);
        out.doubles.push_back(half_to_double(static_cast<std::uint16_t>(static_cast<std::uint8_t>(bytes[0]) |
                                                                        (static_cast<std::uint8_t>(bytes[1]) << 8))));
      }
      break;
    case Conversion::kBytes:
      out.offsets = std::move(values.offsets);
      out.bytes = std::move(values.bytes);
      break;
    case Conversion::kNull:
      break;
  }
  out.length = static_cast<std::int64_t>(count);
  return out;
}

// Builds a column from dense values and, per output row, the index of its value or -1 for null.
core::Column scatter(const core::Column& dense, const std::vector<std::int64_t>& picks) {
  core::Column out(dense.type);
  const std::size_t rows = picks.size();
  out.length = static_cast<std::int64_t>(rows);
  out.validity.resize(rows);
  for (std::size_t row = 0; row < rows; ++row) out.validity[row] = picks[row] >= 0 ? 1 : 0;
  // Fixed-width values are filled in place (a null's slot holds a zero, as Column::append_null leaves it).
  const auto fill = [&](auto& target, const auto& source) {
    target.assign(rows, {});
    for (std::size_t row = 0; row < rows; ++row) {
      if (picks[row] >= 0) target[row] = source[static_cast<std::size_t>(picks[row])];
    }
  };
  switch (dense.type.id) {
    case TypeId::kNull:
      return out;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      fill(out.doubles, dense.doubles);
      return out;
    case TypeId::kDecimal:
      fill(out.decimals, dense.decimals);
      return out;
    case TypeId::kString:
    case TypeId::kBinary:
      out.bytes.reserve(dense.bytes.size());
      out.offsets.reserve(rows + 1);
      for (std::size_t row = 0; row < rows; ++row) {
        if (picks[row] >= 0) out.bytes.append(dense.string_at(picks[row]));
        out.offsets.push_back(static_cast<std::int64_t>(out.bytes.size()));
      }
      return out;
    default:
      fill(out.ints, dense.ints);
      return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One leaf column chunk: its levels and non-null values.

// One data page of a column chunk, decompressed, its levels still encoded.
struct DataPageView {
  std::size_t count = 0;  // level entries
  Encoding encoding = Encoding::kPlain;
  LevelBytes repetition;  // empty when the leaf's max repetition level is 0
  LevelBytes definition;  // empty when the leaf's max definition level is 0
  std::string_view values;
};

// Whether a leaf is read by FlatColumnDecoder: one without repetition whose physical values are its core values.
bool reads_flat(const ReaderNode& node) {
  return node.kind == ReaderNode::Kind::kLeaf && node.max_rep == 0 && node.def_level <= 255 &&
         FlatColumnDecoder::handles(node.physical) &&
         (node.conversion == Conversion::kInts || node.conversion == Conversion::kDoubles ||
          node.conversion == Conversion::kBytes);
}

struct LeafData {
  std::vector<std::uint32_t> definition;  // empty when the leaf's max definition level is 0
  std::vector<std::uint32_t> repetition;  // empty when the leaf's max repetition level is 0
  std::size_t entries = 0;
  PhysicalValues values;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

struct FileReader::State {
  std::string description;
  ReaderOptions options;
  std::unique_ptr<Input> input;
  FileMetaData metadata;
  std::int64_t footer_start = 0;
  std::vector<ReaderNode> fields;
  std::vector<const ReaderNode*> leaves;
  core::Schema schema;
  // Reused between column chunks so that a large chunk is not allocated (and page-faulted) afresh each time.
  mutable std::string chunk_scratch;
  // The size of the last page read, the guess for the next one (pages of a file tend to share a size).
  mutable std::size_t expected_page_bytes = std::size_t{1} << 20;
  mutable std::string page_buffer;
  mutable std::vector<std::uint32_t> page_definition;
  mutable std::vector<std::uint32_t> page_repetition;
  mutable FlatDecodeScratch flat_scratch;

  void load() {
    const std::int64_t size = input->size();
    std::string scratch;
    if (size < 12) throw core::InputError(fmt::format("{}: not a Parquet file ({} bytes is too short)", description, size));
    const auto head = std::string(input->read(0, 4, scratch));
    const auto tail = std::string(input->read(size - 8, 8, scratch));
    if (tail.substr(4) == "PARE") {
      throw core::UnsupportedError(fmt::format("{}: encrypted Parquet files (encrypted footer) are not supported", description));
    }
    if (head != "PAR1" || tail.substr(4) != "PAR1") {
      throw core::InputError(fmt::format("{}: not a Parquet file (no PAR1 magic at its start and end)", description));
    }
    std::uint32_t footer_length = 0;
    std::memcpy(&footer_length, tail.data(), 4);
    if (footer_length > static_cast<std::uint64_t>(size - 12)) {
      throw core::InputError(fmt::format("{}: footer length {} exceeds the file size {}", description, footer_length, size));
    }
    footer_start = size - 8 - static_cast<std::int64_t>(footer_length);
    const auto footer = input->read(footer_start, footer_length, scratch);
    metadata = thrift::parse_file_metadata(footer, description, footer_start);
    if (metadata.has_encryption_algorithm) {
      throw core::UnsupportedError(fmt::format("{}: encrypted Parquet files are not supported", description));
    }
    int leaf_count = 0;
    fields = SchemaBuilder(metadata, description).build(leaf_count);
    for (const auto& field : fields) {
      collect_leaves(field, leaves);
      schema.fields.push_back(field.field);
    }
    for (std::size_t i = 0; i < metadata.row_groups.size(); ++i) {
      const auto& group = metadata.row_groups[i];
      if (group.columns.size() != leaves.size()) {
        throw core::InputError(fmt::format("{}: row group {} has {} column chunks where the schema has {} columns",
                                           description, i, group.columns.size(), leaves.size()));
      }
      if (group.num_rows < 0) {
        throw core::InputError(fmt::format("{}: row group {} has {} rows", description, i, group.num_rows));
      }
    }
  }

  // Walks the pages of one column chunk, decompressing each and decoding the dictionary page, and hands every
  // data page to `on_data_page(const DataPageView&, const PhysicalValues* dictionary)`. Errors from it are
  // reported with the page's place. Returns the level entries of the chunk.
  template <class OnDataPage>
  std::size_t walk_chunk(int group_index, const ReaderNode& leaf, OnDataPage&& on_data_page) const;
  LeafData read_leaf(int group_index, const ReaderNode& leaf) const;
  // A leaf that FlatColumnDecoder handles, decoded into `out` (empty, of the leaf's type); each row's definition
  // level is appended to `row_levels` when given.
  void read_flat(int group_index, const ReaderNode& leaf, core::Column& out,
                 std::vector<std::uint8_t>* row_levels) const;
  // A field of a row group, or a field below non-repeated structs (`path` holds those structs), read into `out`
  // (empty, of the field's type, its buffers possibly kept from earlier use). Leaves without repetition are
  // decoded directly and structs take their validity from their first leaf's levels, as assembly does; lists,
  // maps and converted leaves go through level assembly. `row_levels`, when given, receives each row's definition
  // level of the field's first leaf.
  void read_field(int group_index, const ReaderNode& node, std::vector<const ReaderNode*>& path, core::Column& out,
                  std::vector<std::uint8_t>* row_levels) const;
  core::Column assemble(const ReaderNode& node, std::vector<const ReaderNode*>& path,
                        const std::vector<LeafData>& data, std::int64_t rows) const;
  std::vector<std::pair<std::size_t, std::size_t>> slots_along(const std::vector<const ReaderNode*>& path,
                                                               const LeafData& leaf) const;
};

namespace {

std::uint32_t max_of(const std::vector<std::uint32_t>& levels, std::size_t from) {
  std::uint32_t largest = 0;
  for (std::size_t i = from; i < levels.size(); ++i) largest = std::max(largest, levels[i]);
  return largest;
}

}  // namespace

template <class OnDataPage>
std::size_t FileReader::State::walk_chunk(int group_index, const ReaderNode& leaf, OnDataPage&& on_data_page) const {
  const auto& chunk = metadata.row_groups[static_cast<std::size_t>(group_index)].columns[static_cast<std::size_t>(leaf.leaf)];
  const std::string where = fmt::format("{}: column '{}' in row group {}", description, leaf.path, group_index);
  if (chunk.has_crypto_metadata || chunk.has_encrypted_column_metadata) {
    throw core::UnsupportedError(fmt::format("{}: encrypted columns are not supported", where));
  }
  if (chunk.file_path) {
    throw core::UnsupportedError(fmt::format("{}: column chunks stored in another file ({}) are not supported", where,
                                             *chunk.file_path));
  }
  if (!chunk.meta_data) throw core::InputError(fmt::format("{}: the column chunk has no metadata", where));
  const auto& column = *chunk.meta_data;
  if (column.type != leaf.physical) {
    throw core::InputError(fmt::format("{}: the chunk's physical type {} differs from the schema's {}", where,
                                       to_string(column.type), to_string(leaf.physical)));
  }
  const std::int64_t rows = metadata.row_groups[static_cast<std::size_t>(group_index)].num_rows;
  if (leaf.max_rep == 0 && column.num_values != rows) {
    // Without repetition every row has exactly one level entry.
    throw core::InputError(fmt::format("{}: the chunk holds {} values for {} rows", where, column.num_values, rows));
  }
  if (column.num_values > options.max_chunk_entries) {
    throw core::UnsupportedError(fmt::format("{}: chunks of {} values (above {}) are not supported", where,
                                             column.num_values, options.max_chunk_entries));
  }
  std::int64_t start = column.data_page_offset;
  if (column.dictionary_page_offset && *column.dictionary_page_offset > 0 && *column.dictionary_page_offset < start) {
    start = *column.dictionary_page_offset;
  }
  if (start < 4 || start >= footer_start || column.total_compressed_size < 0 || column.num_values < 0) {
    throw core::InputError(fmt::format("{}: chunk at offset {} of {} bytes lies outside the file's data", where, start,
                                       column.total_compressed_size));
  }
  // Some writers understate total_compressed_size; read up to the footer at most and let the pages say the rest.
  const std::int64_t length = std::min(footer_start - start, std::max<std::int64_t>(column.total_compressed_size, 0) +
                                                                 (std::int64_t{1} << 16));
  // The chunk is read a page at a time into a buffer kept between pages and chunks (each read also takes in the
  // next page's header when the pages keep their size), rather than whole: a chunk of many megabytes copied in one
  // go would leave the CPU caches before its pages are decompressed.
  const auto chunk_length = static_cast<std::size_t>(length);
  std::string_view window;
  std::size_t window_start = 0;
  const auto chunk_bytes = [&](std::size_t from, std::size_t size) -> std::string_view {
    if (from < window_start || from + size > window_start + window.size()) {
      window = input->read(start + static_cast<std::int64_t>(from), static_cast<std::int64_t>(size), chunk_scratch);
      window_start = from;
    }
    return window.substr(from - window_start, size);
  };

  const int max_def = leaf.def_level;
  const int max_rep = leaf.max_rep;
  std::optional<PhysicalValues> dictionary;
  std::size_t position = 0;
  std::int64_t entries = 0;
  while (entries < column.num_values) {
    if (position >= chunk_length) {
      throw core::InputError(fmt::format("{}: the chunk ends after {} of its {} values", where, entries, column.num_values));
    }
    const std::int64_t page_offset = start + static_cast<std::int64_t>(position);
    std::size_t header_length = 0;
    const std::size_t remaining = chunk_length - position;
    const std::size_t guess = std::min(remaining, kPageHeaderAllowance + expected_page_bytes);
    PageHeader header;
    try {
      header = thrift::parse_page_header(chunk_bytes(position, guess), &header_length, where, page_offset);
    } catch (const core::InputError&) {
      if (guess == remaining) throw;
      // A header larger than the allowance (long statistics): parse again with everything that is left.
      header = thrift::parse_page_header(chunk_bytes(position, remaining), &header_length, where, page_offset);
    }
    position += header_length;
    if (static_cast<std::size_t>(header.compressed_page_size) > chunk_length - position) {
      throw core::InputError(fmt::format("{}: page at offset {} claims {} bytes beyond the chunk's end", where,
                                         page_offset, header.compressed_page_size));
    }
    if (header.uncompressed_page_size > options.max_page_bytes) {
      throw core::UnsupportedError(fmt::format("{}: page at offset {} of {} uncompressed bytes: pages above {} bytes are not supported",
                                               where, page_offset, header.uncompressed_page_size, options.max_page_bytes));
    }
    const std::string_view page = chunk_bytes(position, static_cast<std::size_t>(header.compressed_page_size));
    position += page.size();
    expected_page_bytes = page.size();
    const std::string page_where = fmt::format("{}, page at offset {}", where, page_offset);
    if (header.crc && options.verify_checksums &&
        (header.type == PageType::kDataPage || header.type == PageType::kDataPageV2 ||
         header.type == PageType::kDictionaryPage)) {
      const auto crc = static_cast<std::uint32_t>(
          ::crc32(0L, reinterpret_cast<const Bytef*>(page.data()), static_cast<uInt>(page.size())));
      if (crc != static_cast<std::uint32_t>(*header.crc)) {
        throw core::InputError(fmt::format("{}: page checksum mismatch (stored {:#010x}, computed {:#010x})", page_where,
                                           static_cast<std::uint32_t>(*header.crc), crc));
      }
    }
    const auto uncompress = [&](std::string_view data, std::size_t size) -> std::string_view {
      if (column.codec == CompressionCodec::kUncompressed) {
        if (data.size() != size) {
          throw core::InputError(fmt::format("{}: uncompressed page of {} bytes where the header says {}", page_where,
                                             data.size(), size));
        }
        return data;
      }
      if (size == 0 && data.empty()) return {};
      // The buffer only grows, so that pages of varying size do not zero-fill it again.
      if (page_buffer.size() < size) page_buffer.resize(size);
      decompress(column.codec, data, page_buffer.data(), size, page_where);
      return std::string_view(page_buffer.data(), size);
    };
    const auto data_page = [&](DataPageView& view) {
      on_data_page(view, dictionary ? &*dictionary : nullptr);
      entries += static_cast<std::int64_t>(view.count);
    };
    // Levels take memory per entry even when RLE stores millions in a few bytes: bound the count by what the chunk
    // says is left and by the page limit.
    const auto check_count = [&](std::int32_t count) {
      if (count < 0 || count > column.num_values - entries || count > options.max_page_bytes) {
        throw core::InputError(fmt::format("page of {} values where the chunk has {} left", count,
                                           column.num_values - entries));
      }
      return static_cast<std::size_t>(count);
    };
    try {
      switch (header.type) {
        case PageType::kDictionaryPage: {
          if (!header.dictionary_page_header) throw core::InputError("dictionary page without its header");
          if (dictionary) throw core::InputError("a second dictionary page in one column chunk");
          const auto& dictionary_header = *header.dictionary_page_header;
          if (dictionary_header.encoding != Encoding::kPlain && dictionary_header.encoding != Encoding::kPlainDictionary) {
            throw core::UnsupportedError(
                fmt::format("dictionary page encoding {}", to_string(dictionary_header.encoding)));
          }
          if (dictionary_header.num_values < 0) throw core::InputError("negative dictionary size");
          const auto data = uncompress(page, static_cast<std::size_t>(header.uncompressed_page_size));
          dictionary.emplace();
          dictionary->type = leaf.physical;
          dictionary->type_length = leaf.type_length;
          if (static_cast<std::size_t>(dictionary_header.num_values) > data.size() * 8 + 1) {
            throw core::InputError(fmt::format("dictionary of {} values in {} bytes", dictionary_header.num_values, data.size()));
          }
          decode_values(Encoding::kPlain, data, static_cast<std::size_t>(dictionary_header.num_values), nullptr,
                        *dictionary);
          break;
        }
        case PageType::kDataPage: {
          if (!header.data_page_header) throw core::InputError("data page without its header");
          const auto& data_header = *header.data_page_header;
          const auto count = check_count(data_header.num_values);
          auto data = uncompress(page, static_cast<std::size_t>(header.uncompressed_page_size));
          DataPageView view;
          view.count = count;
          view.encoding = data_header.encoding;
          if (max_rep > 0) {
            data.remove_prefix(split_levels_v1(data_header.repetition_level_encoding, data, max_rep, count, view.repetition));
          }
          if (max_def > 0) {
            data.remove_prefix(split_levels_v1(data_header.definition_level_encoding, data, max_def, count, view.definition));
          }
          view.values = data;
          data_page(view);
          break;
        }
        case PageType::kDataPageV2: {
          if (!header.data_page_header_v2) throw core::InputError("v2 data page without its header");
          const auto& data_header = *header.data_page_header_v2;
          if (data_header.repetition_levels_byte_length < 0 ||
              data_header.definition_levels_byte_length < 0 ||
              static_cast<std::int64_t>(data_header.repetition_levels_byte_length) +
                      data_header.definition_levels_byte_length > static_cast<std::int64_t>(page.size()) ||
              static_cast<std::int64_t>(data_header.repetition_levels_byte_length) +
                      data_header.definition_levels_byte_length > header.uncompressed_page_size) {
            throw core::InputError("v2 data page with inconsistent sizes");
          }
          const auto count = check_count(data_header.num_values);
          const auto repetition_length = static_cast<std::size_t>(data_header.repetition_levels_byte_length);
          const auto definition_length = static_cast<std::size_t>(data_header.definition_levels_byte_length);
          DataPageView view;
          view.count = count;
          view.encoding = data_header.encoding;
          // v2 levels are never compressed.
          view.repetition = LevelBytes{Encoding::kRle, page.substr(0, repetition_length)};
          view.definition = LevelBytes{Encoding::kRle, page.substr(repetition_length, definition_length)};
          const auto values_in = page.substr(repetition_length + definition_length);
          const auto values_size = static_cast<std::size_t>(header.uncompressed_page_size) - repetition_length - definition_length;
          view.values = data_header.is_compressed ? uncompress(values_in, values_size) : values_in;
          data_page(view);
          break;
        }
        default:
          continue;  // index pages and page types from the future carry nothing we need
      }
    } catch (const core::UnsupportedError& error) {
      throw core::UnsupportedError(fmt::format("{}: {}", page_where, error.what()));
    } catch (const core::InputError& error) {
      const std::string message = error.what();
      if (message.rfind(description, 0) == 0) throw;
      throw core::InputError(fmt::format("{}: {}", page_where, message));
    }
  }
  if (entries != column.num_values) {
    throw core::InputError(fmt::format("{}: pages hold {} values where the chunk metadata says {}", where, entries,
                                       column.num_values));
  }
  return static_cast<std::size_t>(entries);
}


LeafData FileReader::State::read_leaf(int group_index, const ReaderNode& leaf) const {
  const int max_def = leaf.def_level;
  const int max_rep = leaf.max_rep;
  LeafData out;
  out.values.type = leaf.physical;
  out.values.type_length = leaf.type_length;
  const std::int64_t rows = metadata.row_groups[static_cast<std::size_t>(group_index)].num_rows;
  bool reserved = false;
  // One entry per row: reserve the values once instead of growing page by page (at the first data page, once
  // the chunk's metadata has been checked).
  const auto reserve = [&] {
    reserved = true;
    if (max_rep != 0) return;
    const auto capacity = static_cast<std::size_t>(std::clamp<std::int64_t>(rows, 0, kMaxReservedValues));
    if (leaf.physical == Type::kFloat || leaf.physical == Type::kDouble) {
      out.values.doubles.reserve(capacity);
    } else if (leaf.physical != Type::kByteArray && leaf.physical != Type::kFixedLenByteArray &&
               leaf.physical != Type::kInt96) {
      out.values.ints.reserve(capacity);
    }
  };
  // Decodes one kind of level into `page_levels` and appends it to `all`.
  const auto levels = [](const LevelBytes& bytes, int max_level, std::size_t count, const char* kind,
                         std::vector<std::uint32_t>& page_levels, std::vector<std::uint32_t>& all) {
    page_levels.resize(count);
    decode_levels(bytes, max_level, count, page_levels.data());
    if (max_of(page_levels, 0) > static_cast<std::uint32_t>(max_level)) {
      throw core::InputError(fmt::format("{} level above the maximum {}", kind, max_level));
    }
    all.insert(all.end(), page_levels.begin(), page_levels.end());
  };
  out.entries = walk_chunk(group_index, leaf, [&](const DataPageView& page, const PhysicalValues* dictionary) {
    if (!reserved) reserve();
    if (max_rep > 0) levels(page.repetition, max_rep, page.count, "repetition", page_repetition, out.repetition);
    std::size_t present = page.count;
    if (max_def > 0) {
      levels(page.definition, max_def, page.count, "definition", page_definition, out.definition);
      // Only entries at the maximum definition level carry a value.
      present = static_cast<std::size_t>(
          std::count(page_definition.begin(), page_definition.end(), static_cast<std::uint32_t>(max_def)));
    }
    if (leaf.conversion != Conversion::kNull) decode_values(page.encoding, page.values, present, dictionary, out.values);
  });
  return out;
}

void FileReader::State::read_flat(int group_index, const ReaderNode& leaf, core::Column& out,
                                  std::vector<std::uint8_t>* row_levels) const {
  const std::int64_t rows = metadata.row_groups[static_cast<std::size_t>(group_index)].num_rows;
  // Made at the first data page, once the chunk's metadata has been checked: it reserves room for the rows.
  std::optional<FlatColumnDecoder> decoder;
  const auto expected_rows = static_cast<std::size_t>(std::clamp<std::int64_t>(rows, 0, kMaxReservedValues));
  walk_chunk(group_index, leaf, [&](const DataPageView& page, const PhysicalValues* dictionary) {
    if (!decoder) decoder.emplace(leaf.physical, leaf.def_level, expected_rows, flat_scratch, out, row_levels);
    decoder->data_page(page.count, page.encoding, page.definition, page.values, dictionary);
  });
  if (!decoder) decoder.emplace(leaf.physical, leaf.def_level, expected_rows, flat_scratch, out, row_levels);
  decoder->finish();
}

void FileReader::State::read_field(int group_index, const ReaderNode& node, std::vector<const ReaderNode*>& path,
                                   core::Column& out, std::vector<std::uint8_t>* row_levels) const {
  const std::int64_t rows = metadata.row_groups[static_cast<std::size_t>(group_index)].num_rows;
  if (reads_flat(node)) {
    read_flat(group_index, node, out, row_levels);
    return;
  }
  if (node.kind != ReaderNode::Kind::kStruct) {
    std::vector<const ReaderNode*> field_leaves;
    collect_leaves(node, field_leaves);
    // Leaves of this field only; the others stay unread.
    std::vector<LeafData> data(leaves.size());
    for (const auto* leaf : field_leaves) data[static_cast<std::size_t>(leaf->leaf)] = read_leaf(group_index, *leaf);
    out = assemble(node, path, data, rows);
    if (row_levels != nullptr) {
      // A row's level is that of its first entry (a new row starts at every repetition level 0).
      const LeafData& first = data[static_cast<std::size_t>(node.first_leaf)];
      for (std::size_t entry = 0; entry < first.entries; ++entry) {
        if (!first.repetition.empty() && first.repetition[entry] != 0) continue;
        row_levels->push_back(first.definition.empty() ? 0 : static_cast<std::uint8_t>(first.definition[entry]));
      }
    }
    return;
  }
  if (out.children.size() != node.children.size()) {
    out.children.clear();
    for (const auto& child : node.children) out.children.emplace_back(child.field.type);
  }
  // The struct is null where its first leaf's level stays below the struct's own level; a struct that cannot be
  // null needs the levels only for the structs above it.
  std::vector<std::uint8_t> own_levels;
  std::vector<std::uint8_t>* levels = row_levels;
  if (levels == nullptr && node.def_level > 0) levels = &own_levels;
  const std::size_t levels_base = levels == nullptr ? 0 : levels->size();
  path.push_back(&node);
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    read_field(group_index, node.children[i], path, out.children[i], i == 0 ? levels : nullptr);
    if (out.children[i].length != rows) {
      throw core::InputError(fmt::format("{}: field '{}' of struct '{}' has {} values where the struct has {}",
                                         description, node.children[i].field.name, node.field.name,
                                         out.children[i].length, rows));
    }
  }
  path.pop_back();
  out.length = rows;
  if (node.def_level == 0) return;
  DRIFTGOV_CHECK(levels->size() - levels_base == static_cast<std::size_t>(rows), "{} row levels for {} rows",
                 levels->size() - levels_base, rows);
  const std::uint8_t* row_level = levels->data() + levels_base;
  const auto present = static_cast<std::uint8_t>(node.def_level);
  std::size_t nulls = 0;
  for (std::int64_t row = 0; row < rows; ++row) nulls += row_level[row] < present ? 1 : 0;
  if (nulls == 0) return;
  out.validity.resize(static_cast<std::size_t>(rows));
  for (std::int64_t row = 0; row < rows; ++row) out.validity[static_cast<std::size_t>(row)] = row_level[row] >= present ? 1 : 0;
}

// The slots (ranges of level entries) of the last node of `path`, each one value of that node, computed from the
// levels of one leaf below it. Top-level slots are rows: a new one starts at every repetition level 0.
std::vector<std::pair<std::size_t, std::size_t>> FileReader::State::slots_along(
    const std::vector<const ReaderNode*>& path, const LeafData& leaf) const {
  const std::size_t n = leaf.entries;
  const auto rep = [&](std::size_t i) -> std::uint32_t { return leaf.repetition.empty() ? 0 : leaf.repetition[i]; };
  const auto def = [&](std::size_t i) -> std::uint32_t { return leaf.definition.empty() ? 0 : leaf.definition[i]; };
  std::vector<std::pair<std::size_t, std::size_t>> slots;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || rep(i) == 0) {
      slots.emplace_back(i, i + 1);
    } else {
      slots.back().second = i + 1;
    }
  }
  if (n > 0 && rep(0) != 0) {
    throw core::InputError(fmt::format("{}: column '{}' starts a row group with repetition level {} (rows start at 0)",
                                       description, path.front()->field.name, rep(0)));
  }
  for (std::size_t depth = 0; depth + 1 < path.size(); ++depth) {
    const ReaderNode& node = *path[depth];
    if (node.kind != ReaderNode::Kind::kList && node.kind != ReaderNode::Kind::kMap) continue;
    std::vector<std::pair<std::size_t, std::size_t>> inner;
    for (const auto& [begin, end] : slots) {
      if (def(begin) < static_cast<std::uint32_t>(node.repeated_def)) continue;
      inner.emplace_back(begin, begin + 1);
      for (std::size_t i = begin + 1; i < end; ++i) {
        if (rep(i) <= static_cast<std::uint32_t>(node.repeated_rep)) {
          inner.emplace_back(i, i + 1);
        } else {
          inner.back().second = i + 1;
        }
      }
    }
    slots = std::move(inner);
  }
  return slots;
}

core::Column FileReader::State::assemble(const ReaderNode& node, std::vector<const ReaderNode*>& path,
                                         const std::vector<LeafData>& data, std::int64_t rows) const {
  path.push_back(&node);
  const LeafData& levels = data[static_cast<std::size_t>(node.first_leaf)];
  const auto def = [&](std::size_t i) -> std::uint32_t { return levels.definition.empty() ? 0 : levels.definition[i]; };
  const bool flat = path.size() == 1 && node.kind == ReaderNode::Kind::kLeaf && levels.repetition.empty();
  std::vector<std::pair<std::size_t, std::size_t>> slots;
  if (!flat) slots = slots_along(path, levels);
  const std::size_t count = flat ? levels.entries : slots.size();
  if (path.size() == 1 && static_cast<std::int64_t>(count) != rows) {
    throw core::InputError(fmt::format("{}: column '{}' holds {} rows where its row group has {}", description,
                                       node.field.name, count, rows));
  }
  const auto valid = [&](std::size_t slot) {
    const std::size_t entry = flat ? slot : slots[slot].first;
    return def(entry) >= static_cast<std::uint32_t>(node.def_level);
  };

  core::Column out(node.field.type);
  if (node.kind == ReaderNode::Kind::kLeaf) {
    auto& leaf_data = const_cast<LeafData&>(levels);
    core::Column dense = convert_values(node, leaf_data.values);
    if (flat && dense.length == static_cast<std::int64_t>(count) && node.conversion != Conversion::kNull) {
      path.pop_back();
      return dense;  // a value for every row: no nulls to place
    }
    // Map each slot to its value index: values are stored for entries at the maximum definition level only.
    std::vector<std::int64_t> picks(count);
    std::int64_t next_value = 0;
    std::size_t entry_cursor = 0;
    bool any_null = false;
    if (flat && !levels.definition.empty()) {
      const auto present = static_cast<std::uint32_t>(node.def_level);
      for (std::size_t slot = 0; slot < count; ++slot) {
        picks[slot] = levels.definition[slot] == present ? next_value++ : -1;
      }
      entry_cursor = count;
      any_null = true;
    }
    for (std::size_t slot = entry_cursor; slot < count; ++slot) {
      const std::size_t entry = flat ? slot : slots[slot].first;
      if (!flat && slots[slot].second != entry + 1) {
        throw core::InputError(fmt::format("{}: column '{}' has repetition levels deeper than its schema", description, node.path));
      }
      for (; entry_cursor < entry; ++entry_cursor) {
        if (def(entry_cursor) == static_cast<std::uint32_t>(node.def_level)) ++next_value;
      }
      if (def(entry) == static_cast<std::uint32_t>(node.def_level) && node.conversion != Conversion::kNull) {
        picks[slot] = next_value;
      } else {
        picks[slot] = -1;
        any_null = true;
      }
    }
    std::int64_t total_values = next_value;
    for (; entry_cursor < levels.entries; ++entry_cursor) {
      if (def(entry_cursor) == static_cast<std::uint32_t>(node.def_level)) ++total_values;
    }
    if (node.conversion != Conversion::kNull && total_values != dense.length) {
      throw core::InputError(fmt::format("{}: column '{}' has {} values where its levels call for {}", description,
                                         node.path, dense.length, total_values));
    }
    path.pop_back();
    if (!any_null && static_cast<std::int64_t>(count) == dense.length) return dense;
    return scatter(dense, picks);
  }

  if (node.kind == ReaderNode::Kind::kStruct) {
    for (const auto& child : node.children) {
      out.children.push_back(assemble(child, path, data, rows));
      if (out.children.back().length != static_cast<std::int64_t>(count)) {
        throw core::InputError(fmt::format("{}: field '{}' of struct '{}' has {} values where the struct has {}",
                                           description, child.field.name, node.field.name,
                                           out.children.back().length, count));
      }
    }
    for (std::size_t slot = 0; slot < count; ++slot) {
      if (!valid(slot)) {
        if (out.validity.empty()) out.validity.assign(count, 1);
        out.validity[slot] = 0;
      }
    }
    out.length = static_cast<std::int64_t>(count);
    path.pop_back();
    return out;
  }

  // List or map: offsets count the child slots under each slot.
  std::int64_t children = 0;
  for (std::size_t slot = 0; slot < count; ++slot) {
    const auto [begin, end] = slots[slot];
    if (def(begin) >= static_cast<std::uint32_t>(node.repeated_def)) {
      ++children;
      for (std::size_t i = begin + 1; i < end; ++i) {
        if (levels.repetition[i] <= static_cast<std::uint32_t>(node.repeated_rep)) ++children;
      }
    }
    out.offsets.push_back(children);
    if (!valid(slot)) {
      if (out.validity.empty()) out.validity.assign(count, 1);
      out.validity[slot] = 0;
    }
  }
  out.length = static_cast<std::int64_t>(count);
  const auto check_child = [&](const core::Column& child, const std::string& name) {
    if (child.length != children) {
      throw core::InputError(fmt::format("{}: '{}' of '{}' has {} values where the levels call for {}", description,
                                         name, node.field.name, child.length, children));
    }
  };
  if (node.kind == ReaderNode::Kind::kList) {
    out.children.push_back(assemble(node.children[0], path, data, rows));
    check_child(out.children[0], node.children[0].field.name);
  } else {
    core::Column entries{DataType(TypeId::kStruct)};
    entries.type.children = {node.field.type.children[0], node.field.type.children[1]};
    for (std::size_t i = 0; i < 2; ++i) {
      entries.children.push_back(assemble(node.children[i], path, data, rows));
      check_child(entries.children.back(), entries.type.children[i].name);
    }
    entries.length = children;
    out.children.push_back(std::move(entries));
  }
  path.pop_back();
  return out;
}

FileReader::FileReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
FileReader::FileReader(FileReader&&) noexcept = default;
FileReader& FileReader::operator=(FileReader&&) noexcept = default;
FileReader::~FileReader() = default;

FileReader FileReader::open(const std::string& path, ReaderOptions options) {
  auto state = std::make_unique<State>();
  state->description = path;
  state->options = options;
  state->input = std::make_unique<StorageInput>((options.storage ? *options.storage : io::local_storage()).open_read(path));
  state->load();
  return FileReader(std::move(state));
}

FileReader FileReader::open_memory(std::string bytes, const std::string& description, ReaderOptions options) {
  auto state = std::make_unique<State>();
  state->description = description;
  state->options = options;
  state->input = std::make_unique<MemoryInput>(std::move(bytes));
  state->load();
  return FileReader(std::move(state));
}

const FileMetaData& FileReader::metadata() const { return state_->metadata; }
const core::Schema& FileReader::schema() const { return state_->schema; }
const std::string& FileReader::description() const { return state_->description; }
std::int64_t FileReader::num_rows() const {
  std::int64_t rows = 0;
  for (const auto& group : state_->metadata.row_groups) rows += group.num_rows;
  return rows;
}
int FileReader::num_row_groups() const { return static_cast<int>(state_->metadata.row_groups.size()); }
std::int64_t FileReader::row_group_num_rows(int index) const {
  return state_->metadata.row_groups.at(static_cast<std::size_t>(index)).num_rows;
}

core::RecordBatch FileReader::read_row_group(int index, const std::vector<std::size_t>& field_indices) {
  core::RecordBatch batch;
  read_row_group(index, field_indices, batch);
  return batch;
}

void FileReader::read_row_group(int index, const std::vector<std::size_t>& field_indices, core::RecordBatch& batch) {
  DRIFTGOV_CHECK(index >= 0 && index < num_row_groups(), "row group {} of {}", index, num_row_groups());
  std::vector<std::size_t> selected = field_indices;
  if (selected.empty()) {
    for (std::size_t i = 0; i < state_->fields.size(); ++i) selected.push_back(i);
  }
  const std::int64_t rows = row_group_num_rows(index);
  std::vector<core::Column> previous = std::move(batch.columns);
  batch.columns.clear();
  batch.schema.fields.clear();
  batch.num_rows = rows;
  for (std::size_t position = 0; position < selected.size(); ++position) {
    const std::size_t field_index = selected[position];
    DRIFTGOV_CHECK(field_index < state_->fields.size(), "field {} of {}", field_index, state_->fields.size());
    const ReaderNode& field = state_->fields[field_index];
    core::Column column(field.field.type);
    if (position < previous.size() && previous[position].type == field.field.type) {
      column = std::move(previous[position]);
      column.clear();  // keeps the buffers' capacity
    }
    std::vector<const ReaderNode*> path;
    state_->read_field(index, field, path, column, nullptr);
    batch.columns.push_back(std::move(column));
    batch.schema.fields.push_back(field.field);
  }
}

}  // namespace driftgov::parquet

namespace driftgov::parquet {
namespace {

// A statistics bound of `leaf` in core representation, or nullopt when it cannot be trusted or decoded.
std::optional<StatisticValue> statistic_value(const ReaderNode& leaf, std::string_view bytes) {
  if (leaf.conversion == Conversion::kInt96 || leaf.conversion == Conversion::kFloat16 ||
      leaf.conversion == Conversion::kNull) {
    return std::nullopt;  // no defined order, or nothing to compare
  }
  PhysicalValues values;
  values.type = leaf.physical;
  values.type_length = leaf.type_length;
  if (leaf.physical == Type::kByteArray) {
    values.append_binary(bytes);  // statistics hold the bare bytes, without PLAIN's length prefix
  } else {
    try {
      decode_values(Encoding::kPlain, bytes, 1, nullptr, values);
    } catch (const core::InputError&) {
      return std::nullopt;  // a malformed bound only means the group cannot be ruled out
    }
  }
  const core::Column column = convert_values(leaf, values);
  switch (column.type.id) {
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      if (std::isnan(column.doubles[0])) return std::nullopt;
      return column.doubles[0];
    case TypeId::kDecimal:
      return column.decimals[0];
    case TypeId::kString:
    case TypeId::kBinary:
      return std::string(column.string_at(0));
    default:
      return column.ints[0];
  }
}

// Legacy min/max fields were written with signed comparison whatever the type: trust them only where that is the
// column's order.
bool legacy_order_is_signed(const ReaderNode& leaf) {
  return (leaf.physical == Type::kBoolean || leaf.physical == Type::kInt32 || leaf.physical == Type::kInt64 ||
          leaf.physical == Type::kFloat || leaf.physical == Type::kDouble) &&
         (leaf.conversion == Conversion::kInts || leaf.conversion == Conversion::kDoubles ||
          leaf.conversion == Conversion::kDecimalFromInts);
}

// The StatisticValue alternative that holds values of `type`.
std::size_t statistic_kind(const DataType& type) {
  switch (type.id) {
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return 1;
    case TypeId::kDecimal:
      return 2;
    case TypeId::kString:
    case TypeId::kBinary:
      return 3;
    default:
      return 0;
  }
}

}  // namespace

std::vector<int> FileReader::row_groups_overlapping(const ColumnRange& range) const {
  const ReaderNode* leaf = nullptr;
  for (const auto& field : state_->fields) {
    if (field.field.name == range.column) leaf = &field;
  }
  if (leaf == nullptr || leaf->kind != ReaderNode::Kind::kLeaf) {
    throw core::InputError(fmt::format("{}: no top-level column '{}' of a primitive type to prune row groups by",
                                       state_->description, range.column));
  }
  static constexpr const char* kKinds[] = {"an integer", "a double", "a decimal", "a string"};
  const std::size_t kind = statistic_kind(leaf->field.type);
  for (const auto* bound : {&range.lower, &range.upper}) {
    if (*bound && (*bound)->index() != kind) {
      throw core::InputError(fmt::format("{}: column '{}' of type {} takes {} range bound, not {}", state_->description,
                                         range.column, leaf->field.type.to_string(), kKinds[kind],
                                         kKinds[(*bound)->index()]));
    }
  }
  const auto& metadata = state_->metadata;
  const bool type_defined_order =
      metadata.column_orders.empty() ||
      (static_cast<std::size_t>(leaf->leaf) < metadata.column_orders.size() &&
       metadata.column_orders[static_cast<std::size_t>(leaf->leaf)].kind == ColumnOrder::Kind::kTypeDefinedOrder);
  std::vector<int> kept;
  for (int group = 0; group < num_row_groups(); ++group) {
    const auto& chunk = metadata.row_groups[static_cast<std::size_t>(group)].columns[static_cast<std::size_t>(leaf->leaf)];
    bool keep = true;
    if (chunk.meta_data && chunk.meta_data->statistics) {
      const auto& statistics = *chunk.meta_data->statistics;
      const std::int64_t values = chunk.meta_data->num_values;
      if (statistics.null_count && *statistics.null_count == values && values > 0) {
        keep = false;  // every value is null: no value lies in any range
      } else {
        const bool modern = statistics.min_value.has_value() && statistics.max_value.has_value() && type_defined_order;
        const bool legacy = !modern && statistics.min && statistics.max && legacy_order_is_signed(*leaf);
        if (modern || legacy) {
          const auto minimum = statistic_value(*leaf, modern ? *statistics.min_value : *statistics.min);
          const auto maximum = statistic_value(*leaf, modern ? *statistics.max_value : *statistics.max);
          if (range.lower && maximum && *maximum < *range.lower) keep = false;
          if (range.upper && minimum && *range.upper < *minimum) keep = false;
        }
      }
    }
    if (range.lower && range.upper && *range.upper < *range.lower) keep = false;
    if (keep) kept.push_back(group);
  }
  return kept;
}

}  // namespace driftgov::parquet
