#include "parquet/column_shredder.hpp"

#include <fmt/format.h>

#include <limits>

#include "driftgov/core/error.hpp"

namespace driftgov::parquet {
namespace {

using core::Column;
using core::Int128;
using core::TypeId;

__extension__ typedef unsigned __int128 UInt128;

constexpr int kMaxDecimalPrecision = 38;

Int128 power_of_ten(int exponent) {
  Int128 result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

// Where a shredded value came from, for error messages.
struct RowContext {
  const LeafColumn* leaf = nullptr;
  std::int64_t row = 0;  // row number within the whole output
};

[[noreturn]] void throw_value_error(const RowContext& context, const std::string& what) {
  // Rows are numbered from 1 in messages, like lines in the CSV reader's.
  throw core::InputError(
      fmt::format("column '{}', row {}: {}", context.leaf->dotted_path, context.row + 1, what));
}

std::int64_t timestamp_micros(std::int64_t value, core::TimeUnit unit, const RowContext& context) {
  switch (unit) {
    case core::TimeUnit::kMicro:
      return value;
    case core::TimeUnit::kMilli: {
      std::int64_t micros = 0;
      if (__builtin_mul_overflow(value, std::int64_t{1000}, &micros)) {
        throw_value_error(context,
                          fmt::format("timestamp {} ms is outside the int64 microsecond range", value));
      }
      return micros;
    }
    case core::TimeUnit::kNano:
      // Floor division keeps instants before the epoch in the right microsecond.
      return value / 1000 - (value % 1000 < 0 ? 1 : 0);
  }
  return value;
}

void append_big_endian(Int128 value, int length, std::string& out) {
  for (int byte = length - 1; byte >= 0; --byte) {
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(static_cast<UInt128>(value) >> (8 * byte))));
  }
}

// Copies source[begin, end) without the null rows; a column without nulls is copied in one block.
template <typename Value>
void append_valid(const Column& column, const std::vector<Value>& source, std::int64_t begin,
                  std::int64_t end, std::vector<Value>& out) {
  const auto first = source.begin() + begin;
  if (column.validity.empty()) {
    out.insert(out.end(), first, source.begin() + end);
    return;
  }
  const auto* validity = column.validity.data() + begin;
  for (std::int64_t i = 0; i < end - begin; ++i) {
    if (validity[i]) out.push_back(first[i]);
  }
}

// Appends the valid values of rows [begin, end) of `column` (a leaf column) in physical form.
void append_values(const LeafColumn& leaf, const Column& column, std::int64_t begin, std::int64_t end,
                   LeafBuffer& buffer, RowContext context) {
  const auto valid = [&](std::int64_t row) { return column.is_valid(row); };
  const auto index = [](std::int64_t row) { return static_cast<std::size_t>(row); };
  switch (leaf.type.id) {
    case TypeId::kNull:
      return;
    case TypeId::kBoolean:
      for (auto row = begin; row < end; ++row) {
        if (valid(row)) buffer.booleans.push_back(column.ints[index(row)] != 0 ? 1 : 0);
      }
      return;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kDate: {
      const int bits = leaf.type.id == TypeId::kInt8 ? 8 : leaf.type.id == TypeId::kInt16 ? 16 : 32;
      const std::int64_t highest = (std::int64_t{1} << (bits - 1)) - 1;
      for (auto row = begin; row < end; ++row) {
        if (!valid(row)) continue;
        const auto value = column.ints[index(row)];
        if (value < -highest - 1 || value > highest) {
          context.row += row - begin;
          throw_value_error(
              context, fmt::format("{} does not fit the column's {} type", value, leaf.type.to_string()));
        }
        buffer.int32s.push_back(static_cast<std::int32_t>(value));
      }
      return;
    }
    case TypeId::kInt64:
      append_valid(column, column.ints, begin, end, buffer.int64s);
      return;
    case TypeId::kTimestamp:
      for (auto row = begin; row < end; ++row) {
        if (!valid(row)) continue;
        RowContext here = context;
        here.row += row - begin;
        buffer.int64s.push_back(timestamp_micros(column.ints[index(row)], leaf.type.unit, here));
      }
      return;
    case TypeId::kFloat32:
      for (auto row = begin; row < end; ++row) {
        if (valid(row)) buffer.floats.push_back(static_cast<float>(column.doubles[index(row)]));
      }
      return;
    case TypeId::kFloat64:
      append_valid(column, column.doubles, begin, end, buffer.doubles);
      return;
    case TypeId::kDecimal: {
      const Int128 limit = power_of_ten(leaf.type.precision);
      for (auto row = begin; row < end; ++row) {
        if (!valid(row)) continue;
        const Int128 value = column.decimals[index(row)];
        if (value >= limit || value <= -limit) {
          context.row += row - begin;
          throw_value_error(
              context, fmt::format("unscaled value {} has more than {} digits", value, leaf.type.precision));
        }
        switch (leaf.storage) {
          case ValueStorage::kInt32:
            buffer.int32s.push_back(static_cast<std::int32_t>(value));
            break;
          case ValueStorage::kInt64:
            buffer.int64s.push_back(static_cast<std::int64_t>(value));
            break;
          default:
            append_big_endian(value, leaf.fixed_length, buffer.bytes);
            break;
        }
      }
      return;
    }
    case TypeId::kString:
    case TypeId::kBinary:
      for (auto row = begin; row < end; ++row) {
        if (!valid(row)) continue;
        buffer.bytes.append(column.string_at(row));
        buffer.offsets.push_back(buffer.bytes.size());
      }
      return;
    default:
      DRIFTGOV_CHECK(false, "leaf of nested type {}", leaf.type.to_string());
  }
}

class RowShredder {
 public:
  RowShredder(const std::vector<LeafColumn>& leaves, std::vector<LeafBuffer>& buffers)
      : leaves_(leaves), buffers_(buffers) {}

