#include "driftgov/parquet/writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <span>

#include "driftgov/core/error.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/parquet/encoding.hpp"
#include "driftgov/parquet/metadata.hpp"
#include "driftgov/parquet/thrift_compact_writer.hpp"
#include "parquet/column_shredder.hpp"

namespace driftgov::parquet {
namespace {

using core::TypeId;

constexpr std::string_view kMagic = "PAR1";
// Rows shredded at a time, so the row-group limits are checked often enough on wide batches.
constexpr std::int64_t kSliceRows = 16384;

CompressionCodec codec_of(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return CompressionCodec::kUncompressed;
    case Compression::kSnappy:
      return CompressionCodec::kSnappy;
    case Compression::kGzip:
      return CompressionCodec::kGzip;
    case Compression::kZstd:
      return CompressionCodec::kZstd;
  }
  return CompressionCodec::kUncompressed;
}

Type physical_type(ValueStorage storage) {
  switch (storage) {
    case ValueStorage::kNone:
      return Type::kInt32;  // the null type, annotated UNKNOWN
    case ValueStorage::kBoolean:
      return Type::kBoolean;
    case ValueStorage::kInt32:
      return Type::kInt32;
    case ValueStorage::kInt64:
      return Type::kInt64;
    case ValueStorage::kFloat:
      return Type::kFloat;
    case ValueStorage::kDouble:
      return Type::kDouble;
    case ValueStorage::kBytes:
      return Type::kByteArray;
    case ValueStorage::kFixedBytes:
      return Type::kFixedLenByteArray;
  }
  return Type::kInt32;
}

LogicalType logical(LogicalType::Kind kind) {
  LogicalType type;
  type.kind = kind;
  return type;
}

// ---- schema ----

void annotate_leaf(const LeafColumn& leaf, SchemaElement& element) {
  const auto& type = leaf.type;
  element.type = physical_type(leaf.storage);
  switch (type.id) {
    case TypeId::kNull:
      element.logical_type = logical(LogicalType::Kind::kUnknown);
      break;
    case TypeId::kInt8:
    case TypeId::kInt16: {
      auto integer = logical(LogicalType::Kind::kInteger);
      integer.bit_width = type.id == TypeId::kInt8 ? 8 : 16;
      integer.is_signed = true;
      element.logical_type = integer;
      element.converted_type = type.id == TypeId::kInt8 ? ConvertedType::kInt8 : ConvertedType::kInt16;
      break;
    }
    case TypeId::kDate:
      element.logical_type = logical(LogicalType::Kind::kDate);
      element.converted_type = ConvertedType::kDate;
      break;
    case TypeId::kTimestamp: {
      auto timestamp = logical(LogicalType::Kind::kTimestamp);
      timestamp.is_adjusted_to_utc = type.utc;
      timestamp.unit = TimeUnitKind::kMicros;
      element.logical_type = timestamp;
      // The legacy annotation means "adjusted to UTC", so local timestamps carry only the logical type.
      if (type.utc) element.converted_type = ConvertedType::kTimestampMicros;
      break;
    }
    case TypeId::kDecimal: {
      auto decimal = logical(LogicalType::Kind::kDecimal);
      decimal.decimal_precision = type.precision;
      decimal.decimal_scale = type.scale;
      element.logical_type = decimal;
      element.converted_type = ConvertedType::kDecimal;
      element.precision = type.precision;
      element.scale = type.scale;
      if (leaf.storage == ValueStorage::kFixedBytes) element.type_length = leaf.fixed_length;
      break;
    }
    case TypeId::kString:
      element.logical_type = logical(LogicalType::Kind::kString);
      element.converted_type = ConvertedType::kUtf8;
      break;
    default:
      break;
  }
}

SchemaElement group_element(std::string name, FieldRepetitionType repetition, std::size_t children) {
  SchemaElement element;
  element.name = std::move(name);
  element.repetition_type = repetition;
  element.num_children = static_cast<std::int32_t>(children);
  return element;
}

// Depth-first, as the footer lists the schema. Lists and maps get the 3-level layout of the format's
// LogicalTypes.md: <name> (LIST) { repeated list { element } } and <name> (MAP) { repeated key_value { key;
// value } }.
void append_schema(const ShredNode& node, const std::vector<LeafColumn>& leaves,
                   std::vector<SchemaElement>& out) {
  const auto repetition = node.optional ? FieldRepetitionType::kOptional : FieldRepetitionType::kRequired;
  switch (node.kind) {
    case ShredNode::Kind::kLeaf: {
      SchemaElement element;
      element.name = node.name;
      element.repetition_type = repetition;
      element.field_id = node.field_id;
      annotate_leaf(leaves[node.leaf], element);
      out.push_back(std::move(element));
      return;
    }
    case ShredNode::Kind::kStruct: {
      auto element = group_element(node.name, repetition, node.children.size());
      element.field_id = node.field_id;
      out.push_back(std::move(element));
      break;
    }
    case ShredNode::Kind::kList:
    case ShredNode::Kind::kMap: {
      const bool is_list = node.kind == ShredNode::Kind::kList;
      auto element = group_element(node.name, repetition, 1);
      element.field_id = node.field_id;
      element.converted_type = is_list ? ConvertedType::kList : ConvertedType::kMap;
      element.logical_type = logical(is_list ? LogicalType::Kind::kList : LogicalType::Kind::kMap);
      out.push_back(std::move(element));
      out.push_back(group_element(is_list ? "list" : "key_value", FieldRepetitionType::kRepeated,
                                  node.children.size()));
      break;
    }
  }
  for (const auto& child : node.children) append_schema(child, leaves, out);
}

// ---- statistics ----

template <typename Value>
std::string plain_bytes_of(Value value) {
  std::string out(sizeof(Value), '\0');
  std::memcpy(out.data(), &value, sizeof(Value));
  return out;
}

template <typename Value>
void integer_statistics(std::span<const Value> values, Statistics& statistics) {
  if (values.empty()) return;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  statistics.min_value = plain_bytes_of(*low);
  statistics.max_value = plain_bytes_of(*high);
}

// NaN is unordered, so it takes no part in min/max; a zero bound is written as -0.0 for min and +0.0 for max
// because readers cannot tell which zero the data held (the format's rule for floating-point statistics).
template <typename Value>
void floating_statistics(std::span<const Value> values, Statistics& statistics) {
  bool found = false;
  Value low = 0, high = 0;
  for (const Value value : values) {
    if (std::isnan(value)) continue;
    if (!found) {
      low = high = value;
      found = true;
    } else {
      low = std::min(low, value);
      high = std::max(high, value);
    }
  }
  if (!found) return;
  if (low == 0) low = -Value{0};
  if (high == 0) high = Value{0};
  statistics.min_value = plain_bytes_of(low);
  statistics.max_value = plain_bytes_of(high);
}

// Big-endian two's complement compares as signed when the sign bit is flipped.
bool fixed_signed_less(std::string_view a, std::string_view b) {
  const auto first_a = static_cast<std::uint8_t>(a[0]) ^ 0x80;
  const auto first_b = static_cast<std::uint8_t>(b[0]) ^ 0x80;
  if (first_a != first_b) return first_a < first_b;
  return a.substr(1) < b.substr(1);
}

// `distinct_strings`, when not empty, holds every distinct value of a byte-array chunk (its dictionary): the
// bounds are found among those rather than among all values.
Statistics chunk_statistics(const LeafColumn& leaf, const LeafBuffer& buffer, const WriterOptions& options,
                            std::span<const std::string_view> distinct_strings) {
  Statistics statistics;
  statistics.null_count = buffer.null_count;
  switch (leaf.storage) {
    case ValueStorage::kNone:
      break;
    case ValueStorage::kBoolean:
      if (!buffer.booleans.empty()) {
        const bool any_true =
            std::find(buffer.booleans.begin(), buffer.booleans.end(), 1) != buffer.booleans.end();
        const bool any_false =
            std::find(buffer.booleans.begin(), buffer.booleans.end(), 0) != buffer.booleans.end();
        statistics.min_value = std::string(1, any_false ? '\0' : '\1');
        statistics.max_value = std::string(1, any_true ? '\1' : '\0');
      }
      break;
    case ValueStorage::kInt32:
      integer_statistics<std::int32_t>(buffer.int32s, statistics);
      break;
    case ValueStorage::kInt64:
      integer_statistics<std::int64_t>(buffer.int64s, statistics);
      break;
    case ValueStorage::kFloat:
      floating_statistics<float>(buffer.floats, statistics);
      break;
    case ValueStorage::kDouble:
      floating_statistics<double>(buffer.doubles, statistics);
      break;
    case ValueStorage::kBytes: {
      // Unsigned byte-wise order: std::string_view compares chars as unsigned char.
      const bool from_dictionary = !distinct_strings.empty();
      const auto count = from_dictionary ? distinct_strings.size() : buffer.offsets.size() - 1;
      if (count == 0) break;
      std::string_view low, high;
      for (std::size_t i = 0; i < count; ++i) {
        const auto value = from_dictionary ? distinct_strings[i]
                                           : std::string_view(buffer.bytes.data() + buffer.offsets[i],
                                                              buffer.offsets[i + 1] - buffer.offsets[i]);
        if (i == 0 || value < low) low = value;
        if (i == 0 || value > high) high = value;
      }
      const auto limit = static_cast<std::size_t>(options.max_statistics_bytes);
      if (low.size() <= limit && high.size() <= limit) {
        statistics.min_value = std::string(low);
        statistics.max_value = std::string(high);
      }
      break;
    }
    case ValueStorage::kFixedBytes: {
      const auto width = static_cast<std::size_t>(leaf.fixed_length);
      const auto count = buffer.bytes.size() / width;
      if (count == 0) break;
      const std::string_view all(buffer.bytes);
      std::string_view low = all.substr(0, width), high = low;
      for (std::size_t i = 1; i < count; ++i) {
        const auto value = all.substr(i * width, width);
        if (fixed_signed_less(value, low)) low = value;
        if (fixed_signed_less(high, value)) high = value;
      }
      statistics.min_value = std::string(low);
      statistics.max_value = std::string(high);
      break;
    }
  }
  // The deprecated fields were defined with signed comparison, which is the type order for these physical
  // types; older readers only look there.
  const auto physical = physical_type(leaf.storage);
  if (statistics.min_value && physical != Type::kByteArray && physical != Type::kFixedLenByteArray) {
    statistics.min = statistics.min_value;
    statistics.max = statistics.max_value;
  }
  return statistics;
}

// ---- values ----

// The non-null values of a leaf in a form the encoders take, whatever the storage.
struct LeafValues {
  ValueStorage storage;
  const LeafBuffer& buffer;
  int fixed_length;

