#pragma once
// Parquet file metadata as plain C++ values, one struct per Thrift struct of parquet.thrift (Apache Parquet format
// specification). Optional Thrift fields are std::optional; required ones are plain members. Field numbers are
// noted beside each member because the compact protocol identifies fields by number, not by name.
// Only the fields driftgov reads or writes are kept; decoders skip the others.
// These are value types with no invariants beyond those of their members: validation happens where they are
// interpreted (the reader), not here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace driftgov::parquet {

// Physical types.
enum class Type : std::int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

// Legacy annotations, still written by most writers beside LogicalType.
enum class ConvertedType : std::int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTimeMillis = 7,
  kTimeMicros = 8,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kInt8 = 15,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
  kBson = 20,
  kInterval = 21,
};

enum class FieldRepetitionType : std::int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

enum class Encoding : std::int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

enum class CompressionCodec : std::int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,  // deprecated: framed as Hadoop's Lz4Codec writes it (or, rarely, the LZ4 frame format)
  kZstd = 6,
  kLz4Raw = 7,
};

enum class PageType : std::int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

enum class TimeUnitKind : std::int32_t { kMillis = 1, kMicros = 2, kNanos = 3 };  // Thrift union field ids

// The LogicalType union. `kind` is the Thrift field id of the member that is set; the parameters below are
// meaningful only for the kinds noted.
struct LogicalType {
  enum class Kind : std::int32_t {
    kString = 1,
    kMap = 2,
    kList = 3,
    kEnum = 4,
    kDecimal = 5,
    kDate = 6,
    kTime = 7,
    kTimestamp = 8,
    kInteger = 10,
    kUnknown = 11,  // "null" type: every value is null
    kJson = 12,
    kBson = 13,
    kUuid = 14,
    kFloat16 = 15,
    kVariant = 16,
    kGeometry = 17,
    kGeography = 18,
  };
  Kind kind = Kind::kString;
  std::int32_t decimal_scale = 0;       // kDecimal (field 1 of DecimalType)
  std::int32_t decimal_precision = 0;   // kDecimal (field 2)
  bool is_adjusted_to_utc = false;      // kTime, kTimestamp (field 1)
  TimeUnitKind unit = TimeUnitKind::kMicros;  // kTime, kTimestamp (field 2)
  std::int8_t bit_width = 0;            // kInteger (field 1)
  bool is_signed = true;                // kInteger (field 2)

  friend bool operator==(const LogicalType&, const LogicalType&) = default;
};

struct SchemaElement {
  std::optional<Type> type;                               // 1 (absent for groups)
  std::optional<std::int32_t> type_length;                // 2 (FIXED_LEN_BYTE_ARRAY width)
  std::optional<FieldRepetitionType> repetition_type;     // 3 (absent only for the root)
  std::string name;                                       // 4
  std::optional<std::int32_t> num_children;               // 5 (set for groups)
  std::optional<ConvertedType> converted_type;            // 6
  std::optional<std::int32_t> scale;                      // 7
  std::optional<std::int32_t> precision;                  // 8
  std::optional<std::int32_t> field_id;                   // 9
  std::optional<LogicalType> logical_type;                // 10
};

struct Statistics {
  std::optional<std::string> max;             // 1: deprecated, signed comparison order only
  std::optional<std::string> min;             // 2: deprecated
  std::optional<std::int64_t> null_count;     // 3
  std::optional<std::int64_t> distinct_count; // 4
  std::optional<std::string> max_value;       // 5: in the column's sort order
  std::optional<std::string> min_value;       // 6
  std::optional<bool> is_max_value_exact;     // 7
  std::optional<bool> is_min_value_exact;     // 8
};

struct KeyValue {
  std::string key;                   // 1
  std::optional<std::string> value;  // 2
};

struct SortingColumn {
  std::int32_t column_idx = 0;  // 1
  bool descending = false;      // 2
  bool nulls_first = false;     // 3
};

struct PageEncodingStats {
  PageType page_type = PageType::kDataPage;  // 1
  Encoding encoding = Encoding::kPlain;      // 2
  std::int32_t count = 0;                    // 3
};

