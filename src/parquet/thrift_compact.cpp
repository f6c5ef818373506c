#include "driftgov/parquet/thrift_compact.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

#include "driftgov/core/error.hpp"

namespace driftgov::parquet::thrift {

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void append_field_header(std::string& out, std::int16_t field_id, std::int16_t previous_field_id, CompactType type) {
  const int delta = field_id - previous_field_id;
  if (delta > 0 && delta <= 15) {
    out.push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out.push_back(static_cast<char>(type));
    append_varint(out, zigzag_encode(field_id));
  }
}

void append_list_header(std::string& out, CompactType element_type, std::uint64_t size) {
  if (size < 15) {
    out.push_back(static_cast<char>((size << 4) | static_cast<std::uint64_t>(element_type)));
  } else {
    out.push_back(static_cast<char>(0xF0 | static_cast<int>(element_type)));
    append_varint(out, size);
  }
}

CompactDecoder::CompactDecoder(std::string_view bytes, std::string_view description, std::int64_t base_offset)
    : bytes_(bytes), description_(description), base_offset_(base_offset) {}

void CompactDecoder::fail(std::string_view what) const {
  throw core::InputError(fmt::format("{}: invalid Parquet metadata at offset {}: {}", description_,
                                     base_offset_ + static_cast<std::int64_t>(position_), what));
}

void CompactDecoder::require(std::size_t count) const {
  if (count > remaining()) {
    fail(fmt::format("expected {} more bytes of Thrift data but only {} remain", count, remaining()));
  }
}

std::uint8_t CompactDecoder::read_byte() {
  require(1);
  return static_cast<std::uint8_t>(bytes_[position_++]);
}

std::uint64_t CompactDecoder::read_varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const std::uint8_t byte = read_byte();
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("varint longer than 10 bytes");
}

std::int16_t CompactDecoder::read_i16() {
  const std::int64_t value = zigzag_decode(read_varint());
  if (value < INT16_MIN || value > INT16_MAX) fail(fmt::format("i16 value {} out of range", value));
  return static_cast<std::int16_t>(value);
}

std::int32_t CompactDecoder::read_i32() {
  const std::int64_t value = zigzag_decode(read_varint());
  if (value < INT32_MIN || value > INT32_MAX) fail(fmt::format("i32 value {} out of range", value));
  return static_cast<std::int32_t>(value);
}

std::int64_t CompactDecoder::read_i64() { return zigzag_decode(read_varint()); }

double CompactDecoder::read_double() {
  require(8);
  std::uint64_t bits = 0;
  std::memcpy(&bits, bytes_.data() + position_, 8);
  position_ += 8;
  if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
  return std::bit_cast<double>(bits);
}

std::string CompactDecoder::read_binary() {
  const std::uint64_t length = read_varint();
  if (length > remaining()) {
    fail(fmt::format("binary length {} exceeds the {} bytes remaining", length, remaining()));
  }
  std::string value(bytes_.substr(position_, static_cast<std::size_t>(length)));
  position_ += static_cast<std::size_t>(length);
  return value;
}

bool CompactDecoder::read_bool_element() {
  // Writers disagree on false (0 or 2) but agree that 1 is true.
  return read_byte() == static_cast<std::uint8_t>(CompactType::kBooleanTrue);
}

CompactDecoder::FieldHeader CompactDecoder::read_field_header(std::int16_t previous_field_id) {
  const std::uint8_t byte = read_byte();
  const auto type_nibble = static_cast<std::uint8_t>(byte & 0x0F);
  if (type_nibble > static_cast<std::uint8_t>(CompactType::kStruct)) {
    --position_;
    fail(fmt::format("unknown Thrift field type {}", type_nibble));
  }
  FieldHeader header;
  header.type = static_cast<CompactType>(type_nibble);
  if (header.type == CompactType::kStop) return header;
  const int delta = byte >> 4;
  if (delta != 0) {
    const int id = previous_field_id + delta;
    if (id > INT16_MAX) fail("Thrift field id overflows i16");
    header.id = static_cast<std::int16_t>(id);
  } else {
    header.id = read_i16();
  }
  return header;
}

