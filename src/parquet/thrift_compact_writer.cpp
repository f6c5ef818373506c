#include "driftgov/parquet/thrift_compact_writer.hpp"

#include "driftgov/core/error.hpp"

namespace driftgov::parquet::thrift {

void CompactEncoder::field_header(std::int16_t id, CompactType type) {
  DRIFTGOV_CHECK(id > last_field_id_, "Thrift field {} written after field {}", id, last_field_id_);
  append_field_header(out_, id, last_field_id_, type);
  last_field_id_ = id;
}

void CompactEncoder::field_bool(std::int16_t id, bool value) {
  field_header(id, value ? CompactType::kBooleanTrue : CompactType::kBooleanFalse);
}

void CompactEncoder::field_byte(std::int16_t id, std::int8_t value) {
  field_header(id, CompactType::kByte);
  out_.push_back(static_cast<char>(value));
}

void CompactEncoder::field_i16(std::int16_t id, std::int16_t value) {
  field_header(id, CompactType::kI16);
  append_varint(out_, zigzag_encode(value));
}

void CompactEncoder::field_i32(std::int16_t id, std::int32_t value) {
  field_header(id, CompactType::kI32);
  append_varint(out_, zigzag_encode(value));
}

void CompactEncoder::field_i64(std::int16_t id, std::int64_t value) {
  field_header(id, CompactType::kI64);
  append_varint(out_, zigzag_encode(value));
}

void CompactEncoder::field_binary(std::int16_t id, std::string_view value) {
  field_header(id, CompactType::kBinary);
  element_binary(value);
}

void CompactEncoder::field_struct(std::int16_t id) {
  field_header(id, CompactType::kStruct);
  begin_struct();
}

void CompactEncoder::field_list(std::int16_t id, CompactType element_type, std::size_t size) {
  field_header(id, CompactType::kList);
  append_list_header(out_, element_type, size);
}

void CompactEncoder::begin_struct() {
  enclosing_field_ids_.push_back(last_field_id_);
  last_field_id_ = 0;
}

void CompactEncoder::end_struct() {
  DRIFTGOV_CHECK(!enclosing_field_ids_.empty(), "end_struct without begin_struct{}", "");
  out_.push_back(static_cast<char>(CompactType::kStop));
  last_field_id_ = enclosing_field_ids_.back();
  enclosing_field_ids_.pop_back();
}

void CompactEncoder::element_i32(std::int32_t value) { append_varint(out_, zigzag_encode(value)); }

void CompactEncoder::element_binary(std::string_view value) {
  append_varint(out_, value.size());
  out_.append(value);
}

namespace {

template <typename Enum>
std::int32_t number(Enum value) {
  return static_cast<std::int32_t>(value);
}

// An empty struct as a union member (StringType, DateType, TypeDefinedOrder, ...).
void empty_struct_field(CompactEncoder& encoder, std::int16_t id) {
  encoder.field_struct(id);
  encoder.end_struct();
}

void write_logical_type(CompactEncoder& encoder, const LogicalType& logical) {
  using Kind = LogicalType::Kind;
  const auto id = static_cast<std::int16_t>(logical.kind);
  switch (logical.kind) {
    case Kind::kDecimal:
      encoder.field_struct(id);
      encoder.field_i32(1, logical.decimal_scale);
      encoder.field_i32(2, logical.decimal_precision);
      encoder.end_struct();
      return;
    case Kind::kTime:
    case Kind::kTimestamp:
      encoder.field_struct(id);
      encoder.field_bool(1, logical.is_adjusted_to_utc);
      encoder.field_struct(2);  // TimeUnit union
      empty_struct_field(encoder, static_cast<std::int16_t>(logical.unit));
      encoder.end_struct();
      encoder.end_struct();
      return;
    case Kind::kInteger:
      encoder.field_struct(id);
      encoder.field_byte(1, logical.bit_width);
      encoder.field_bool(2, logical.is_signed);
      encoder.end_struct();
      return;
    default:
      // Every other member is an empty struct, or has only optional parameters the writer leaves out.
      empty_struct_field(encoder, id);
      return;
  }
}

void write_schema_element(CompactEncoder& encoder, const SchemaElement& element) {
  encoder.begin_struct();
  if (element.type) encoder.field_i32(1, number(*element.type));
  if (element.type_length) encoder.field_i32(2, *element.type_length);
  if (element.repetition_type) encoder.field_i32(3, number(*element.repetition_type));
  encoder.field_binary(4, element.name);
  if (element.num_children) encoder.field_i32(5, *element.num_children);
  if (element.converted_type) encoder.field_i32(6, number(*element.converted_type));
  if (element.scale) encoder.field_i32(7, *element.scale);
  if (element.precision) encoder.field_i32(8, *element.precision);
  if (element.field_id) encoder.field_i32(9, *element.field_id);
  if (element.logical_type) {
    encoder.field_struct(10);
    write_logical_type(encoder, *element.logical_type);
    encoder.end_struct();
  }
  encoder.end_struct();
}

void write_statistics(CompactEncoder& encoder, std::int16_t id, const Statistics& statistics) {
  encoder.field_struct(id);
  if (statistics.max) encoder.field_binary(1, *statistics.max);
  if (statistics.min) encoder.field_binary(2, *statistics.min);
  if (statistics.null_count) encoder.field_i64(3, *statistics.null_count);
  if (statistics.distinct_count) encoder.field_i64(4, *statistics.distinct_count);
  if (statistics.max_value) encoder.field_binary(5, *statistics.max_value);
  if (statistics.min_value) encoder.field_binary(6, *statistics.min_value);
  if (statistics.is_max_value_exact) encoder.field_bool(7, *statistics.is_max_value_exact);
  if (statistics.is_min_value_exact) encoder.field_bool(8, *statistics.is_min_value_exact);
  encoder.end_struct();
}

void write_key_values(CompactEncoder& encoder, std::int16_t id, const std::vector<KeyValue>& pairs) {
  if (pairs.empty()) return;
  encoder.field_list(id, CompactType::kStruct, pairs.size());
  for (const auto& pair : pairs) {
    encoder.begin_struct();
    encoder.field_binary(1, pair.key);
    if (pair.value) encoder.field_binary(2, *pair.value);
    encoder.end_struct();
  }
}

void write_column_metadata(CompactEncoder& encoder, const ColumnMetaData& metadata) {
  encoder.field_struct(3);
  encoder.field_i32(1, number(metadata.type));
  encoder.field_list(2, CompactType::kI32, metadata.encodings.size());
  for (const auto encoding : metadata.encodings) encoder.element_i32(number(encoding));
  encoder.field_list(3, CompactType::kBinary, metadata.path_in_schema.size());
  for (const auto& name : metadata.path_in_schema) encoder.element_binary(name);
  encoder.field_i32(4, number(metadata.codec));
  encoder.field_i64(5, metadata.num_values);
  encoder.field_i64(6, metadata.total_uncompressed_size);
  encoder.field_i64(7, metadata.total_compressed_size);
  write_key_values(encoder, 8, metadata.key_value_metadata);
  encoder.field_i64(9, metadata.data_page_offset);
  if (metadata.index_page_offset) encoder.field_i64(10, *metadata.index_page_offset);
  if (metadata.dictionary_page_offset) encoder.field_i64(11, *metadata.dictionary_page_offset);
  if (metadata.statistics) write_statistics(encoder, 12, *metadata.statistics);
  if (!metadata.encoding_stats.empty()) {
    encoder.field_list(13, CompactType::kStruct, metadata.encoding_stats.size());
    for (const auto& stats : metadata.encoding_stats) {
      encoder.begin_struct();
      encoder.field_i32(1, number(stats.page_type));
      encoder.field_i32(2, number(stats.encoding));
      encoder.field_i32(3, stats.count);
      encoder.end_struct();
    }
  }
  if (metadata.bloom_filter_offset) encoder.field_i64(14, *metadata.bloom_filter_offset);
  if (metadata.bloom_filter_length) encoder.field_i32(15, *metadata.bloom_filter_length);
  encoder.end_struct();
}

void write_column_chunk(CompactEncoder& encoder, const ColumnChunk& chunk) {
  DRIFTGOV_CHECK(!chunk.has_crypto_metadata && !chunk.has_encrypted_column_metadata,
                 "encrypted column chunks cannot be written{}", "");
  encoder.begin_struct();
  if (chunk.file_path) encoder.field_binary(1, *chunk.file_path);
  encoder.field_i64(2, chunk.file_offset);
  if (chunk.meta_data) write_column_metadata(encoder, *chunk.meta_data);
  if (chunk.offset_index_offset) encoder.field_i64(4, *chunk.offset_index_offset);
  if (chunk.offset_index_length) encoder.field_i32(5, *chunk.offset_index_length);
  if (chunk.column_index_offset) encoder.field_i64(6, *chunk.column_index_offset);
  if (chunk.column_index_length) encoder.field_i32(7, *chunk.column_index_length);
  encoder.end_struct();
}

void write_row_group(CompactEncoder& encoder, const RowGroup& row_group) {
  encoder.begin_struct();
  encoder.field_list(1, CompactType::kStruct, row_group.columns.size());
  for (const auto& chunk : row_group.columns) write_column_chunk(encoder, chunk);
  encoder.field_i64(2, row_group.total_byte_size);
  encoder.field_i64(3, row_group.num_rows);
  if (!row_group.sorting_columns.empty()) {
    encoder.field_list(4, CompactType::kStruct, row_group.sorting_columns.size());
    for (const auto& sorting : row_group.sorting_columns) {
      encoder.begin_struct();
      encoder.field_i32(1, sorting.column_idx);
      encoder.field_bool(2, sorting.descending);
      encoder.field_bool(3, sorting.nulls_first);
      encoder.end_struct();
    }
  }
  if (row_group.file_offset) encoder.field_i64(5, *row_group.file_offset);
  if (row_group.total_compressed_size) encoder.field_i64(6, *row_group.total_compressed_size);
  if (row_group.ordinal) encoder.field_i16(7, *row_group.ordinal);
  encoder.end_struct();
}

}  // namespace

void serialize(const FileMetaData& metadata, std::string& out) {
  DRIFTGOV_CHECK(!metadata.has_encryption_algorithm, "encrypted footers cannot be written{}", "");
  CompactEncoder encoder(out);
  encoder.begin_struct();
  encoder.field_i32(1, metadata.version);
  encoder.field_list(2, CompactType::kStruct, metadata.schema.size());
  for (const auto& element : metadata.schema) write_schema_element(encoder, element);
  encoder.field_i64(3, metadata.num_rows);
  encoder.field_list(4, CompactType::kStruct, metadata.row_groups.size());
  for (const auto& row_group : metadata.row_groups) write_row_group(encoder, row_group);
  write_key_values(encoder, 5, metadata.key_value_metadata);
  if (metadata.created_by) encoder.field_binary(6, *metadata.created_by);
  if (!metadata.column_orders.empty()) {
    encoder.field_list(7, CompactType::kStruct, metadata.column_orders.size());
    for (const auto& order : metadata.column_orders) {
      DRIFTGOV_CHECK(order.kind == ColumnOrder::Kind::kTypeDefinedOrder, "column order {}",
                     number(order.kind));
      encoder.begin_struct();
      empty_struct_field(encoder, 1);
      encoder.end_struct();
    }
  }
  encoder.end_struct();
}

void serialize(const PageHeader& header, std::string& out) {
  CompactEncoder encoder(out);
  encoder.begin_struct();
  encoder.field_i32(1, number(header.type));
  encoder.field_i32(2, header.uncompressed_page_size);
  encoder.field_i32(3, header.compressed_page_size);
  if (header.crc) encoder.field_i32(4, *header.crc);
  if (const auto& data = header.data_page_header) {
    encoder.field_struct(5);
    encoder.field_i32(1, data->num_values);
    encoder.field_i32(2, number(data->encoding));
    encoder.field_i32(3, number(data->definition_level_encoding));
    encoder.field_i32(4, number(data->repetition_level_encoding));
    if (data->statistics) write_statistics(encoder, 5, *data->statistics);
    encoder.end_struct();
  }
  if (const auto& dictionary = header.dictionary_page_header) {
    encoder.field_struct(7);
    encoder.field_i32(1, dictionary->num_values);
    encoder.field_i32(2, number(dictionary->encoding));
    if (dictionary->is_sorted) encoder.field_bool(3, *dictionary->is_sorted);
    encoder.end_struct();
  }
  if (const auto& data = header.data_page_header_v2) {
    encoder.field_struct(8);
    encoder.field_i32(1, data->num_values);
    encoder.field_i32(2, data->num_nulls);
    encoder.field_i32(3, data->num_rows);
    encoder.field_i32(4, number(data->encoding));
    encoder.field_i32(5, data->definition_levels_byte_length);
    encoder.field_i32(6, data->repetition_levels_byte_length);
    encoder.field_bool(7, data->is_compressed);
    if (data->statistics) write_statistics(encoder, 8, *data->statistics);
    encoder.end_struct();
  }
  encoder.end_struct();
}

}  // namespace driftgov::parquet::thrift