  std::string_view bytes_at(std::size_t index) const {
    if (storage == ValueStorage::kFixedBytes) {
      return std::string_view(buffer.bytes)
          .substr(index * static_cast<std::size_t>(fixed_length), static_cast<std::size_t>(fixed_length));
    }
    return std::string_view(buffer.bytes.data() + buffer.offsets[index],
                            buffer.offsets[index + 1] - buffer.offsets[index]);
  }

  // PLAIN bytes of values [begin, end).
  void encode_plain(std::size_t begin, std::size_t end, ByteBuffer& out) const {
    const auto count = end - begin;
    switch (storage) {
      case ValueStorage::kNone:
        return;
      case ValueStorage::kBoolean:
        encode_plain_booleans(std::span(buffer.booleans).subspan(begin, count), out);
        return;
      case ValueStorage::kInt32:
        encode_plain_int32(std::span(buffer.int32s).subspan(begin, count), out);
        return;
      case ValueStorage::kInt64:
        encode_plain_int64(std::span(buffer.int64s).subspan(begin, count), out);
        return;
      case ValueStorage::kFloat:
        encode_plain_float(std::span(buffer.floats).subspan(begin, count), out);
        return;
      case ValueStorage::kDouble:
        encode_plain_double(std::span(buffer.doubles).subspan(begin, count), out);
        return;
      case ValueStorage::kBytes: {
        out.reserve(out.size() + (buffer.offsets[end] - buffer.offsets[begin]) + 4 * count);
        for (auto i = begin; i < end; ++i) encode_plain_byte_array(bytes_at(i), out);
        return;
      }
      case ValueStorage::kFixedBytes:
        encode_plain_fixed(std::string_view(buffer.bytes)
                               .substr(begin * static_cast<std::size_t>(fixed_length),
                                       count * static_cast<std::size_t>(fixed_length)),
                           out);
        return;
    }
  }