CompactDecoder::ListHeader CompactDecoder::read_list_header() {
  const std::uint8_t byte = read_byte();
  ListHeader header;
  const auto type_nibble = static_cast<std::uint8_t>(byte & 0x0F);
  if (type_nibble == 0 || type_nibble > static_cast<std::uint8_t>(CompactType::kStruct)) {
    fail(fmt::format("unknown Thrift list element type {}", type_nibble));
  }
  header.element_type = static_cast<CompactType>(type_nibble);
  std::uint64_t size = byte >> 4;
  if (size == 15) size = read_varint();
  // Every element occupies at least one byte, so a larger count cannot be genuine.
  if (size > remaining()) fail(fmt::format("list of {} elements exceeds the {} bytes remaining", size, remaining()));
  header.size = static_cast<std::size_t>(size);
  return header;
}

void CompactDecoder::enter() {
  if (++depth_ > kMaxDepth) fail(fmt::format("Thrift nesting deeper than {}", kMaxDepth));
}

void CompactDecoder::skip(CompactType type) {
  switch (type) {
    case CompactType::kBooleanTrue:
    case CompactType::kBooleanFalse:
      return;  // the value is in the header (a field) or was read by the caller
    case CompactType::kByte:
      read_byte();
      return;
    case CompactType::kI16:
    case CompactType::kI32:
    case CompactType::kI64:
      read_varint();
      return;
    case CompactType::kDouble:
      require(8);
      position_ += 8;
      return;
    case CompactType::kBinary: {
      const std::uint64_t length = read_varint();
      if (length > remaining()) fail(fmt::format("binary length {} exceeds the {} bytes remaining", length, remaining()));
      position_ += static_cast<std::size_t>(length);
      return;
    }
    case CompactType::kList:
    case CompactType::kSet: {
      const auto header = read_list_header();
      enter();
      for (std::size_t i = 0; i < header.size; ++i) {
        if (header.element_type == CompactType::kBooleanTrue || header.element_type == CompactType::kBooleanFalse) {
          read_byte();
        } else {
          skip(header.element_type);
        }
      }
      leave();
      return;
    }
    case CompactType::kMap: {
      const std::uint64_t size = read_varint();
      if (size == 0) return;
      const std::uint8_t types = read_byte();
      const auto key_type = static_cast<CompactType>(types >> 4);
      const auto value_type = static_cast<CompactType>(types & 0x0F);
      if ((types >> 4) > 12 || (types & 0x0F) > 12 || key_type == CompactType::kStop ||
          value_type == CompactType::kStop) {
        fail(fmt::format("unknown Thrift map types {:#x}", types));
      }
      if (size > remaining()) fail(fmt::format("map of {} entries exceeds the {} bytes remaining", size, remaining()));
      enter();
      for (std::uint64_t i = 0; i < size; ++i) {
        for (const auto element_type : {key_type, value_type}) {
          if (element_type == CompactType::kBooleanTrue || element_type == CompactType::kBooleanFalse) {
            read_byte();
          } else {
            skip(element_type);
          }
        }
      }
      leave();
      return;
    }
    case CompactType::kStruct: {
      enter();
      std::int16_t previous = 0;
      for (;;) {
        const auto header = read_field_header(previous);
        if (header.type == CompactType::kStop) break;
        previous = header.id;
        skip(header.type);
      }
      leave();
      return;
    }
    case CompactType::kStop:
      break;
  }
  fail("unexpected Thrift stop type");
}