  void value(const ShredNode& node, const Column& column, std::int64_t index, std::int16_t definition,
             std::int16_t repetition, std::int64_t row) {
    if (!column.is_valid(index) || column.type.id == TypeId::kNull) {
      if (!node.optional) {
        const RowContext context{&leaves_[node.leaf_begin], row};
        throw_value_error(context, fmt::format("null in non-nullable field '{}'", node.name));
      }
      nulls(node, definition, repetition);
      return;
    }
    if (node.optional) ++definition;
    switch (node.kind) {
      case ShredNode::Kind::kLeaf: {
        auto& buffer = buffers_[node.leaf];
        levels(leaves_[node.leaf], buffer, definition, repetition);
        append_values(leaves_[node.leaf], column, index, index + 1, buffer,
                      RowContext{&leaves_[node.leaf], row});
        return;
      }
      case ShredNode::Kind::kStruct:
        for (std::size_t i = 0; i < node.children.size(); ++i) {
          value(node.children[i], column.children[i], index, definition, repetition, row);
        }
        return;
      case ShredNode::Kind::kList:
      case ShredNode::Kind::kMap: {
        const auto begin = column.offsets[static_cast<std::size_t>(index)];
        const auto end = column.offsets[static_cast<std::size_t>(index) + 1];
        if (begin == end) {
          // An empty list: defined up to the list itself, no entry below it.
          nulls(node, definition, repetition);
          return;
        }
        const auto entry_definition = static_cast<std::int16_t>(definition + 1);
        for (auto entry = begin; entry < end; ++entry) {
          const auto entry_repetition = entry == begin ? repetition : node.repeated_level;
          if (node.kind == ShredNode::Kind::kList) {
            value(node.children[0], column.children[0], entry, entry_definition, entry_repetition, row);
          } else {
            const auto& entries = column.children[0];
            value(node.children[0], entries.children[0], entry, entry_definition, entry_repetition, row);
            value(node.children[1], entries.children[1], entry, entry_definition, entry_repetition, row);
          }
        }
        return;
      }
    }
  }

 private:
  static void levels(const LeafColumn& leaf, LeafBuffer& buffer, std::int16_t definition,
                     std::int16_t repetition) {
    if (leaf.max_definition > 0) buffer.definition.push_back(definition);
    if (leaf.max_repetition > 0) buffer.repetition.push_back(repetition);
    ++buffer.level_count;
    if (definition < leaf.max_definition) ++buffer.null_count;
  }

