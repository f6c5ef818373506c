#include "driftgov/core/arrow_c_import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

#include "driftgov/core/error.hpp"

namespace driftgov::core {
namespace {

// How the values of one Arrow type are laid out in its buffers, and the driftgov type they become.
enum class Layout {
  kNull,
  kBoolean,
  kSigned,     // width bytes, two's complement
  kUnsigned,   // width bytes (1, 2, 4): widened to the next signed integer
  kUnsigned64, // as decimal(20, 0)
  kFloat32,
  kFloat64,
  kDecimal128,
  kDate32,
  kDate64,       // milliseconds, as days
  kTimestamp,    // int64 times `multiplier` (the seconds unit is read in milliseconds)
  kBinary32,     // int32 offsets
  kBinary64,     // int64 offsets
  kBinaryView,   // 16-byte views into variadic buffers
  kFixedBinary,  // width bytes a value
};

struct ArrowType {
  DataType type;
  Layout layout = Layout::kNull;
  int width = 0;
  std::int64_t multiplier = 1;
};

std::string_view text_of(const char* text) { return text ? std::string_view(text) : std::string_view(); }

// The Arrow type `format` names, or nullopt when driftgov does not read it.
std::optional<ArrowType> decode_format(std::string_view format) {
  const auto simple = [](DataType type, Layout layout, int width = 0) {
    return std::optional<ArrowType>(ArrowType{std::move(type), layout, width, 1});
  };
  if (format == "n") return simple(DataType::null(), Layout::kNull);
  if (format == "b") return simple(DataType::boolean(), Layout::kBoolean);
  if (format == "c") return simple(DataType(TypeId::kInt8), Layout::kSigned, 1);
  if (format == "s") return simple(DataType(TypeId::kInt16), Layout::kSigned, 2);
  if (format == "i") return simple(DataType(TypeId::kInt32), Layout::kSigned, 4);
  if (format == "l") return simple(DataType(TypeId::kInt64), Layout::kSigned, 8);
  // Unsigned integers become the types the Parquet reader gives them (parquet/reader.cpp, integer_type).
  if (format == "C") return simple(DataType(TypeId::kInt16), Layout::kUnsigned, 1);
  if (format == "S") return simple(DataType(TypeId::kInt32), Layout::kUnsigned, 2);
  if (format == "I") return simple(DataType(TypeId::kInt64), Layout::kUnsigned, 4);
  if (format == "L") return simple(DataType::decimal(20, 0), Layout::kUnsigned64, 8);
  if (format == "f") return simple(DataType::float32(), Layout::kFloat32);
  if (format == "g") return simple(DataType::float64(), Layout::kFloat64);
  if (format == "u") return simple(DataType::string(), Layout::kBinary32);
  if (format == "U") return simple(DataType::string(), Layout::kBinary64);
  if (format == "vu") return simple(DataType::string(), Layout::kBinaryView);
  if (format == "z") return simple(DataType::binary(), Layout::kBinary32);
  if (format == "Z") return simple(DataType::binary(), Layout::kBinary64);
  if (format == "vz") return simple(DataType::binary(), Layout::kBinaryView);
  if (format == "tdD") return simple(DataType::date(), Layout::kDate32);
  if (format == "tdm") return simple(DataType::date(), Layout::kDate64);
  if (format.starts_with("w:")) {
    int width = 0;
    const auto digits = format.substr(2);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), width);
    if (error != std::errc() || end != digits.data() + digits.size() || width <= 0) return std::nullopt;
    return simple(DataType::binary(), Layout::kFixedBinary, width);
  }
  if (format.starts_with("d:")) {
    // d:PRECISION,SCALE[,BITWIDTH]; only 128-bit decimals.
    int numbers[3] = {0, 0, 128};
    std::size_t count = 0;
    const char* cursor = format.data() + 2;
    const char* end = format.data() + format.size();
    while (cursor < end && count < 3) {
      const auto [next, error] = std::from_chars(cursor, end, numbers[count]);
      if (error != std::errc()) return std::nullopt;
      ++count;
      cursor = next;
      if (cursor < end && *cursor == ',') ++cursor;
    }
    if (count < 2 || cursor != end || numbers[2] != 128) return std::nullopt;
    if (numbers[0] < 1 || numbers[0] > 38 || numbers[1] < 0 || numbers[1] > numbers[0]) return std::nullopt;
    return simple(DataType::decimal(numbers[0], numbers[1]), Layout::kDecimal128);
  }
  if (format.size() >= 4 && format.starts_with("ts") && format[3] == ':') {
    const bool utc = format.size() > 4;  // a time zone: the instant is UTC-adjusted
    switch (format[2]) {
      case 's': return ArrowType{DataType::timestamp(TimeUnit::kMilli, utc), Layout::kTimestamp, 8, 1000};
      case 'm': return ArrowType{DataType::timestamp(TimeUnit::kMilli, utc), Layout::kTimestamp, 8, 1};
      case 'u': return ArrowType{DataType::timestamp(TimeUnit::kMicro, utc), Layout::kTimestamp, 8, 1};
      case 'n': return ArrowType{DataType::timestamp(TimeUnit::kNano, utc), Layout::kTimestamp, 8, 1};
      default: return std::nullopt;
    }
  }
  return std::nullopt;
}