namespace {

// ---- Generic field reading: the C++ type of a member decides the wire type it must have. ----

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

template <class T>
constexpr CompactType wire_type() {
  if constexpr (std::is_same_v<T, bool>) {
    return CompactType::kBooleanTrue;
  } else if constexpr (std::is_same_v<T, std::int8_t>) {
    return CompactType::kByte;
  } else if constexpr (std::is_same_v<T, std::int16_t>) {
    return CompactType::kI16;
  } else if constexpr (std::is_same_v<T, std::int32_t> || std::is_enum_v<T>) {
    return CompactType::kI32;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return CompactType::kI64;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return CompactType::kBinary;
  } else if constexpr (IsVector<T>::value) {
    return CompactType::kList;
  } else {
    return CompactType::kStruct;
  }
}

bool is_boolean_type(CompactType type) {
  return type == CompactType::kBooleanTrue || type == CompactType::kBooleanFalse;
}

void read_value(CompactDecoder& decoder, Statistics& out);
void read_value(CompactDecoder& decoder, SchemaElement& out);
void read_value(CompactDecoder& decoder, KeyValue& out);
void read_value(CompactDecoder& decoder, SortingColumn& out);
void read_value(CompactDecoder& decoder, PageEncodingStats& out);
void read_value(CompactDecoder& decoder, ColumnMetaData& out);
void read_value(CompactDecoder& decoder, ColumnChunk& out);
void read_value(CompactDecoder& decoder, RowGroup& out);
void read_value(CompactDecoder& decoder, ColumnOrder& out);
void read_value(CompactDecoder& decoder, DataPageHeader& out);
void read_value(CompactDecoder& decoder, DictionaryPageHeader& out);
void read_value(CompactDecoder& decoder, DataPageHeaderV2& out);

void read_value(CompactDecoder& decoder, std::int8_t& out) { out = static_cast<std::int8_t>(decoder.read_byte()); }
void read_value(CompactDecoder& decoder, std::int16_t& out) { out = decoder.read_i16(); }
void read_value(CompactDecoder& decoder, std::int32_t& out) { out = decoder.read_i32(); }
void read_value(CompactDecoder& decoder, std::int64_t& out) { out = decoder.read_i64(); }
void read_value(CompactDecoder& decoder, std::string& out) { out = decoder.read_binary(); }
template <class E>
  requires std::is_enum_v<E>
void read_value(CompactDecoder& decoder, E& out) {
  out = static_cast<E>(decoder.read_i32());
}

// Reads a field of wire type `type` into `out` if the type matches what `out` holds; returns false (leaving the
// value to be skipped) otherwise, as generated Thrift code does.
template <class T>
bool read_field(CompactDecoder& decoder, CompactType type, T& out) {
  if constexpr (IsOptional<T>::value) {
    typename T::value_type value{};
    if (!read_field(decoder, type, value)) return false;
    out = std::move(value);
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!is_boolean_type(type)) return false;
    out = type == CompactType::kBooleanTrue;
    return true;
  } else if constexpr (IsVector<T>::value) {
    if (type != CompactType::kList && type != CompactType::kSet) return false;
    using Element = typename T::value_type;
    const auto header = decoder.read_list_header();
    const bool matches = std::is_same_v<Element, bool> ? is_boolean_type(header.element_type)
                                                       : header.element_type == wire_type<Element>();
    if (!matches) {
      decoder.fail(fmt::format("list element type {} where {} was expected",
                               static_cast<int>(header.element_type), static_cast<int>(wire_type<Element>())));
    }
    out.clear();
    for (std::size_t i = 0; i < header.size; ++i) {
      Element element{};
      if constexpr (std::is_same_v<Element, bool>) {
        element = decoder.read_bool_element();
      } else {
        read_value(decoder, element);
      }
      out.push_back(std::move(element));
    }
    return true;
  } else {
    if (type != wire_type<T>()) return false;
    read_value(decoder, out);
    return true;
  }
}

// Reads the fields of one struct. `handle(header)` reads the fields it knows and returns whether it consumed the
// value; the rest are skipped. Returns the set of field ids seen (ids 1..63) for required-field checks.
template <class Handler>
std::uint64_t read_struct(CompactDecoder& decoder, Handler&& handle) {
  decoder.enter();
  std::uint64_t seen = 0;
  std::int16_t previous = 0;
  for (;;) {
    const auto header = decoder.read_field_header(previous);
    if (header.type == CompactType::kStop) break;
    previous = header.id;
    if (handle(header)) {
      if (header.id > 0 && header.id < 64) seen |= std::uint64_t{1} << header.id;
    } else {
      decoder.skip(header.type);
    }
  }
  decoder.leave();
  return seen;
}