  // PLAIN size of value `index`, used to size pages.
  std::size_t plain_size(std::size_t index) const {
    switch (storage) {
      case ValueStorage::kNone:
        return 0;
      case ValueStorage::kBoolean:
        return 1;  // an eighth really; rounding up keeps boolean pages modest
      case ValueStorage::kInt32:
      case ValueStorage::kFloat:
        return 4;
      case ValueStorage::kInt64:
      case ValueStorage::kDouble:
        return 8;
      case ValueStorage::kBytes:
        return 4 + (buffer.offsets[index + 1] - buffer.offsets[index]);
      case ValueStorage::kFixedBytes:
        return static_cast<std::size_t>(fixed_length);
    }
    return 0;
  }
};

// Dictionary-encodes the values when the dictionary stays under the limit and pays for itself: its page plus
// the indices must be smaller than the PLAIN values (the test parquet-mr applies too).
struct DictionaryEncoding {
  std::vector<std::uint32_t> indices;
  std::size_t size = 0;
  ByteBuffer page;                                 // PLAIN-encoded dictionary values
  std::vector<std::string_view> distinct_strings;  // byte-array dictionaries: the values themselves
};

// `fixed_length` is the width of FIXED_LEN_BYTE_ARRAY values (whose dictionary page holds them without length
// prefixes), 0 for every other kind.
template <typename Value>
std::optional<DictionaryEncoding> build_dictionary(std::size_t count, std::size_t plain_total,
                                                   std::int64_t limit, const auto& value_at,
                                                   std::size_t fixed_length = 0) {
  DictionaryBuilder<Value> builder(static_cast<std::size_t>(limit));
  DictionaryEncoding encoding;
  encoding.indices.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (!builder.insert(value_at(i), encoding.indices[i])) return std::nullopt;
  }
  encoding.size = builder.size();
  const auto width =
      static_cast<std::size_t>(std::max(1, bit_width_for(encoding.size > 0 ? encoding.size - 1 : 0)));
  const std::size_t page_bytes = fixed_length != 0 ? encoding.size * fixed_length : builder.plain_bytes();
  if (page_bytes + count * width / 8 >= plain_total) return std::nullopt;
  if constexpr (std::is_same_v<Value, std::string_view>) {
    if (fixed_length != 0) {
      encode_fixed_dictionary_page(builder, encoding.page);
    } else {
      encode_dictionary_page(builder, encoding.page);
    }
    encoding.distinct_strings = builder.values();
  } else {
    encode_dictionary_page(builder, encoding.page);
  }
  return encoding;
}

