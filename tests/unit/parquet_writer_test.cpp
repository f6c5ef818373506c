// Thrift encoding of page headers and footers (hand-computed bytes, and the independent decoder of
// thrift_compact.hpp), and the file writer's layout and atomicity. Values read back by other engines are
// checked in tests/python/test_parquet_roundtrip.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/thrift_compact.hpp"
#include "driftgov/parquet/thrift_compact_writer.hpp"
#include "driftgov/parquet/writer.hpp"

namespace driftgov::parquet {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

// Field headers are (delta << 4 | type): 0x15 is "next field, i32", 0x2C "two fields on, struct"; i32 values
// are zigzag varints (100 -> 200 -> C8 01).
TEST(ParquetThriftWrite, DataPageHeaderBytesMatchTheCompactProtocol) {
  PageHeader header;
  header.type = PageType::kDataPage;
  header.uncompressed_page_size = 100;
  header.compressed_page_size = 50;
  DataPageHeader data;
  data.num_values = 10;
  data.encoding = Encoding::kPlain;
  header.data_page_header = data;
  std::string out;
  thrift::serialize(header, out);
  EXPECT_EQ(out, bytes({0x15, 0x00, 0x15, 0xC8, 0x01, 0x15, 0x64, 0x2C, 0x15, 0x14, 0x15, 0x00, 0x15, 0x06,
                        0x15, 0x06, 0x00, 0x00}));
}

TEST(ParquetThriftWrite, LongFieldJumpsUseTheFullHeader) {
  std::string out;
  thrift::CompactEncoder encoder(out);
  encoder.begin_struct();
  encoder.field_i32(1, -1);
  encoder.field_i64(20, 1);  // delta 19 > 15: type byte, then zigzag field id 20 -> 40
  encoder.field_bool(21, true);
  encoder.end_struct();
  EXPECT_EQ(out, bytes({0x15, 0x01, 0x06, 0x28, 0x02, 0x11, 0x00}));
}

TEST(ParquetThriftWrite, FooterRoundTripsThroughTheDecoder) {
  FileMetaData metadata;
  metadata.version = 2;
  metadata.num_rows = 3;
  SchemaElement root;
  root.name = "schema";
  root.num_children = 1;
  SchemaElement leaf;
  leaf.name = "when";
  leaf.type = Type::kInt64;
  leaf.repetition_type = FieldRepetitionType::kOptional;
  leaf.field_id = 42;
  LogicalType timestamp;
  timestamp.kind = LogicalType::Kind::kTimestamp;
  timestamp.is_adjusted_to_utc = true;
  timestamp.unit = TimeUnitKind::kMicros;
  leaf.logical_type = timestamp;
  metadata.schema = {root, leaf};
  RowGroup group;
  group.num_rows = 3;
  group.total_byte_size = 77;
  group.ordinal = 0;
  ColumnChunk chunk;
  chunk.file_offset = 4;
  ColumnMetaData column;
  column.type = Type::kInt64;
  column.encodings = {Encoding::kPlain, Encoding::kRle};
  column.path_in_schema = {"when"};
  column.codec = CompressionCodec::kZstd;
  column.num_values = 3;
  column.data_page_offset = 4;
  Statistics statistics;
  statistics.null_count = 1;
  statistics.min_value = std::string("\x01\0\0\0\0\0\0\0", 8);
  column.statistics = statistics;
  chunk.meta_data = column;
  group.columns = {chunk};
  metadata.row_groups = {group};
  metadata.created_by = "driftgov version test";
  metadata.column_orders = {ColumnOrder{}};

  std::string out;
  thrift::serialize(metadata, out);
  const auto parsed = thrift::parse_file_metadata(out, "footer");
  EXPECT_EQ(parsed.version, 2);
  EXPECT_EQ(parsed.num_rows, 3);
  ASSERT_EQ(parsed.schema.size(), 2u);
  EXPECT_EQ(parsed.schema[1].name, "when");
  EXPECT_EQ(parsed.schema[1].field_id, 42);
  ASSERT_TRUE(parsed.schema[1].logical_type.has_value());
  EXPECT_EQ(*parsed.schema[1].logical_type, timestamp);
  ASSERT_EQ(parsed.row_groups.size(), 1u);
  EXPECT_EQ(parsed.row_groups[0].ordinal, 0);
  const auto& parsed_column = *parsed.row_groups[0].columns.at(0).meta_data;
  EXPECT_EQ(parsed_column.codec, CompressionCodec::kZstd);
  EXPECT_EQ(parsed_column.encodings, column.encodings);
  EXPECT_EQ(parsed_column.statistics->null_count, 1);
  EXPECT_EQ(parsed_column.statistics->min_value, statistics.min_value);
  EXPECT_FALSE(parsed_column.statistics->max_value.has_value());
  EXPECT_EQ(parsed.created_by, "driftgov version test");
  EXPECT_EQ(parsed.column_orders, metadata.column_orders);
}

class ParquetWriterFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::temp_directory_path() /
        ("driftgov-writer-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  static core::RecordBatch sample(bool with_null) {
    core::RecordBatch batch;
    batch.schema.fields = {core::Field{"id", core::DataType::int64(), false, std::nullopt}};
    core::Column ids(core::DataType::int64());
    ids.append_int(1);
    if (with_null) ids.append_null();
    batch.columns = {ids};
    batch.num_rows = ids.length;
    return batch;
  }

  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(directory_), {}));
  }

  std::filesystem::path directory_;
};