  void nulls(const ShredNode& node, std::int16_t definition, std::int16_t repetition) {
    for (auto leaf = node.leaf_begin; leaf < node.leaf_end; ++leaf) {
      levels(leaves_[leaf], buffers_[leaf], definition, repetition);
    }
  }

  const std::vector<LeafColumn>& leaves_;
  std::vector<LeafBuffer>& buffers_;
};

}  // namespace

int decimal_fixed_length(int precision) {
  // The smallest n with 2^(8n - 1) > 10^precision - 1; 16 bytes hold every precision up to 38.
  const Int128 largest = power_of_ten(precision) - 1;
  for (int length = 1; length < 16; ++length) {
    if (largest < (Int128{1} << (8 * length - 1))) return length;
  }
  return 16;
}

ValueStorage storage_for(const core::DataType& type) {
  switch (type.id) {
    case TypeId::kNull:
      return ValueStorage::kNone;
    case TypeId::kBoolean:
      return ValueStorage::kBoolean;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kDate:
      return ValueStorage::kInt32;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return ValueStorage::kInt64;
    case TypeId::kFloat32:
      return ValueStorage::kFloat;
    case TypeId::kFloat64:
      return ValueStorage::kDouble;
    case TypeId::kDecimal:
      return type.precision <= 9    ? ValueStorage::kInt32
             : type.precision <= 18 ? ValueStorage::kInt64
                                    : ValueStorage::kFixedBytes;
    case TypeId::kString:
    case TypeId::kBinary:
      return ValueStorage::kBytes;
    default:
      return ValueStorage::kNone;
  }
}

std::int64_t LeafBuffer::value_count(ValueStorage storage) const {
  switch (storage) {
    case ValueStorage::kNone:
      return 0;
    case ValueStorage::kBoolean:
      return static_cast<std::int64_t>(booleans.size());
    case ValueStorage::kInt32:
      return static_cast<std::int64_t>(int32s.size());
    case ValueStorage::kInt64:
      return static_cast<std::int64_t>(int64s.size());
    case ValueStorage::kFloat:
      return static_cast<std::int64_t>(floats.size());
    case ValueStorage::kDouble:
      return static_cast<std::int64_t>(doubles.size());
    case ValueStorage::kBytes:
      return static_cast<std::int64_t>(offsets.size()) - 1;
    case ValueStorage::kFixedBytes:
      return level_count - null_count;
  }
  return 0;
}

std::int64_t LeafBuffer::estimated_bytes() const {
  const auto levels = static_cast<std::int64_t>(definition.size() + repetition.size());
  return levels / 4 + static_cast<std::int64_t>(booleans.size() / 8 + int32s.size() * 4 + int64s.size() * 8 +
                                                floats.size() * 4 + doubles.size() * 8 + bytes.size() +
                                                offsets.size() * 4);
}

void LeafBuffer::clear() {
  definition.clear();
  repetition.clear();
  level_count = 0;
  null_count = 0;
  booleans.clear();
  int32s.clear();
  int64s.clear();
  floats.clear();
  doubles.clear();
  bytes.clear();
  offsets.assign(1, 0);
}

ColumnShredder::ColumnShredder(const core::Schema& schema) {
  for (const auto& field : schema.fields) roots_.push_back(build(field, {}, 0, 0));
}