struct ColumnMetaData {
  Type type = Type::kBoolean;                              // 1
  std::vector<Encoding> encodings;                         // 2
  std::vector<std::string> path_in_schema;                 // 3
  CompressionCodec codec = CompressionCodec::kUncompressed;  // 4
  std::int64_t num_values = 0;                             // 5
  std::int64_t total_uncompressed_size = 0;                // 6
  std::int64_t total_compressed_size = 0;                  // 7
  std::vector<KeyValue> key_value_metadata;                // 8
  std::int64_t data_page_offset = 0;                       // 9
  std::optional<std::int64_t> index_page_offset;           // 10
  std::optional<std::int64_t> dictionary_page_offset;      // 11
  std::optional<Statistics> statistics;                    // 12
  std::vector<PageEncodingStats> encoding_stats;           // 13
  std::optional<std::int64_t> bloom_filter_offset;         // 14
  std::optional<std::int32_t> bloom_filter_length;         // 15
};

struct ColumnChunk {
  std::optional<std::string> file_path;              // 1: set when the chunk lives in another file
  std::int64_t file_offset = 0;                      // 2
  std::optional<ColumnMetaData> meta_data;           // 3
  std::optional<std::int64_t> offset_index_offset;   // 4
  std::optional<std::int32_t> offset_index_length;   // 5
  std::optional<std::int64_t> column_index_offset;   // 6
  std::optional<std::int32_t> column_index_length;   // 7
  bool has_crypto_metadata = false;                  // 8 present: the column is encrypted
  bool has_encrypted_column_metadata = false;        // 9 present
};

struct RowGroup {
  std::vector<ColumnChunk> columns;                    // 1
  std::int64_t total_byte_size = 0;                    // 2
  std::int64_t num_rows = 0;                           // 3
  std::vector<SortingColumn> sorting_columns;          // 4
  std::optional<std::int64_t> file_offset;             // 5
  std::optional<std::int64_t> total_compressed_size;   // 6
  std::optional<std::int16_t> ordinal;                 // 7
};

// The ColumnOrder union: TYPE_ORDER (field 1) is the only member defined; anything else is recorded as unknown so
// that statistics of that column are not trusted.
struct ColumnOrder {
  enum class Kind : std::int32_t { kUnknown = 0, kTypeDefinedOrder = 1 };
  Kind kind = Kind::kTypeDefinedOrder;
  friend bool operator==(const ColumnOrder&, const ColumnOrder&) = default;
};

struct FileMetaData {
  std::int32_t version = 0;                      // 1
  std::vector<SchemaElement> schema;             // 2: depth-first, the root first
  std::int64_t num_rows = 0;                     // 3
  std::vector<RowGroup> row_groups;              // 4
  std::vector<KeyValue> key_value_metadata;      // 5
  std::optional<std::string> created_by;         // 6
  std::vector<ColumnOrder> column_orders;        // 7: empty when absent
  bool has_encryption_algorithm = false;         // 8 present: plaintext footer of an encrypted file
};

struct DataPageHeader {
  std::int32_t num_values = 0;                                // 1: includes nulls
  Encoding encoding = Encoding::kPlain;                       // 2
  Encoding definition_level_encoding = Encoding::kRle;        // 3
  Encoding repetition_level_encoding = Encoding::kRle;        // 4
  std::optional<Statistics> statistics;                       // 5
};

struct DictionaryPageHeader {
  std::int32_t num_values = 0;           // 1
  Encoding encoding = Encoding::kPlain;  // 2
  std::optional<bool> is_sorted;         // 3
};

struct DataPageHeaderV2 {
  std::int32_t num_values = 0;                      // 1
  std::int32_t num_nulls = 0;                       // 2
  std::int32_t num_rows = 0;                        // 3
  Encoding encoding = Encoding::kPlain;             // 4
  std::int32_t definition_levels_byte_length = 0;   // 5
  std::int32_t repetition_levels_byte_length = 0;   // 6
  bool is_compressed = true;                        // 7 (Thrift default true)
  std::optional<Statistics> statistics;             // 8
};

struct PageHeader {
  PageType type = PageType::kDataPage;                        // 1
  std::int32_t uncompressed_page_size = 0;                    // 2
  std::int32_t compressed_page_size = 0;                      // 3
  std::optional<std::int32_t> crc;                            // 4
  std::optional<DataPageHeader> data_page_header;             // 5
  // 6: IndexPageHeader has no fields in use; the page is skipped.
  std::optional<DictionaryPageHeader> dictionary_page_header; // 7
  std::optional<DataPageHeaderV2> data_page_header_v2;        // 8
};

// Names used in messages ("INT96", "ZSTD", "RLE_DICTIONARY"); unknown values print as their number.
std::string to_string(Type type);
std::string to_string(Encoding encoding);
std::string to_string(CompressionCodec codec);
std::string to_string(PageType page_type);

}  // namespace driftgov::parquet