// The Arrow format as a reader would name it: "+s" is struct, "e" float16, and so on (the spec's letters otherwise).
std::string describe_format(std::string_view format) {
  static const std::pair<std::string_view, std::string_view> names[] = {
      {"+s", "struct"},      {"+l", "list"},         {"+L", "large_list"},  {"+m", "map"},
      {"+vl", "list_view"},  {"+vL", "large_list_view"}, {"+r", "run_end_encoded"}, {"e", "float16"},
      {"tts", "time32[s]"},  {"ttm", "time32[ms]"},  {"ttu", "time64[us]"}, {"ttn", "time64[ns]"},
      {"tDs", "duration[s]"}, {"tDm", "duration[ms]"}, {"tDu", "duration[us]"}, {"tDn", "duration[ns]"},
      {"tiM", "interval[months]"}, {"tiD", "interval[days_time]"}, {"tin", "interval[month_day_nano]"}};
  for (const auto& [code, name] : names) {
    if (format == code) return fmt::format("{} (format '{}')", name, format);
  }
  if (format.starts_with("+w:")) return fmt::format("fixed_size_list (format '{}')", format);
  if (format.starts_with("+ud:") || format.starts_with("+us:")) return fmt::format("union (format '{}')", format);
  if (format.starts_with("d:")) return fmt::format("decimal of a width other than 128 bits (format '{}')", format);
  return fmt::format("format '{}'", format);
}

[[noreturn]] void refuse_column(std::string_view column, const std::string& what) {
  throw UnsupportedError(fmt::format(
      "column '{}': Arrow type {} is not supported (driftgov reads booleans, integers, floats, decimal128, dates, "
      "timestamps, strings and binaries, dictionary-encoded or not)",
      column, what));
}

// A column's value type and, when dictionary-encoded, its index type.
struct ColumnType {
  ArrowType value;
  std::optional<ArrowType> index;
};

ColumnType resolve_column(const ArrowSchema& child) {
  const auto name = text_of(child.name);
  const auto format = text_of(child.format);
  if (child.dictionary == nullptr) {
    auto type = decode_format(format);
    if (!type) refuse_column(name, describe_format(format));
    return {*type, std::nullopt};
  }
  auto index = decode_format(format);
  if (!index || (index->layout != Layout::kSigned && index->layout != Layout::kUnsigned &&
                 index->layout != Layout::kUnsigned64)) {
    refuse_column(name, fmt::format("dictionary with indices of {}", describe_format(format)));
  }
  const auto value_format = text_of(child.dictionary->format);
  auto value = child.dictionary->dictionary == nullptr ? decode_format(value_format) : std::nullopt;
  if (!value) refuse_column(name, fmt::format("dictionary of {}", describe_format(value_format)));
  return {*value, index};
}