bool dictionary_applies(const LeafColumn& leaf, DictionaryPolicy policy) {
  switch (policy) {
    case DictionaryPolicy::kNone:
      return false;
    case DictionaryPolicy::kStrings:
      return leaf.storage == ValueStorage::kBytes;
    case DictionaryPolicy::kAll:
      return leaf.storage != ValueStorage::kBoolean && leaf.storage != ValueStorage::kNone;
  }
  return false;
}

std::optional<DictionaryEncoding> try_dictionary(const LeafColumn& leaf, const LeafValues& values,
                                                 std::size_t count, std::size_t plain_total,
                                                 const WriterOptions& options) {
  if (!dictionary_applies(leaf, options.dictionary) || count == 0) return std::nullopt;
  const auto limit = options.dictionary_page_bytes;
  const auto& buffer = values.buffer;
  switch (leaf.storage) {
    case ValueStorage::kInt32:
      return build_dictionary<std::int32_t>(count, plain_total, limit,
                                            [&](std::size_t i) { return buffer.int32s[i]; });
    case ValueStorage::kInt64:
      return build_dictionary<std::int64_t>(count, plain_total, limit,
                                            [&](std::size_t i) { return buffer.int64s[i]; });
    case ValueStorage::kFloat:
      return build_dictionary<float>(count, plain_total, limit,
                                     [&](std::size_t i) { return buffer.floats[i]; });
    case ValueStorage::kDouble:
      return build_dictionary<double>(count, plain_total, limit,
                                      [&](std::size_t i) { return buffer.doubles[i]; });
    case ValueStorage::kBytes:
      return build_dictionary<std::string_view>(count, plain_total, limit,
                                                [&](std::size_t i) { return values.bytes_at(i); });
    case ValueStorage::kFixedBytes:
      // Decimals wider than 18 digits: few distinct amounts (prices, rates) repeat across many rows.
      return build_dictionary<std::string_view>(
          count, plain_total, limit, [&](std::size_t i) { return values.bytes_at(i); },
          static_cast<std::size_t>(leaf.fixed_length));
    default:
      return std::nullopt;
  }
}

