// Thrift compact decoding: wire primitives, a real footer whose contents pyarrow reports, and hostile input
// (truncation, oversized lengths, deep nesting) that must fail with an InputError rather than crash or hang.
#include <gtest/gtest.h>

#include "conformance_corpus.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/parquet/thrift_compact.hpp"

namespace driftgov::parquet {
namespace {

// The footer of a Parquet file (its last 8 bytes are the footer length and "PAR1"); empty, with a test failure
// recorded, when the file is too short to hold the footer it announces.
std::string footer_of(const std::string& file) {
  if (file.size() < 12) {
    ADD_FAILURE() << "a Parquet file has at least 12 bytes; this one has " << file.size();
    return {};
  }
  const auto* tail = reinterpret_cast<const unsigned char*>(file.data() + file.size() - 8);
  const std::uint32_t length = tail[0] | (tail[1] << 8) | (tail[2] << 16) | (static_cast<std::uint32_t>(tail[3]) << 24);
  if (length > file.size() - 12) {
    ADD_FAILURE() << "footer length " << length << " does not fit in a file of " << file.size() << " bytes";
    return {};
  }
  return file.substr(file.size() - 8 - length, length);
}

const char* const kAlltypesPlain = "parquet-testing/data/alltypes_plain.parquet";

TEST(ParquetThriftRead, ZigzagMatchesTheProtocolTable) {
  // The compact protocol's table: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, 2 -> 4.
  EXPECT_EQ(thrift::zigzag_encode(0), 0U);
  EXPECT_EQ(thrift::zigzag_encode(-1), 1U);
  EXPECT_EQ(thrift::zigzag_encode(1), 2U);
  EXPECT_EQ(thrift::zigzag_encode(-2), 3U);
  EXPECT_EQ(thrift::zigzag_encode(INT64_MIN), UINT64_MAX);
  for (const std::int64_t value : {INT64_MIN, INT64_MIN + 1, std::int64_t{-300}, std::int64_t{0}, INT64_MAX}) {
    EXPECT_EQ(thrift::zigzag_decode(thrift::zigzag_encode(value)), value);
  }
}

TEST(ParquetThriftRead, PrimitivesRoundTripThroughEncoderAndDecoder) {
  std::string bytes;
  thrift::append_field_header(bytes, 1, 0, thrift::CompactType::kI32);      // short form
  thrift::append_varint(bytes, thrift::zigzag_encode(-123456));
  thrift::append_field_header(bytes, 40, 1, thrift::CompactType::kI64);     // long form (delta > 15)
  thrift::append_varint(bytes, thrift::zigzag_encode(INT64_MAX));
  thrift::append_field_header(bytes, 41, 40, thrift::CompactType::kList);
  thrift::append_list_header(bytes, thrift::CompactType::kI32, 20);         // long list header
  for (int i = 0; i < 20; ++i) thrift::append_varint(bytes, thrift::zigzag_encode(i - 10));
  bytes.push_back(0);

  thrift::CompactDecoder decoder(bytes, "test", 0);
  auto field = decoder.read_field_header(0);
  EXPECT_EQ(field.id, 1);
  EXPECT_EQ(field.type, thrift::CompactType::kI32);
  EXPECT_EQ(decoder.read_i32(), -123456);
  field = decoder.read_field_header(1);
  EXPECT_EQ(field.id, 40);
  EXPECT_EQ(decoder.read_i64(), INT64_MAX);
  field = decoder.read_field_header(40);
  EXPECT_EQ(field.id, 41);
  const auto list = decoder.read_list_header();
  ASSERT_EQ(list.size, 20U);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(decoder.read_i32(), i - 10);
  EXPECT_EQ(decoder.read_field_header(41).type, thrift::CompactType::kStop);
  EXPECT_EQ(decoder.remaining(), 0U);
}

TEST(ParquetThriftRead, FooterOfAlltypesPlainMatchesWhatPyarrowReports) {
  const std::string file = testing::read_conformance_file(kAlltypesPlain);
  ASSERT_FALSE(file.empty());
  const std::string footer = footer_of(file);
  ASSERT_FALSE(footer.empty());
  const auto metadata = thrift::parse_file_metadata(footer, "alltypes_plain.parquet");
  // pyarrow: num_rows 8, one row group, 11 leaf columns under a root group.
  EXPECT_EQ(metadata.num_rows, 8);
  ASSERT_EQ(metadata.schema.size(), 12U);
  EXPECT_EQ(metadata.schema[0].num_children, 11);
  EXPECT_EQ(metadata.schema[1].name, "id");
  EXPECT_EQ(metadata.schema[1].type, Type::kInt32);
  EXPECT_EQ(metadata.schema[1].repetition_type, FieldRepetitionType::kOptional);
  EXPECT_EQ(metadata.schema[11].name, "timestamp_col");
  EXPECT_EQ(metadata.schema[11].type, Type::kInt96);
  ASSERT_EQ(metadata.row_groups.size(), 1U);
  const auto& chunk = metadata.row_groups[0].columns.at(0);
  ASSERT_TRUE(chunk.meta_data.has_value());
  const auto& column = *chunk.meta_data;
  EXPECT_EQ(column.path_in_schema, std::vector<std::string>{"id"});
  EXPECT_EQ(column.num_values, 8);
  EXPECT_EQ(column.codec, CompressionCodec::kUncompressed);
  EXPECT_EQ(column.dictionary_page_offset, 4);
  EXPECT_EQ(column.data_page_offset, 49);
  EXPECT_EQ(column.total_compressed_size, 73);
  EXPECT_EQ(column.encodings,
            (std::vector<Encoding>{Encoding::kRle, Encoding::kPlainDictionary, Encoding::kPlain}));

  // The dictionary page of that column starts at offset 4 and holds 8 values.
  std::size_t consumed = 0;
  const auto header = thrift::parse_page_header(std::string_view(file).substr(4), &consumed, "alltypes_plain", 4);
  EXPECT_EQ(header.type, PageType::kDictionaryPage);
  ASSERT_TRUE(header.dictionary_page_header.has_value());
  EXPECT_EQ(header.dictionary_page_header->num_values, 8);
  EXPECT_EQ(4 + consumed + static_cast<std::size_t>(header.compressed_page_size), 49U);
}

TEST(ParquetThriftRead, EveryTruncationOfAFooterFailsCleanly) {
  const std::string file = testing::read_conformance_file(kAlltypesPlain);
  ASSERT_FALSE(file.empty());
  const std::string footer = footer_of(file);
  ASSERT_FALSE(footer.empty());
  for (std::size_t length = 0; length < footer.size(); ++length) {
    EXPECT_THROW(thrift::parse_file_metadata(std::string_view(footer).substr(0, length), "cut"), core::InputError)
        << "length " << length;
  }
}

TEST(ParquetThriftRead, HostileLengthsAndNestingAreRefusedWithTheOffset) {
  // A binary field claiming 2^40 bytes.
  std::string huge;
  thrift::append_field_header(huge, 6, 0, thrift::CompactType::kBinary);
  thrift::append_varint(huge, std::uint64_t{1} << 40);
  try {
    thrift::parse_file_metadata(huge, "huge.parquet", 1000);
    FAIL() << "expected an InputError";
  } catch (const core::InputError& error) {
    EXPECT_NE(std::string(error.what()).find("huge.parquet"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("offset 10"), std::string::npos);
  }
  // A list claiming more elements than bytes remain.
  std::string list;
  thrift::append_field_header(list, 2, 0, thrift::CompactType::kList);
  thrift::append_list_header(list, thrift::CompactType::kStruct, 1'000'000'000);
  EXPECT_THROW(thrift::parse_file_metadata(list, "list"), core::InputError);
  // Unknown fields nested 100 structs deep.
  std::string deep;
  for (int i = 0; i < 100; ++i) thrift::append_field_header(deep, 50, 0, thrift::CompactType::kStruct);
  EXPECT_THROW(thrift::parse_file_metadata(deep, "deep"), core::InputError);
}

}  // namespace
}  // namespace driftgov::parquet