template <typename T>
T load(const void* buffer, std::int64_t index) {
  T value;
  std::memcpy(&value, static_cast<const char*>(buffer) + index * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
  return value;
}

bool bit_set(const void* bitmap, std::int64_t index) {
  return (static_cast<const std::uint8_t*>(bitmap)[index >> 3] >> (index & 7)) & 1;
}

// Whether element `index` of `array` (offset applied by the caller) is valid.
bool is_valid(const ArrowArray& array, std::int64_t index) {
  return array.null_count == 0 || array.n_buffers == 0 || array.buffers[0] == nullptr ||
         bit_set(array.buffers[0], index);
}

std::int64_t load_integer(const ArrowType& type, const void* buffer, std::int64_t index) {
  if (type.layout == Layout::kSigned) {
    switch (type.width) {
      case 1: return load<std::int8_t>(buffer, index);
      case 2: return load<std::int16_t>(buffer, index);
      case 4: return load<std::int32_t>(buffer, index);
      default: return load<std::int64_t>(buffer, index);
    }
  }
  switch (type.width) {
    case 1: return load<std::uint8_t>(buffer, index);
    case 2: return load<std::uint16_t>(buffer, index);
    case 4: return load<std::uint32_t>(buffer, index);
    default: {
      const auto value = load<std::uint64_t>(buffer, index);
      DRIFTGOV_USER_CHECK(value <= static_cast<std::uint64_t>(INT64_MAX), "dictionary index {} out of range", value);
      return static_cast<std::int64_t>(value);
    }
  }
}

// Element `index` (the array's offset applied) of a valid slot, appended to `out`.
void append_value(Column& out, const ArrowType& type, const ArrowArray& array, std::int64_t index,
                  std::string_view column) {
  const void* values = array.n_buffers > 1 ? array.buffers[1] : nullptr;
  switch (type.layout) {
    case Layout::kNull: out.append_null(); return;
    case Layout::kBoolean: out.append_int(bit_set(values, index) ? 1 : 0); return;
    case Layout::kSigned:
    case Layout::kUnsigned: out.append_int(load_integer(type, values, index)); return;
    case Layout::kUnsigned64: out.append_decimal(static_cast<Int128>(load<std::uint64_t>(values, index))); return;
    case Layout::kFloat32: out.append_double(static_cast<double>(load<float>(values, index))); return;
    case Layout::kFloat64: out.append_double(load<double>(values, index)); return;
    case Layout::kDecimal128: {
      Int128 value;
      std::memcpy(&value, static_cast<const char*>(values) + index * 16, 16);
      out.append_decimal(value);
      return;
    }
    case Layout::kDate32: out.append_int(load<std::int32_t>(values, index)); return;
    case Layout::kDate64: {
      constexpr std::int64_t kMillisPerDay = 86'400'000;
      const auto millis = load<std::int64_t>(values, index);
      out.append_int(millis / kMillisPerDay - (millis % kMillisPerDay < 0 ? 1 : 0));
      return;
    }
    case Layout::kTimestamp: {
      std::int64_t value = 0;
      if (__builtin_mul_overflow(load<std::int64_t>(values, index), type.multiplier, &value)) {
        throw InputError(fmt::format("column '{}', row {}: timestamp in seconds beyond the range of milliseconds",
                                     column, index - array.offset));
      }
      out.append_int(value);
      return;
    }
    case Layout::kBinary32: {
      const auto begin = load<std::int32_t>(values, index);
      const auto end = load<std::int32_t>(values, index + 1);
      out.append_string(std::string_view(static_cast<const char*>(array.buffers[2]) + begin,
                                         static_cast<std::size_t>(end - begin)));
      return;
    }
    case Layout::kBinary64: {
      const auto begin = load<std::int64_t>(values, index);
      const auto end = load<std::int64_t>(values, index + 1);
      out.append_string(std::string_view(static_cast<const char*>(array.buffers[2]) + begin,
                                         static_cast<std::size_t>(end - begin)));
      return;
    }
    case Layout::kBinaryView: {
      const char* view = static_cast<const char*>(values) + index * 16;
      std::int32_t size = 0;
      std::memcpy(&size, view, 4);
      if (size <= 12) {
        out.append_string(std::string_view(view + 4, static_cast<std::size_t>(size)));
        return;
      }
      std::int32_t buffer_index = 0;
      std::int32_t offset = 0;
      std::memcpy(&buffer_index, view + 8, 4);
      std::memcpy(&offset, view + 12, 4);
      // Buffers: validity, views, the variadic data buffers, then their sizes.
      if (buffer_index < 0 || 2 + buffer_index >= array.n_buffers - 1) {
        throw InputError(fmt::format("column '{}', row {}: string view names data buffer {} of {}", column,
                                     index - array.offset, buffer_index, array.n_buffers - 3));
      }
      out.append_string(std::string_view(static_cast<const char*>(array.buffers[2 + buffer_index]) + offset,
                                         static_cast<std::size_t>(size)));
      return;
    }
    case Layout::kFixedBinary:
      out.append_string(std::string_view(static_cast<const char*>(values) + index * type.width,
                                         static_cast<std::size_t>(type.width)));
      return;
  }
}

// Buffers each layout needs (view arrays: at least validity, views and the sizes buffer).
std::int64_t required_buffers(Layout layout) {
  switch (layout) {
    case Layout::kNull: return 0;
    case Layout::kBinary32:
    case Layout::kBinary64: return 3;
    case Layout::kBinaryView: return 3;
    default: return 2;
  }
}

void check_array(const ArrowArray& array, const ArrowType& type, std::string_view column, const char* what) {
  if (array.n_buffers < required_buffers(type.layout)) {
    throw InputError(fmt::format("column '{}': Arrow {} array has {} buffers, {} expected for its type", column,
                                 what, array.n_buffers, required_buffers(type.layout)));
  }
}

// Values of a fixed-width layout the Column holds as they are or with a plain conversion (no check that can fail):
// converted in one pass over the buffer rather than value by value through append_value.
bool bulk_layout(const ArrowType& type) {
  switch (type.layout) {
    case Layout::kSigned:
    case Layout::kUnsigned:  // 1, 2 or 4 bytes: uint64 is kUnsigned64
    case Layout::kFloat32:
    case Layout::kFloat64:
    case Layout::kDate32: return true;
    case Layout::kTimestamp: return type.multiplier == 1;
    default: return false;
  }
}

template <typename From, typename To>
void convert_values(const void* buffer, std::int64_t start, std::int64_t length, std::vector<To>& out) {
  const char* begin = static_cast<const char*>(buffer) + start * static_cast<std::int64_t>(sizeof(From));
  if (reinterpret_cast<std::uintptr_t>(begin) % alignof(From) == 0) {
    // The usual case (the specification asks for 8-byte aligned buffers): assigned from the typed range, which
    // copies or widens without zero-filling the vector first.
    const auto* values = reinterpret_cast<const From*>(begin);
    out.assign(values, values + length);
    return;
  }
  out.resize(static_cast<std::size_t>(length));
  for (std::int64_t i = 0; i < length; ++i) out[static_cast<std::size_t>(i)] = static_cast<To>(load<From>(begin, i));
}

// Rows [start, start + length) of a non-dictionary array of a bulk layout, with the values of null slots zeroed
// as append_null writes them.
// The values of a float64, int64 or timestamp array (in Column's own width) borrowed in place: no copy, `owner`
// keeps the producer's array alive. Null rows keep whatever the producer's buffer holds. False when the layout
// needs converting or the buffer is not aligned for its type.
bool borrow_bulk(Column& out, const ArrowType& type, const ArrowArray& array, std::int64_t start, std::int64_t length,
                 const std::shared_ptr<const void>& owner) {
  const bool floating = type.layout == Layout::kFloat64;
  const bool integer = (type.layout == Layout::kTimestamp && type.multiplier == 1) ||
                       (type.layout == Layout::kSigned && type.width == 8);
  if (!floating && !integer) return false;
  const char* begin = static_cast<const char*>(array.buffers[1]) + start * 8;
  if (reinterpret_cast<std::uintptr_t>(begin) % 8 != 0) return false;
  if (floating) {
    out.borrowed_doubles = reinterpret_cast<const double*>(begin);
  } else {
    out.borrowed_ints = reinterpret_cast<const std::int64_t*>(begin);
  }
  out.owner = owner;
  out.length = length;
  if (array.null_count == 0 || array.buffers[0] == nullptr) return true;
  out.validity.resize(static_cast<std::size_t>(length));
  bool any_null = false;
  for (std::int64_t row = 0; row < length; ++row) {
    const bool valid = bit_set(array.buffers[0], start + row);
    out.validity[static_cast<std::size_t>(row)] = valid ? 1 : 0;
    any_null = any_null || !valid;
  }
  if (!any_null) out.validity.clear();
  return true;
}

void import_bulk(Column& out, const ArrowType& type, const ArrowArray& array, std::int64_t start,
                 std::int64_t length) {
  const void* values = array.buffers[1];
  switch (type.layout) {
    case Layout::kFloat32: convert_values<float>(values, start, length, out.doubles); break;
    case Layout::kFloat64: convert_values<double>(values, start, length, out.doubles); break;
    case Layout::kDate32: convert_values<std::int32_t>(values, start, length, out.ints); break;
    case Layout::kTimestamp: convert_values<std::int64_t>(values, start, length, out.ints); break;
    default:
      switch (type.width) {
        case 1:
          type.layout == Layout::kSigned ? convert_values<std::int8_t>(values, start, length, out.ints)
                                         : convert_values<std::uint8_t>(values, start, length, out.ints);
          break;
        case 2:
          type.layout == Layout::kSigned ? convert_values<std::int16_t>(values, start, length, out.ints)
                                         : convert_values<std::uint16_t>(values, start, length, out.ints);
          break;
        case 4:
          type.layout == Layout::kSigned ? convert_values<std::int32_t>(values, start, length, out.ints)
                                         : convert_values<std::uint32_t>(values, start, length, out.ints);
          break;
        default: convert_values<std::int64_t>(values, start, length, out.ints); break;
      }
  }
  out.length = length;
  if (array.null_count == 0 || array.buffers[0] == nullptr) return;
  out.validity.resize(static_cast<std::size_t>(length));
  bool any_null = false;
  for (std::int64_t row = 0; row < length; ++row) {
    const bool valid = bit_set(array.buffers[0], start + row);
    out.validity[static_cast<std::size_t>(row)] = valid ? 1 : 0;
    if (!valid) {
      any_null = true;
      if (type.layout == Layout::kFloat32 || type.layout == Layout::kFloat64) {
        out.doubles[static_cast<std::size_t>(row)] = 0.0;
      } else {
        out.ints[static_cast<std::size_t>(row)] = 0;
      }
    }
  }
  if (!any_null) out.validity.clear();  // a slice without nulls of an array with some
}

// Rows [start, start + length) of a string or binary array with offsets of type Offset: the bytes copied in one
// piece and the offsets rebased, where appending value by value copied each value apart. False, leaving `out`
// as it was, when a null slot spans bytes (Arrow allows it; append_null leaves a null slot empty), for the
// caller to take value by value.
template <typename Offset>
bool import_strings(Column& out, const ArrowArray& array, std::int64_t start, std::int64_t length,
                    std::string_view name) {
  const void* offsets = array.buffers[1];
  const bool nulls = array.null_count != 0 && array.buffers[0] != nullptr;
  const auto first = static_cast<std::int64_t>(load<Offset>(offsets, start));
  out.offsets.resize(static_cast<std::size_t>(length) + 1);
  if (nulls) out.validity.resize(static_cast<std::size_t>(length));
  std::int64_t previous = first;
  bool ordered = first >= 0;
  bool null_slots_empty = true;
  bool any_null = false;
  for (std::int64_t row = 0; row < length; ++row) {
    const auto end = static_cast<std::int64_t>(load<Offset>(offsets, start + row + 1));
    ordered = ordered && end >= previous;
    out.offsets[static_cast<std::size_t>(row) + 1] = end - first;
    if (nulls) {
      const bool valid = bit_set(array.buffers[0], start + row);
      out.validity[static_cast<std::size_t>(row)] = valid ? 1 : 0;
      any_null = any_null || !valid;
      null_slots_empty = null_slots_empty && (valid || end == previous);
    }
    previous = end;
  }
  if (!ordered) {
    throw InputError(fmt::format("column '{}': Arrow string offsets of rows {} to {} are negative or decrease", name,
                                 start, start + length));
  }
  if (!null_slots_empty) {
    out.offsets.assign(1, 0);
    out.validity.clear();
    return false;
  }
  if (previous > first) {
    out.bytes.assign(static_cast<const char*>(array.buffers[2]) + first, static_cast<std::size_t>(previous - first));
  }
  out.length = length;
  if (!any_null) out.validity.clear();
  return true;
}

Column import_column(const ArrowSchema& schema, const ColumnType& type, const ArrowArray& array,
                     std::int64_t parent_offset, std::int64_t length, const std::shared_ptr<const void>& owner) {
  const auto name = text_of(schema.name);
  Column out(type.value.type);
  if (array.length < parent_offset + length) {
    throw InputError(fmt::format("column '{}': Arrow array holds {} values, the batch {}", name,
                                 array.length - parent_offset, length));
  }
  const std::int64_t start = array.offset + parent_offset;
  if (!type.index) {
    check_array(array, type.value, name, "value");
    if (bulk_layout(type.value)) {
      if (!owner || !borrow_bulk(out, type.value, array, start, length, owner)) {
        import_bulk(out, type.value, array, start, length);
      }
      return out;
    }
    if (type.value.layout == Layout::kBinary32 && import_strings<std::int32_t>(out, array, start, length, name)) {
      return out;
    }
    if (type.value.layout == Layout::kBinary64 && import_strings<std::int64_t>(out, array, start, length, name)) {
      return out;
    }
    out.reserve(length);
    for (std::int64_t row = 0; row < length; ++row) {
      const auto index = start + row;
      if (type.value.layout == Layout::kNull || !is_valid(array, index)) {
        out.append_null();
      } else {
        append_value(out, type.value, array, index, name);
      }
    }
    return out;
  }
  if (array.dictionary == nullptr) {
    throw InputError(fmt::format("column '{}': dictionary-encoded Arrow array without its dictionary", name));
  }
  out.reserve(length);
  check_array(array, *type.index, name, "index");
  const ArrowArray& dictionary = *array.dictionary;
  check_array(dictionary, type.value, name, "dictionary");
  for (std::int64_t row = 0; row < length; ++row) {
    const auto index = start + row;
    if (!is_valid(array, index)) {
      out.append_null();
      continue;
    }
    const auto code = load_integer(*type.index, array.buffers[1], index);
    if (code < 0 || code >= dictionary.length) {
      throw InputError(fmt::format("column '{}', row {}: dictionary index {} outside the dictionary of {} values",
                                   name, row, code, dictionary.length));
    }
    const auto entry = dictionary.offset + code;
    if (type.value.layout == Layout::kNull || !is_valid(dictionary, entry)) {
      out.append_null();
    } else {
      append_value(out, type.value, dictionary, entry, name);
    }
  }
  return out;
}

void check_record_schema(const ArrowSchema& schema) {
  if (text_of(schema.format) != "+s") {
    throw InputError(fmt::format("Arrow data: expected a record batch (a struct, format '+s'), got {}",
                                 describe_format(text_of(schema.format))));
  }
}

}  // namespace