void require_fields(CompactDecoder& decoder, std::uint64_t seen, std::string_view struct_name,
                    std::initializer_list<std::pair<int, std::string_view>> required) {
  for (const auto& [id, name] : required) {
    if ((seen & (std::uint64_t{1} << id)) == 0) {
      decoder.fail(fmt::format("{} is missing its required field {} ({})", struct_name, id, name));
    }
  }
}

void read_value(CompactDecoder& decoder, Statistics& out) {
  read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.max);
      case 2: return read_field(decoder, field.type, out.min);
      case 3: return read_field(decoder, field.type, out.null_count);
      case 4: return read_field(decoder, field.type, out.distinct_count);
      case 5: return read_field(decoder, field.type, out.max_value);
      case 6: return read_field(decoder, field.type, out.min_value);
      case 7: return read_field(decoder, field.type, out.is_max_value_exact);
      case 8: return read_field(decoder, field.type, out.is_min_value_exact);
      default: return false;
    }
  });
}

// TimeUnit union: MILLIS (1), MICROS (2), NANOS (3), each an empty struct.
TimeUnitKind read_time_unit(CompactDecoder& decoder) {
  std::optional<TimeUnitKind> unit;
  read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    if (field.type != CompactType::kStruct || field.id < 1 || field.id > 3) return false;
    decoder.skip(CompactType::kStruct);
    unit = static_cast<TimeUnitKind>(field.id);
    return true;
  });
  if (!unit) decoder.fail("TimeUnit union has no known member");
  return *unit;
}

// The parameter struct of a TIME or TIMESTAMP logical type.
void read_time_parameters(CompactDecoder& decoder, LogicalType& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.is_adjusted_to_utc);
      case 2:
        if (field.type != CompactType::kStruct) return false;
        out.unit = read_time_unit(decoder);
        return true;
      default: return false;
    }
  });
  require_fields(decoder, seen, "TimestampType", {{1, "isAdjustedToUTC"}, {2, "unit"}});
}

std::optional<LogicalType> read_logical_type(CompactDecoder& decoder) {
  std::optional<LogicalType> result;
  read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    if (field.type != CompactType::kStruct) return false;
    LogicalType logical;
    switch (field.id) {
      case 5: {
        logical.kind = LogicalType::Kind::kDecimal;
        const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& inner) {
          switch (inner.id) {
            case 1: return read_field(decoder, inner.type, logical.decimal_scale);
            case 2: return read_field(decoder, inner.type, logical.decimal_precision);
            default: return false;
          }
        });
        require_fields(decoder, seen, "DecimalType", {{1, "scale"}, {2, "precision"}});
        break;
      }
      case 7:
      case 8:
        logical.kind = static_cast<LogicalType::Kind>(field.id);
        read_time_parameters(decoder, logical);
        break;
      case 10: {
        logical.kind = LogicalType::Kind::kInteger;
        const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& inner) {
          switch (inner.id) {
            case 1: return read_field(decoder, inner.type, logical.bit_width);
            case 2: return read_field(decoder, inner.type, logical.is_signed);
            default: return false;
          }
        });
        require_fields(decoder, seen, "IntType", {{1, "bitWidth"}, {2, "isSigned"}});
        break;
      }
      case 1: case 2: case 3: case 4: case 6: case 11: case 12: case 13: case 14: case 15: case 16: case 17:
      case 18:
        logical.kind = static_cast<LogicalType::Kind>(field.id);
        decoder.skip(CompactType::kStruct);
        break;
      default:
        return false;  // a member added after this reader was written: treat the annotation as absent
    }
    result = logical;
    return true;
  });
  return result;
}

void read_value(CompactDecoder& decoder, SchemaElement& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.type);
      case 2: return read_field(decoder, field.type, out.type_length);
      case 3: return read_field(decoder, field.type, out.repetition_type);
      case 4: return read_field(decoder, field.type, out.name);
      case 5: return read_field(decoder, field.type, out.num_children);
      case 6: return read_field(decoder, field.type, out.converted_type);
      case 7: return read_field(decoder, field.type, out.scale);
      case 8: return read_field(decoder, field.type, out.precision);
      case 9: return read_field(decoder, field.type, out.field_id);
      case 10:
        if (field.type != CompactType::kStruct) return false;
        out.logical_type = read_logical_type(decoder);
        return true;
      default: return false;
    }
  });
  require_fields(decoder, seen, "SchemaElement", {{4, "name"}});
}