std::int32_t page_size_field(std::size_t size, const LeafColumn& leaf) {
  if (size > static_cast<std::size_t>(INT32_MAX)) {
    throw core::UnsupportedError(fmt::format(
        "column '{}': a page of {} bytes exceeds Parquet's 2 GiB page limit", leaf.dotted_path, size));
  }
  return static_cast<std::int32_t>(size);
}

}  // namespace

// ---- the file ----

class FileWriter::Impl {
 public:
  Impl(std::string path, core::Schema schema, WriterOptions options)
      : path_(std::move(path)), schema_(std::move(schema)), options_(std::move(options)), shredder_(schema_) {
    const std::pair<const char*, std::int64_t> positive[] = {{"row_group_rows", options_.row_group_rows},
                                                             {"row_group_bytes", options_.row_group_bytes},
                                                             {"data_page_bytes", options_.data_page_bytes}};
    for (const auto& [name, value] : positive) DRIFTGOV_USER_CHECK_GE(value, 1, "Parquet writer: {}", name);
    DRIFTGOV_USER_CHECK_GE(options_.dictionary_page_bytes, 0, "Parquet writer: dictionary_page_bytes");
    DRIFTGOV_USER_CHECK_GE(options_.max_statistics_bytes, 0, "Parquet writer: max_statistics_bytes");
    buffers_.resize(shredder_.leaves().size());
    // An unpublished stream removes its temporary file when the writer is destroyed.
    output_ = (options_.storage ? *options_.storage : io::local_storage()).create(path_);
    write_bytes(kMagic);
  }