ArrowImport import_arrow_schema(const ArrowSchema& schema, const std::vector<std::string>& columns) {
  check_record_schema(schema);
  Schema all;
  for (std::int64_t i = 0; i < schema.n_children; ++i) {
    all.fields.push_back(Field{std::string(text_of(schema.children[i]->name)), DataType::null(), true, {}});
  }
  ArrowImport import;
  if (columns.empty()) {
    for (std::size_t i = 0; i < all.fields.size(); ++i) import.indices.push_back(i);
  } else {
    for (const auto& name : columns) {
      const auto found = all.find(name);
      if (!found) {
        std::vector<std::string> names;
        for (const auto& field : all.fields) names.push_back(field.name);
        throw InputError(fmt::format("Arrow data: no column '{}' (columns: {})", name, fmt::join(names, ", ")));
      }
      import.indices.push_back(*found);
    }
  }
  for (const auto index : import.indices) {
    const auto& child = *schema.children[index];
    const auto type = resolve_column(child);
    import.schema.fields.push_back(
        Field{std::string(text_of(child.name)), type.value.type, (child.flags & ARROW_FLAG_NULLABLE) != 0, {}});
  }
  return import;
}

RecordBatch import_arrow_batch(const ArrowSchema& schema, const ArrowImport& import, const ArrowArray& array) {
  return import_arrow_batch(schema, import, array, 0, array.length, nullptr);
}