void read_value(CompactDecoder& decoder, KeyValue& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.key);
      case 2: return read_field(decoder, field.type, out.value);
      default: return false;
    }
  });
  require_fields(decoder, seen, "KeyValue", {{1, "key"}});
}

void read_value(CompactDecoder& decoder, SortingColumn& out) {
  read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.column_idx);
      case 2: return read_field(decoder, field.type, out.descending);
      case 3: return read_field(decoder, field.type, out.nulls_first);
      default: return false;
    }
  });
}

void read_value(CompactDecoder& decoder, PageEncodingStats& out) {
  read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.page_type);
      case 2: return read_field(decoder, field.type, out.encoding);
      case 3: return read_field(decoder, field.type, out.count);
      default: return false;
    }
  });
}

void read_value(CompactDecoder& decoder, ColumnMetaData& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.type);
      case 2: return read_field(decoder, field.type, out.encodings);
      case 3: return read_field(decoder, field.type, out.path_in_schema);
      case 4: return read_field(decoder, field.type, out.codec);
      case 5: return read_field(decoder, field.type, out.num_values);
      case 6: return read_field(decoder, field.type, out.total_uncompressed_size);
      case 7: return read_field(decoder, field.type, out.total_compressed_size);
      case 8: return read_field(decoder, field.type, out.key_value_metadata);
      case 9: return read_field(decoder, field.type, out.data_page_offset);
      case 10: return read_field(decoder, field.type, out.index_page_offset);
      case 11: return read_field(decoder, field.type, out.dictionary_page_offset);
      case 12: return read_field(decoder, field.type, out.statistics);
      case 13: return read_field(decoder, field.type, out.encoding_stats);
      case 14: return read_field(decoder, field.type, out.bloom_filter_offset);
      case 15: return read_field(decoder, field.type, out.bloom_filter_length);
      default: return false;
    }
  });
  require_fields(decoder, seen, "ColumnMetaData",
                 {{1, "type"}, {3, "path_in_schema"}, {4, "codec"}, {5, "num_values"}, {9, "data_page_offset"}});
}

void read_value(CompactDecoder& decoder, ColumnChunk& out) {
  read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.file_path);
      case 2: return read_field(decoder, field.type, out.file_offset);
      case 3: return read_field(decoder, field.type, out.meta_data);
      case 4: return read_field(decoder, field.type, out.offset_index_offset);
      case 5: return read_field(decoder, field.type, out.offset_index_length);
      case 6: return read_field(decoder, field.type, out.column_index_offset);
      case 7: return read_field(decoder, field.type, out.column_index_length);
      case 8:
        decoder.skip(field.type);
        out.has_crypto_metadata = true;
        return true;
      case 9:
        decoder.skip(field.type);
        out.has_encrypted_column_metadata = true;
        return true;
      default: return false;
    }
  });
}

void read_value(CompactDecoder& decoder, RowGroup& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.columns);
      case 2: return read_field(decoder, field.type, out.total_byte_size);
      case 3: return read_field(decoder, field.type, out.num_rows);
      case 4: return read_field(decoder, field.type, out.sorting_columns);
      case 5: return read_field(decoder, field.type, out.file_offset);
      case 6: return read_field(decoder, field.type, out.total_compressed_size);
      case 7: return read_field(decoder, field.type, out.ordinal);
      default: return false;
    }
  });
  require_fields(decoder, seen, "RowGroup", {{1, "columns"}, {3, "num_rows"}});
}

void read_value(CompactDecoder& decoder, ColumnOrder& out) {
  out.kind = ColumnOrder::Kind::kUnknown;
  read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    if (field.id != 1 || field.type != CompactType::kStruct) return false;
    decoder.skip(CompactType::kStruct);
    out.kind = ColumnOrder::Kind::kTypeDefinedOrder;
    return true;
  });
}