TEST_F(ParquetWriterFiles, FileHasMagicAndADecodableFooter) {
  const auto path = directory_ / "one.parquet";
  write_parquet_file(path.string(), sample(false));
  std::ifstream input(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  ASSERT_GE(file.size(), 12u);
  EXPECT_EQ(file.substr(0, 4), "PAR1");
  EXPECT_EQ(file.substr(file.size() - 4), "PAR1");
  std::uint32_t length = 0;
  for (int byte = 0; byte < 4; ++byte) {
    length |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(file[file.size() - 8 + byte]))
              << (8 * byte);
  }
  const auto metadata = thrift::parse_file_metadata(
      std::string_view(file).substr(file.size() - 8 - length, length), path.string());
  EXPECT_EQ(metadata.num_rows, 1);
  EXPECT_EQ(metadata.schema.at(1).repetition_type, FieldRepetitionType::kRequired);
  EXPECT_EQ(metadata.created_by->rfind("driftgov version ", 0), 0u);
  EXPECT_EQ(entries(), 1u);  // no temporary file left beside it
}

TEST_F(ParquetWriterFiles, UnclosedWriterLeavesNothing) {
  {
    FileWriter writer((directory_ / "abandoned.parquet").string(), sample(false).schema);
    writer.write(sample(false));
    EXPECT_EQ(entries(), 1u);  // the temporary file only
  }
  EXPECT_EQ(entries(), 0u);
}

TEST_F(ParquetWriterFiles, NullInRequiredFieldIsAnInputErrorAndKeepsThePreviousFile) {
  const auto path = directory_ / "kept.parquet";
  write_parquet_file(path.string(), sample(false));
  const auto size_before = std::filesystem::file_size(path);
  try {
    write_parquet_file(path.string(), sample(true));
    FAIL() << "expected an InputError";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("column 'id', row 2"), std::string::npos) << error.what();
  }
  EXPECT_EQ(std::filesystem::file_size(path), size_before);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(ParquetWriterFiles, DecimalBeyondItsPrecisionIsAnInputError) {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"amount", core::DataType::decimal(4, 2), true, std::nullopt}};
  core::Column amounts(batch.schema.fields[0].type);
  amounts.append_decimal(9999);
  amounts.append_decimal(10000);
  batch.columns = {amounts};
  batch.num_rows = 2;
  EXPECT_THROW(write_parquet_file((directory_ / "d.parquet").string(), batch), core::InputError);
  EXPECT_EQ(entries(), 0u);
}

TEST_F(ParquetWriterFiles, IntegerOutsideItsWidthIsAnInputError) {
  core::RecordBatch batch;
  batch.schema.fields = {core::Field{"small", core::DataType{core::TypeId::kInt8}, true, std::nullopt}};
  core::Column values(batch.schema.fields[0].type);
  values.append_int(-128);
  values.append_int(128);
  batch.columns = {values};
  batch.num_rows = 2;
  try {
    write_parquet_file((directory_ / "i.parquet").string(), batch);
    FAIL() << "expected an InputError";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("column 'small', row 2: 128 does not fit"), std::string::npos)
        << error.what();
  }
}

TEST_F(ParquetWriterFiles, MismatchedBatchSchemaIsRefused) {
  FileWriter writer((directory_ / "s.parquet").string(), sample(false).schema);
  auto batch = sample(false);
  batch.schema.fields[0].name = "other";
  EXPECT_THROW(writer.write(batch), core::InputError);
}

}  // namespace
}  // namespace driftgov::parquet