RecordBatch import_arrow_batch(const ArrowSchema& schema, const ArrowImport& import, const ArrowArray& array,
                               std::int64_t first_row, std::int64_t rows, const std::shared_ptr<const void>& owner) {
  check_record_schema(schema);
  if (array.n_children != schema.n_children) {
    throw InputError(fmt::format("Arrow data: the batch has {} columns, its schema {}", array.n_children,
                                 schema.n_children));
  }
  DRIFTGOV_CHECK(first_row >= 0 && rows >= 0 && first_row + rows <= array.length,
                 "rows [{}, {}) outside an Arrow batch of {} rows", first_row, first_row + rows, array.length);
  RecordBatch batch;
  batch.schema = import.schema;
  batch.num_rows = rows;
  for (const auto index : import.indices) {
    const auto& child_schema = *schema.children[index];
    batch.columns.push_back(import_column(child_schema, resolve_column(child_schema), *array.children[index],
                                          array.offset + first_row, rows, owner));
  }
  return batch;
}

std::int64_t ArrowStreamReader::slice_rows() const {
  // Fixed-width columns take 8 bytes a value once imported (16 for decimals); strings are counted at 16.
  std::int64_t row_bytes = 1;
  for (const auto& field : import_.schema.fields) {
    row_bytes += field.type.id == TypeId::kDecimal || field.type.id == TypeId::kString ||
                         field.type.id == TypeId::kBinary
                     ? 16
                     : 8;
  }
  return std::clamp<std::int64_t>(kSliceBytes / row_bytes, kMinSliceRows, kMaxSliceRows);
}

