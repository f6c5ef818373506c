#include "driftgov/core/arrow_c_export.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "driftgov/core/error.hpp"

namespace driftgov::core {
namespace {

// Releases the structs a holder still owns (the consumer may have moved some out, marking them released).
template <typename Struct>
void release_all(std::vector<Struct>& structs) {
  for (auto& owned : structs) {
    if (owned.release != nullptr) owned.release(&owned);
  }
}

// The release callback of a struct whose private_data is a Holder.
template <typename Holder, typename Struct>
void release_holder(Struct* exported) {
  delete static_cast<Holder*>(exported->private_data);
  exported->release = nullptr;
}

// ---- Schemas ----

// What an exported ArrowSchema's pointers point into. Deleting it releases the children.
struct SchemaHolder {
  std::string format;
  std::string name;
  std::vector<ArrowSchema> children;
  std::vector<ArrowSchema*> child_pointers;

  ~SchemaHolder() { release_all(children); }
};

std::string format_of(const DataType& type) {
  switch (type.id) {
    case TypeId::kNull:
      return "n";
    case TypeId::kBoolean:
      return "b";
    case TypeId::kInt8:
      return "c";
    case TypeId::kInt16:
      return "s";
    case TypeId::kInt32:
      return "i";
    case TypeId::kInt64:
      return "l";
    case TypeId::kFloat32:
      return "f";
    case TypeId::kFloat64:
      return "g";
    case TypeId::kDecimal:
      return fmt::format("d:{},{}", type.precision, type.scale);
    case TypeId::kDate:
      return "tdD";
    case TypeId::kTimestamp: {
      const char unit = type.unit == TimeUnit::kMilli ? 'm' : type.unit == TimeUnit::kMicro ? 'u' : 'n';
      return fmt::format("ts{}:{}", unit, type.utc ? "UTC" : "");
    }
    case TypeId::kString:
      return "u";
    case TypeId::kBinary:
      return "z";
    case TypeId::kStruct:
      return "+s";
    case TypeId::kList:
      return "+l";
    case TypeId::kMap:
      return "+m";
  }
  throw InternalError(fmt::format("Arrow export: an unknown type id {}", static_cast<int>(type.id)));
}

// The child fields of a nested type as Arrow lays them out: a map has one child, the struct of its entries.
std::vector<Field> arrow_children(const DataType& type) {
  if (type.id != TypeId::kMap) return type.children;
  DRIFTGOV_CHECK(type.children.size() == 2, "a map type with {} children", type.children.size());
  DataType entries(TypeId::kStruct);
  entries.children = {Field{"key", type.children[0].type, false, {}},
                      Field{"value", type.children[1].type, type.children[1].nullable, {}}};
  return {Field{"entries", entries, false, {}}};
}

void export_schema(const std::string& name, const DataType& type, bool nullable, ArrowSchema* out) {
  auto holder = std::make_unique<SchemaHolder>();
  holder->format = format_of(type);
  holder->name = name;
  const auto children = arrow_children(type);
  holder->children.resize(children.size(), ArrowSchema{});
  for (std::size_t i = 0; i < children.size(); ++i) {
    export_schema(children[i].name, children[i].type, children[i].nullable, &holder->children[i]);
    holder->child_pointers.push_back(&holder->children[i]);
  }
  *out = ArrowSchema{};
  out->format = holder->format.c_str();
  out->name = holder->name.c_str();
  out->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  out->n_children = static_cast<std::int64_t>(children.size());
  out->children = holder->child_pointers.empty() ? nullptr : holder->child_pointers.data();
  out->release = &release_holder<SchemaHolder, ArrowSchema>;
  out->private_data = holder.release();
}

// ---- Arrays ----

// The buffers an exported ArrowArray points into: the column's own (moved in) or converted copies. Deleting
// it releases the children.
struct ArrayHolder {
  Column column;
  std::vector<std::uint8_t> validity_bits;
  std::vector<std::byte> values;  // booleans as bits, narrowed integers and floats
  std::vector<std::int32_t> offsets;
  std::vector<const void*> buffers;
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> child_pointers;