ShredNode ColumnShredder::build(const core::Field& field, std::vector<std::string> path,
                                std::int16_t definition, std::int16_t repetition) {
  ShredNode node;
  node.name = field.name;
  node.field_id = field.field_id;
  // A column of the null type holds nothing but nulls, so it must be optional whatever the field says.
  node.optional = field.nullable || field.type.id == TypeId::kNull;
  node.leaf_begin = leaves_.size();
  path.push_back(field.name);
  const auto present = static_cast<std::int16_t>(definition + (node.optional ? 1 : 0));
  const auto& type = field.type;
  switch (type.id) {
    case TypeId::kStruct: {
      node.kind = ShredNode::Kind::kStruct;
      if (type.children.empty()) {
        throw core::UnsupportedError(fmt::format(
            "field '{}': a struct without fields cannot be written to Parquet", fmt::join(path, ".")));
      }
      for (const auto& child : type.children)
        node.children.push_back(build(child, path, present, repetition));
      break;
    }
    case TypeId::kList:
    case TypeId::kMap: {
      const bool is_list = type.id == TypeId::kList;
      node.kind = is_list ? ShredNode::Kind::kList : ShredNode::Kind::kMap;
      DRIFTGOV_CHECK(type.children.size() == (is_list ? 1u : 2u), "{} type with {} children",
                     type.to_string(), type.children.size());
      node.repeated_level = static_cast<std::int16_t>(repetition + 1);
      // The standard names of the 3-level layout; the spec requires map keys.
      auto entries = type.children;
      if (is_list) {
        entries[0].name = "element";
      } else {
        entries[0].name = "key";
        entries[0].nullable = false;
        entries[1].name = "value";
      }
      path.push_back(is_list ? "list" : "key_value");
      const auto entry_definition = static_cast<std::int16_t>(present + 1);
      for (const auto& entry : entries) {
        node.children.push_back(build(entry, path, entry_definition, node.repeated_level));
      }
      break;
    }
    default: {
      node.kind = ShredNode::Kind::kLeaf;
      if (type.id == TypeId::kDecimal && (type.precision < 1 || type.precision > kMaxDecimalPrecision ||
                                          type.scale < 0 || type.scale > type.precision)) {
        throw core::UnsupportedError(
            fmt::format("field '{}': {} cannot be written to Parquet (precision 1..38, "
                        "scale 0..precision)",
                        fmt::join(path, "."), type.to_string()));
      }
      LeafColumn leaf;
      leaf.path = path;
      leaf.dotted_path = fmt::format("{}", fmt::join(path, "."));
      leaf.type = type;
      leaf.storage = storage_for(type);
      if (leaf.storage == ValueStorage::kFixedBytes) leaf.fixed_length = decimal_fixed_length(type.precision);
      leaf.max_definition = present;
      leaf.max_repetition = repetition;
      node.leaf = leaves_.size();
      leaves_.push_back(std::move(leaf));
      break;
    }
  }
  node.leaf_end = leaves_.size();
  return node;
}

void ColumnShredder::shred(const core::RecordBatch& batch, std::int64_t row_begin, std::int64_t row_end,
                           std::vector<LeafBuffer>& buffers, std::int64_t first_row_number) const {
  DRIFTGOV_CHECK_EQ(batch.columns.size(), roots_.size());
  RowShredder nested(leaves_, buffers);
  for (std::size_t column_index = 0; column_index < roots_.size(); ++column_index) {
    const auto& node = roots_[column_index];
    const auto& column = batch.columns[column_index];
    if (node.kind != ShredNode::Kind::kLeaf || column.type.id == TypeId::kNull) {
      for (auto row = row_begin; row < row_end; ++row) {
        nested.value(node, column, row, 0, 0, first_row_number + (row - row_begin));
      }
      continue;
    }
    // Flat columns: definition levels straight from validity, values appended in one pass.
    const auto& leaf = leaves_[node.leaf];
    auto& buffer = buffers[node.leaf];
    const auto count = row_end - row_begin;
    if (!column.validity.empty()) {
      const auto* validity = column.validity.data() + row_begin;
      if (!node.optional) {
        for (std::int64_t i = 0; i < count; ++i) {
          if (!validity[i]) {
            throw_value_error(RowContext{&leaf, first_row_number + i},
                              fmt::format("null in non-nullable field '{}'", node.name));
          }
        }
      } else {
        std::int64_t nulls = 0;
        for (std::int64_t i = 0; i < count; ++i) {
          const auto defined = static_cast<std::int16_t>(validity[i] != 0);
          buffer.definition.push_back(defined);
          nulls += 1 - defined;
        }
        buffer.null_count += nulls;
      }
    } else if (node.optional) {
      buffer.definition.insert(buffer.definition.end(), static_cast<std::size_t>(count), std::int16_t{1});
    }
    buffer.level_count += count;
    append_values(leaf, column, row_begin, row_end, buffer, RowContext{&leaf, first_row_number});
  }
}

}  // namespace driftgov::parquet