ArrowStreamReader::ArrowStreamReader(ArrowArrayStream* stream, const std::vector<std::string>& columns,
                                     bool borrow_values)
    : borrow_values_(borrow_values) {
  DRIFTGOV_CHECK(stream != nullptr && stream->release != nullptr, "an Arrow stream that was released");
  stream_ = *stream;
  stream->release = nullptr;  // moved: the caller's copy must not release it again
  if (stream_.get_schema(&stream_, &arrow_schema_) != 0) {
    const auto* error = stream_.get_last_error(&stream_);
    throw InputError(fmt::format("Arrow stream: reading the schema failed: {}", error ? error : "no message"));
  }
  import_ = import_arrow_schema(arrow_schema_, columns);
}

ArrowStreamReader::~ArrowStreamReader() {
  release_batch();
  if (arrow_schema_.release != nullptr) arrow_schema_.release(&arrow_schema_);
  if (stream_.release != nullptr) stream_.release(&stream_);
}

void ArrowStreamReader::release_batch() {
  batch_.reset();  // released now, or when the last column borrowing from it goes
  next_row_ = 0;
}

std::optional<RecordBatch> ArrowStreamReader::next() {
  if (!batch_ || next_row_ >= batch_->length) {
    release_batch();
    ArrowArray array{};
    if (stream_.get_next(&stream_, &array) != 0) {
      const auto* error = stream_.get_last_error(&stream_);
      throw InputError(fmt::format("Arrow stream: reading the next batch failed: {}", error ? error : "no message"));
    }
    if (array.release == nullptr) return std::nullopt;  // the end of the stream
    batch_ = std::shared_ptr<ArrowArray>(new ArrowArray(array), [](ArrowArray* held) {
      if (held->release != nullptr) held->release(held);
      delete held;
    });
    if (batch_->length == 0) {  // passed on as one empty batch
      auto empty = import_arrow_batch(arrow_schema_, import_, *batch_, 0, 0);
      release_batch();
      return empty;
    }
  }
  const auto rows = std::min(slice_rows(), batch_->length - next_row_);
  auto slice = import_arrow_batch(arrow_schema_, import_, *batch_, next_row_, rows,
                                  borrow_values_ ? std::shared_ptr<const void>(batch_) : nullptr);
  next_row_ += rows;
  if (next_row_ >= batch_->length) release_batch();  // the producer's memory back as soon as no slice needs it
  return slice;
}

}  // namespace driftgov::core