  ~ArrayHolder() { release_all(children); }
};

// A buffer pointer that is never null (consumers may refuse a null pointer even for an empty buffer).
const void* buffer_of(const void* data) {
  static const std::int64_t empty[2] = {0, 0};
  return data != nullptr ? data : empty;
}

std::vector<std::uint8_t> to_bits(std::int64_t length, auto&& is_set) {
  std::vector<std::uint8_t> bits(static_cast<std::size_t>((length + 7) / 8), 0);
  for (std::int64_t row = 0; row < length; ++row) {
    if (is_set(row)) bits[static_cast<std::size_t>(row / 8)] |= static_cast<std::uint8_t>(1U << (row % 8));
  }
  return bits;
}

template <typename Narrow, typename Wide>
const void* narrowed(const std::vector<Wide>& wide, std::vector<std::byte>& storage) {
  storage.resize(wide.size() * sizeof(Narrow));
  for (std::size_t i = 0; i < wide.size(); ++i) {
    const auto value = static_cast<Narrow>(wide[i]);
    std::memcpy(storage.data() + i * sizeof(Narrow), &value, sizeof(Narrow));
  }
  return storage.data();
}

// 32-bit offsets of a string, binary, list or map column (whose offsets have length + 1 entries, or none when
// it is empty); refuses data beyond their range.
std::vector<std::int32_t> offsets32(const Column& column, const std::string& name) {
  if (column.offsets.empty()) return {0};
  if (column.offsets.back() > std::numeric_limits<std::int32_t>::max()) {
    throw UnsupportedError(
        fmt::format("column '{}': {} bytes or elements in one batch exceed the 32-bit offsets of "
                    "Arrow's {} type",
                    name, column.offsets.back(), format_of(column.type)));
  }
  return {column.offsets.begin(), column.offsets.end()};
}

void export_array(Column moved, const std::string& name, ArrowArray* out) {
  auto holder = std::make_unique<ArrayHolder>();
  // Moved in first: the pointers below must point into the holder (a short std::string keeps its bytes inline).
  holder->column = std::move(moved);
  auto& column = holder->column;
  auto& buffers = holder->buffers;
  const auto length = column.length;
  const auto nulls = column.type.id == TypeId::kNull ? length : column.null_count();
  if (column.type.id != TypeId::kNull) {
    if (nulls > 0) {
      holder->validity_bits = to_bits(length, [&column](std::int64_t row) { return column.is_valid(row); });
      buffers.push_back(holder->validity_bits.data());
    } else {
      buffers.push_back(nullptr);
    }
  }
  switch (column.type.id) {
    case TypeId::kNull:
      break;
    case TypeId::kBoolean: {
      const auto bits = to_bits(length, [&column](std::int64_t row) { return column.ints[row] != 0; });
      holder->values.resize(bits.size());
      std::memcpy(holder->values.data(), bits.data(), bits.size());
      buffers.push_back(buffer_of(holder->values.data()));
      break;
    }
    case TypeId::kInt8:
      buffers.push_back(buffer_of(narrowed<std::int8_t>(column.ints, holder->values)));
      break;
    case TypeId::kInt16:
      buffers.push_back(buffer_of(narrowed<std::int16_t>(column.ints, holder->values)));
      break;
    case TypeId::kInt32:
    case TypeId::kDate:
      buffers.push_back(buffer_of(narrowed<std::int32_t>(column.ints, holder->values)));
      break;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      buffers.push_back(buffer_of(column.ints.data()));
      break;
    case TypeId::kFloat32:
      buffers.push_back(buffer_of(narrowed<float>(column.doubles, holder->values)));
      break;
    case TypeId::kFloat64:
      buffers.push_back(buffer_of(column.doubles.data()));
      break;
    case TypeId::kDecimal:
      buffers.push_back(buffer_of(column.decimals.data()));
      break;
    case TypeId::kString:
    case TypeId::kBinary:
      holder->offsets = offsets32(column, name);
      buffers.push_back(holder->offsets.data());
      buffers.push_back(buffer_of(column.bytes.data()));
      break;
    case TypeId::kList:
    case TypeId::kMap:
      holder->offsets = offsets32(column, name);
      buffers.push_back(holder->offsets.data());
      break;
    case TypeId::kStruct:
      break;
  }
  const auto child_fields = arrow_children(column.type);
  DRIFTGOV_CHECK(child_fields.size() == column.children.size(), "column '{}' of type {} holds {} children",
                 name, column.type.to_string(), column.children.size());
  holder->children.resize(column.children.size(), ArrowArray{});
  for (std::size_t i = 0; i < column.children.size(); ++i) {
    const auto& child_name = child_fields[i].name;
    export_array(std::move(column.children[i]),
                 name.empty() ? child_name : fmt::format("{}.{}", name, child_name), &holder->children[i]);
    holder->child_pointers.push_back(&holder->children[i]);
  }
  *out = ArrowArray{};
  out->length = length;
  out->null_count = nulls;
  out->n_buffers = static_cast<std::int64_t>(buffers.size());
  out->buffers = buffers.empty() ? nullptr : buffers.data();
  out->n_children = static_cast<std::int64_t>(holder->children.size());
  out->children = holder->child_pointers.empty() ? nullptr : holder->child_pointers.data();
  out->release = &release_holder<ArrayHolder, ArrowArray>;
  out->private_data = holder.release();
}

// ---- Streams ----

struct StreamHolder {
  Schema schema;
  std::vector<ArrowArray> arrays;
  std::size_t next = 0;
  std::string error;