void read_value(CompactDecoder& decoder, DataPageHeader& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.num_values);
      case 2: return read_field(decoder, field.type, out.encoding);
      case 3: return read_field(decoder, field.type, out.definition_level_encoding);
      case 4: return read_field(decoder, field.type, out.repetition_level_encoding);
      case 5: return read_field(decoder, field.type, out.statistics);
      default: return false;
    }
  });
  require_fields(decoder, seen, "DataPageHeader", {{1, "num_values"}, {2, "encoding"}});
}

void read_value(CompactDecoder& decoder, DictionaryPageHeader& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.num_values);
      case 2: return read_field(decoder, field.type, out.encoding);
      case 3: return read_field(decoder, field.type, out.is_sorted);
      default: return false;
    }
  });
  require_fields(decoder, seen, "DictionaryPageHeader", {{1, "num_values"}});
}

void read_value(CompactDecoder& decoder, DataPageHeaderV2& out) {
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.num_values);
      case 2: return read_field(decoder, field.type, out.num_nulls);
      case 3: return read_field(decoder, field.type, out.num_rows);
      case 4: return read_field(decoder, field.type, out.encoding);
      case 5: return read_field(decoder, field.type, out.definition_levels_byte_length);
      case 6: return read_field(decoder, field.type, out.repetition_levels_byte_length);
      case 7: return read_field(decoder, field.type, out.is_compressed);
      case 8: return read_field(decoder, field.type, out.statistics);
      default: return false;
    }
  });
  require_fields(decoder, seen, "DataPageHeaderV2",
                 {{1, "num_values"}, {2, "num_nulls"}, {3, "num_rows"}, {4, "encoding"},
                  {5, "definition_levels_byte_length"}, {6, "repetition_levels_byte_length"}});
}

}  // namespace

FileMetaData parse_file_metadata(std::string_view bytes, std::string_view description, std::int64_t base_offset) {
  CompactDecoder decoder(bytes, description, base_offset);
  FileMetaData out;
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.version);
      case 2: return read_field(decoder, field.type, out.schema);
      case 3: return read_field(decoder, field.type, out.num_rows);
      case 4: return read_field(decoder, field.type, out.row_groups);
      case 5: return read_field(decoder, field.type, out.key_value_metadata);
      case 6: return read_field(decoder, field.type, out.created_by);
      case 7: return read_field(decoder, field.type, out.column_orders);
      case 8:
        decoder.skip(field.type);
        out.has_encryption_algorithm = true;
        return true;
      default: return false;
    }
  });
  require_fields(decoder, seen, "FileMetaData", {{2, "schema"}, {3, "num_rows"}, {4, "row_groups"}});
  return out;
}

PageHeader parse_page_header(std::string_view bytes, std::size_t* consumed, std::string_view description,
                             std::int64_t base_offset) {
  CompactDecoder decoder(bytes, description, base_offset);
  PageHeader out;
  const auto seen = read_struct(decoder, [&](const CompactDecoder::FieldHeader& field) {
    switch (field.id) {
      case 1: return read_field(decoder, field.type, out.type);
      case 2: return read_field(decoder, field.type, out.uncompressed_page_size);
      case 3: return read_field(decoder, field.type, out.compressed_page_size);
      case 4: return read_field(decoder, field.type, out.crc);
      case 5: return read_field(decoder, field.type, out.data_page_header);
      case 7: return read_field(decoder, field.type, out.dictionary_page_header);
      case 8: return read_field(decoder, field.type, out.data_page_header_v2);
      default: return false;
    }
  });
  require_fields(decoder, seen, "PageHeader",
                 {{1, "type"}, {2, "uncompressed_page_size"}, {3, "compressed_page_size"}});
  if (out.uncompressed_page_size < 0 || out.compressed_page_size < 0) {
    decoder.fail(fmt::format("negative page size (compressed {}, uncompressed {})", out.compressed_page_size,
                             out.uncompressed_page_size));
  }
  if (consumed != nullptr) *consumed = decoder.position();
  return out;
}

}  // namespace driftgov::parquet::thrift