  void write(const core::RecordBatch& batch) {
    DRIFTGOV_CHECK(!closed_, "{}: write after close", path_);
    DRIFTGOV_CHECK(!failed_, "{}: write after an earlier write failed; the file is abandoned", path_);
    if (batch.schema != schema_) {
      throw core::InputError(fmt::format("{}: batch schema\n{}does not match the file's schema\n{}", path_,
                                         batch.schema.to_string(), schema_.to_string()));
    }
    try {
      if (buffered_rows_ == 0) reserve_buffers(batch, std::min(batch.num_rows, options_.row_group_rows));
      std::int64_t row = 0;
      while (row < batch.num_rows) {
        const auto take =
            std::min({batch.num_rows - row, options_.row_group_rows - buffered_rows_, kSliceRows});
        shredder_.shred(batch, row, row + take, buffers_, rows_written_ + buffered_rows_);
        buffered_rows_ += take;
        row += take;
        if (buffered_rows_ >= options_.row_group_rows || buffered_bytes() >= options_.row_group_bytes) {
          flush_row_group();
        }
      }
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  void close() {
    if (closed_) return;
    DRIFTGOV_CHECK(!failed_, "{}: close after an earlier write failed; the file is abandoned", path_);
    try {
      if (buffered_rows_ > 0) flush_row_group();
      write_footer();
      output_->publish();
      closed_ = true;
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  std::int64_t rows_written() const { return rows_written_ + buffered_rows_; }

 private:
  void write_bytes(std::string_view bytes) {
    output_->write(bytes);
    offset_ += static_cast<std::int64_t>(bytes.size());
  }

  // Sizes the buffers of flat columns for the rows a row group is about to receive (byte arrays as if the
  // batch's bytes were spread evenly over its rows).
  void reserve_buffers(const core::RecordBatch& batch, std::int64_t rows) {
    const auto count = static_cast<std::size_t>(rows);
    const auto& roots = shredder_.roots();
    for (std::size_t root = 0; root < roots.size(); ++root) {
      if (roots[root].kind != ShredNode::Kind::kLeaf || batch.num_rows == 0) continue;
      const auto leaf = roots[root].leaf;
      const auto& column = shredder_.leaves()[leaf];
      auto& buffer = buffers_[leaf];
      if (column.storage == ValueStorage::kBytes) {
        const auto batch_bytes = static_cast<double>(batch.columns[root].bytes.size());
        buffer.bytes.reserve(static_cast<std::size_t>(batch_bytes * static_cast<double>(rows) /
                                                      static_cast<double>(batch.num_rows)));
      }
      if (column.max_definition > 0) buffer.definition.reserve(count);
      switch (column.storage) {
        case ValueStorage::kInt32:
          buffer.int32s.reserve(count);
          break;
        case ValueStorage::kInt64:
          buffer.int64s.reserve(count);
          break;
        case ValueStorage::kFloat:
          buffer.floats.reserve(count);
          break;
        case ValueStorage::kDouble:
          buffer.doubles.reserve(count);
          break;
        case ValueStorage::kBytes:
          buffer.offsets.reserve(count + 1);
          break;
        default:
          break;
      }
    }
  }

  std::int64_t buffered_bytes() const {
    std::int64_t total = 0;
    for (const auto& buffer : buffers_) total += buffer.estimated_bytes();
    return total;
  }

  void flush_row_group() {
    RowGroup row_group;
    row_group.num_rows = buffered_rows_;
    row_group.file_offset = offset_;
    std::int64_t compressed_total = 0;
    for (std::size_t leaf = 0; leaf < buffers_.size(); ++leaf) {
      auto chunk = write_column_chunk(shredder_.leaves()[leaf], buffers_[leaf]);
      row_group.total_byte_size += chunk.meta_data->total_uncompressed_size;
      compressed_total += chunk.meta_data->total_compressed_size;
      row_group.columns.push_back(std::move(chunk));
      buffers_[leaf].clear();
    }
    row_group.total_compressed_size = compressed_total;
    if (metadata_.row_groups.size() <= static_cast<std::size_t>(INT16_MAX)) {
      row_group.ordinal = static_cast<std::int16_t>(metadata_.row_groups.size());
    }
    metadata_.row_groups.push_back(std::move(row_group));
    rows_written_ += buffered_rows_;
    buffered_rows_ = 0;
  }

  // Appends one page (header and compressed body) to the chunk bytes; returns the uncompressed size it adds.
  std::int64_t append_page(PageHeader header, std::string_view body, const LeafColumn& leaf,
                           std::string& chunk) {
    // Uncompressed pages are copied as they are, without a round through the codec.
    if (options_.compression != Compression::kNone) {
      compress(options_.compression, body, compressed_, options_.compression_level);
    }
    const std::string_view stored = options_.compression == Compression::kNone ? body : compressed_;
    header.uncompressed_page_size = page_size_field(body.size(), leaf);
    header.compressed_page_size = page_size_field(stored.size(), leaf);
    const auto header_start = chunk.size();
    thrift::serialize(header, chunk);
    const auto header_size = chunk.size() - header_start;
    chunk.append(stored);
    return static_cast<std::int64_t>(header_size + body.size());
  }

  ColumnChunk write_column_chunk(const LeafColumn& leaf, const LeafBuffer& buffer) {
    const LeafValues values{leaf.storage, buffer, leaf.fixed_length};
    const auto value_count = static_cast<std::size_t>(buffer.value_count(leaf.storage));
    // Byte arrays: 4 length bytes each plus their bytes; fixed-width values: any value's size times the
    // count.
    const std::size_t plain_total = leaf.storage == ValueStorage::kBytes
                                        ? buffer.bytes.size() + 4 * value_count
                                    : value_count == 0 ? 0
                                                       : values.plain_size(0) * value_count;
    const auto dictionary = try_dictionary(leaf, values, value_count, plain_total, options_);

    ColumnMetaData metadata;
    metadata.type = physical_type(leaf.storage);
    metadata.path_in_schema = leaf.path;
    metadata.codec = codec_of(options_.compression);
    metadata.num_values = buffer.level_count;
    const auto data_encoding = dictionary ? Encoding::kRleDictionary : Encoding::kPlain;
    metadata.encodings = {Encoding::kPlain, Encoding::kRle};
    if (dictionary) metadata.encodings.push_back(Encoding::kRleDictionary);

    const auto chunk_start = offset_;
    chunk_.clear();
    // Room for every page up front: growing a chunk of many megabytes step by step costs more than encoding
    // it.
    chunk_.reserve(plain_total + static_cast<std::size_t>(buffer.level_count) / 2 + 4096);
    std::int64_t uncompressed_total = 0;
    if (dictionary) {
      PageHeader header;
      header.type = PageType::kDictionaryPage;
      DictionaryPageHeader dictionary_header;
      dictionary_header.num_values = static_cast<std::int32_t>(dictionary->size);
      dictionary_header.encoding = Encoding::kPlain;
      header.dictionary_page_header = dictionary_header;
      uncompressed_total += append_page(header, dictionary->page, leaf, chunk_);
      metadata.dictionary_page_offset = chunk_start;
      metadata.encoding_stats.push_back({PageType::kDictionaryPage, Encoding::kPlain, 1});
    }
    metadata.data_page_offset = chunk_start + static_cast<std::int64_t>(chunk_.size());

    // Pages end on row boundaries (a repetition level of 0 starts a row) once they pass the target size.
    const bool has_definition = leaf.max_definition > 0;
    const bool has_repetition = leaf.max_repetition > 0;
    const auto level_count = static_cast<std::size_t>(buffer.level_count);
    const auto target = static_cast<std::size_t>(std::max<std::int64_t>(options_.data_page_bytes, 1));
    const std::size_t index_bytes =
        dictionary ? static_cast<std::size_t>(std::max(1, bit_width_for(dictionary->size - 1))) : 0;
    const std::size_t fixed_size =
        leaf.storage == ValueStorage::kBytes || value_count == 0 ? 0 : values.plain_size(0);
    std::int32_t data_pages = 0;
    std::size_t level_begin = 0, value_begin = 0;
    while (level_begin < level_count || (level_count == 0 && data_pages == 0)) {
      std::size_t level_end = level_begin, value_end = value_begin, estimate = 0;
      while (level_end < level_count) {
        if (estimate >= target && (!has_repetition || buffer.repetition[level_end] == 0)) break;
        const bool is_value = !has_definition || buffer.definition[level_end] == leaf.max_definition;
        if (is_value && leaf.storage != ValueStorage::kNone) {
          estimate += dictionary ? index_bytes : fixed_size != 0 ? fixed_size : values.plain_size(value_end);
          ++value_end;
        }
        estimate += 1;  // levels: an upper bound on their share per value
        ++level_end;
      }
      page_body_.clear();
      const auto levels = level_end - level_begin;
      if (has_repetition) {
        encode_levels_v1(std::span(buffer.repetition).subspan(level_begin, levels), leaf.max_repetition,
                         page_body_);
      }
      if (has_definition) {
        encode_levels_v1(std::span(buffer.definition).subspan(level_begin, levels), leaf.max_definition,
                         page_body_);
      }
      if (dictionary) {
        encode_dictionary_indices(
            std::span(dictionary->indices).subspan(value_begin, value_end - value_begin), dictionary->size,
            page_body_);
      } else {
        values.encode_plain(value_begin, value_end, page_body_);
      }
      PageHeader header;
      header.type = PageType::kDataPage;
      DataPageHeader data_header;
      data_header.num_values = static_cast<std::int32_t>(levels);
      data_header.encoding = data_encoding;
      header.data_page_header = data_header;
      uncompressed_total += append_page(header, page_body_, leaf, chunk_);
      ++data_pages;
      level_begin = level_end;
      value_begin = value_end;
    }
    metadata.encoding_stats.push_back({PageType::kDataPage, data_encoding, data_pages});
    metadata.total_uncompressed_size = uncompressed_total;
    metadata.total_compressed_size = static_cast<std::int64_t>(chunk_.size());
    if (options_.write_statistics) {
      metadata.statistics =
          chunk_statistics(leaf, buffer, options_,
                           dictionary ? std::span<const std::string_view>(dictionary->distinct_strings)
                                      : std::span<const std::string_view>());
    }
    write_bytes(chunk_);

    ColumnChunk chunk;
    chunk.file_offset = chunk_start;
    chunk.meta_data = std::move(metadata);
    return chunk;
  }

  void write_footer() {
    metadata_.version = 2;
    metadata_.num_rows = rows_written_;
    SchemaElement root;
    root.name = "schema";
    root.num_children = static_cast<std::int32_t>(shredder_.roots().size());
    metadata_.schema = {root};
    for (const auto& node : shredder_.roots()) append_schema(node, shredder_.leaves(), metadata_.schema);
    metadata_.created_by = "driftgov version " + options_.version;
    metadata_.column_orders.assign(shredder_.leaves().size(), ColumnOrder{});
    std::string footer;
    thrift::serialize(metadata_, footer);
    const auto length = static_cast<std::uint32_t>(footer.size());
    for (int byte = 0; byte < 4; ++byte) footer.push_back(static_cast<char>(length >> (8 * byte)));
    footer.append(kMagic);
    write_bytes(footer);
  }

  std::string path_;
  std::unique_ptr<io::OutputStream> output_;
  std::int64_t offset_ = 0;
  core::Schema schema_;
  WriterOptions options_;
  ColumnShredder shredder_;
  std::vector<LeafBuffer> buffers_;
  std::int64_t buffered_rows_ = 0;
  std::int64_t rows_written_ = 0;
  FileMetaData metadata_;
  bool closed_ = false;
  bool failed_ = false;
  // Reused between pages and chunks to avoid reallocating.
  std::string chunk_, page_body_, compressed_;
};

FileWriter::FileWriter(std::string path, core::Schema schema, WriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(path), std::move(schema), std::move(options))) {}

FileWriter::~FileWriter() = default;

void FileWriter::write(const core::RecordBatch& batch) { impl_->write(batch); }
void FileWriter::close() { impl_->close(); }
std::int64_t FileWriter::rows_written() const { return impl_->rows_written(); }

void write_parquet_file(const std::string& path, const core::RecordBatch& batch,
                        const WriterOptions& options) {
  FileWriter writer(path, batch.schema, options);
  writer.write(batch);
  writer.close();
}

}  // namespace driftgov::parquet