  ~StreamHolder() { release_all(arrays); }
};

int stream_get_schema(ArrowArrayStream* stream, ArrowSchema* out) {
  auto* holder = static_cast<StreamHolder*>(stream->private_data);
  try {
    export_arrow_schema(holder->schema, out);
    return 0;
  } catch (const std::bad_alloc&) {
    holder->error = "out of memory exporting the schema";
    return ENOMEM;
  } catch (const std::exception& error) {
    holder->error = error.what();
    return EINVAL;
  }
}

int stream_get_next(ArrowArrayStream* stream, ArrowArray* out) {
  auto* holder = static_cast<StreamHolder*>(stream->private_data);
  if (holder->next == holder->arrays.size()) {
    *out = ArrowArray{};  // release == nullptr marks the end of the stream
    return 0;
  }
  *out = holder->arrays[holder->next];
  holder->arrays[holder->next].release = nullptr;  // moved to the consumer
  ++holder->next;
  return 0;
}

const char* stream_get_last_error(ArrowArrayStream* stream) {
  const auto* holder = static_cast<StreamHolder*>(stream->private_data);
  return holder->error.empty() ? nullptr : holder->error.c_str();
}

}  // namespace

void export_arrow_schema(const Schema& schema, ArrowSchema* out) {
  DataType record(TypeId::kStruct);
  record.children = schema.fields;
  export_schema("", record, false, out);
}

void export_arrow_batch(RecordBatch batch, ArrowArray* out) {
  DRIFTGOV_CHECK(batch.columns.size() == batch.schema.fields.size(), "a batch of {} columns with {} fields",
                 batch.columns.size(), batch.schema.fields.size());
  Column record{DataType(TypeId::kStruct)};
  record.type.children = batch.schema.fields;
  record.length = batch.num_rows;
  for (std::size_t i = 0; i < batch.columns.size(); ++i) {
    DRIFTGOV_CHECK(batch.columns[i].length == batch.num_rows, "column '{}' holds {} rows in a batch of {}",
                   batch.schema.fields[i].name, batch.columns[i].length, batch.num_rows);
  }
  record.children = std::move(batch.columns);
  export_array(std::move(record), "", out);
}

void export_arrow_stream(Schema schema, std::vector<RecordBatch> batches, ArrowArrayStream* out) {
  auto holder = std::make_unique<StreamHolder>();
  holder->arrays.resize(batches.size(), ArrowArray{});
  for (std::size_t i = 0; i < batches.size(); ++i) {
    DRIFTGOV_CHECK(batches[i].schema == schema, "batch {} has schema {}, the stream {}", i,
                   batches[i].schema.to_string(), schema.to_string());
    export_arrow_batch(std::move(batches[i]), &holder->arrays[i]);
  }
  holder->schema = std::move(schema);
  *out = ArrowArrayStream{};
  out->get_schema = &stream_get_schema;
  out->get_next = &stream_get_next;
  out->get_last_error = &stream_get_last_error;
  out->release = &release_holder<StreamHolder, ArrowArrayStream>;
  out->private_data = holder.release();
}

}  // namespace driftgov::core
