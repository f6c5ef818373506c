// Encoders against the worked examples of the Parquet format's Encodings.md, and compression against the
// libraries' own decompressors.
#include <gtest/gtest.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/compression_writer.hpp"
#include "driftgov/parquet/encoding.hpp"
#include "parquet/decoding.hpp"

namespace driftgov::parquet {
namespace {

using Bytes = std::string;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

TEST(ParquetEncoding, BitWidths) {
  EXPECT_EQ(bit_width_for(0), 0);
  EXPECT_EQ(bit_width_for(1), 1);
  EXPECT_EQ(bit_width_for(2), 2);
  EXPECT_EQ(bit_width_for(7), 3);
  EXPECT_EQ(bit_width_for(8), 4);
  EXPECT_EQ(bit_width_for(0xFFFFFFFFu), 32);
}

TEST(ParquetEncoding, PlainBooleansAreLeastSignificantBitFirst) {
  Bytes out;
  const std::vector<std::uint8_t> values{1, 0, 1, 1, 0, 0, 0, 0, 1};
  encode_plain_booleans(values, out);
  EXPECT_EQ(out, bytes({0x0D, 0x01}));
}

TEST(ParquetEncoding, PlainFixedWidthIsLittleEndian) {
  Bytes out;
  const std::vector<std::int32_t> ints{1, -2};
  encode_plain_int32(ints, out);
  EXPECT_EQ(out, bytes({0x01, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF}));
  out.clear();
  const std::vector<std::int64_t> longs{0x0102030405060708};
  encode_plain_int64(longs, out);
  EXPECT_EQ(out, bytes({0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
  out.clear();
  const std::vector<double> doubles{1.0};  // IEEE 754: 0x3FF0000000000000
  encode_plain_double(doubles, out);
  EXPECT_EQ(out, bytes({0, 0, 0, 0, 0, 0, 0xF0, 0x3F}));
  out.clear();
  const std::vector<float> floats{-2.0f};  // 0xC0000000
  encode_plain_float(floats, out);
  EXPECT_EQ(out, bytes({0, 0, 0, 0xC0}));
}

TEST(ParquetEncoding, PlainByteArrayHasLengthPrefix) {
  Bytes out;
  encode_plain_byte_array("ab", out);
  encode_plain_byte_array("", out);
  encode_plain_fixed("xyz", out);
  EXPECT_EQ(out, bytes({2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0, 'x', 'y', 'z'}));
}

// Encodings.md: "for bit width 3, the values 0..7 are packed as 10001000 11000110 11111010".
TEST(ParquetEncoding, BitPackedSpecExample) {
  Bytes out;
  const std::vector<std::uint32_t> values{0, 1, 2, 3, 4, 5, 6, 7};
  encode_rle_hybrid(values, 3, out);
  EXPECT_EQ(out, bytes({0x03, 0b10001000, 0b11000110, 0b11111010}));
}

TEST(ParquetEncoding, RepeatedValuesBecomeOneRleRun) {
  Bytes out;
  const std::vector<std::uint32_t> values(10, 4);
  encode_rle_hybrid(values, 3, out);
  EXPECT_EQ(out, bytes({10 << 1, 0x04}));
  out.clear();
  // Values wider than a byte take ceil(width / 8) bytes, little-endian.
  const std::vector<std::uint32_t> wide(9, 0x1234);
  encode_rle_hybrid(wide, 13, out);
  EXPECT_EQ(out, bytes({9 << 1, 0x34, 0x12}));
}

// Literals 1,2,3 borrow five values of the following run of ten 5s to fill a group of 8: packed
// [1,2,3,5,5,5,5,5] (bytes computed by hand, least significant bit first), then an RLE run of the last five
// 5s.
TEST(ParquetEncoding, LiteralsBorrowFromFollowingRun) {
  Bytes out;
  std::vector<std::uint32_t> values{1, 2, 3};
  values.insert(values.end(), 10, 5);
  encode_rle_hybrid(values, 3, out);
  EXPECT_EQ(out, bytes({0x03, 0xD1, 0xDA, 0xB6, 5 << 1, 0x05}));
}

TEST(ParquetEncoding, TrailingLiteralsArePaddedToAGroup) {
  Bytes out;
  const std::vector<std::uint32_t> values{1, 0, 1};
  encode_rle_hybrid(values, 1, out);
  EXPECT_EQ(out, bytes({0x03, 0b00000101}));
}

TEST(ParquetEncoding, LevelsCarryTheirByteLength) {
  Bytes out;
  const std::vector<std::int16_t> levels(8, 1);
  encode_levels_v1(levels, 1, out);
  EXPECT_EQ(out, bytes({2, 0, 0, 0, 8 << 1, 0x01}));
}

TEST(ParquetEncoding, DictionaryIndicesStartWithTheirBitWidth) {
  Bytes out;
  const std::vector<std::uint32_t> indices{0, 1, 2, 3, 4, 5, 6, 7};
  encode_dictionary_indices(indices, 8, out);
  EXPECT_EQ(out, bytes({3, 0x03, 0b10001000, 0b11000110, 0b11111010}));
  out.clear();
  const std::vector<std::uint32_t> single(3, 0);
  encode_dictionary_indices(single, 1, out);
  EXPECT_EQ(out, bytes({1, 0x03, 0x00}));
}

TEST(ParquetEncoding, HybridRoundTripsRandomRuns) {
  std::mt19937 random(7);
  for (int width : {1, 2, 5, 8, 17, 32}) {
    std::vector<std::uint32_t> values;
    const std::uint64_t max_value = width == 32 ? 0xFFFFFFFFu : (1u << width) - 1;
    while (values.size() < 5000) {
      const auto value = static_cast<std::uint32_t>(random() % (max_value + 1));
      values.insert(values.end(), random() % 3 == 0 ? random() % 40 + 1 : 1, value);
    }
    Bytes out;
    encode_rle_hybrid(values, width, out);
    RleBitPackedDecoder decoder(out, width);
    std::vector<std::uint32_t> decoded(values.size());
    decoder.decode(decoded.data(), decoded.size());
    EXPECT_EQ(decoded, values) << "width " << width;
    EXPECT_EQ(decoder.position(), out.size()) << "width " << width;
  }
}

TEST(ParquetEncoding, DictionaryBuilderAssignsInsertionOrderAndStopsAtLimit) {
  DictionaryBuilder<std::string_view> strings(/*byte_limit=*/20);
  std::uint32_t index = 99;
  EXPECT_TRUE(strings.insert("apple", index));  // 4 + 5 bytes
  EXPECT_EQ(index, 0u);
  EXPECT_TRUE(strings.insert("kiwi", index));  // 4 + 4 bytes, 17 in all
  EXPECT_EQ(index, 1u);
  EXPECT_TRUE(strings.insert("apple", index));
  EXPECT_EQ(index, 0u);
  EXPECT_FALSE(strings.insert("fig", index));  // would make 24 bytes
  EXPECT_TRUE(strings.overflowed());
  EXPECT_FALSE(strings.insert("apple", index));
  EXPECT_EQ(strings.size(), 2u);
  Bytes page;
  encode_dictionary_page(strings, page);
  EXPECT_EQ(page, bytes({5, 0, 0, 0, 'a', 'p', 'p', 'l', 'e', 4, 0, 0, 0, 'k', 'i', 'w', 'i'}));
}

TEST(ParquetEncoding, DoubleDictionaryKeepsBitPatternsApart) {
  DictionaryBuilder<double> doubles(1 << 20);
  std::uint32_t index = 0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ASSERT_TRUE(doubles.insert(0.0, index));
  ASSERT_TRUE(doubles.insert(-0.0, index));
  EXPECT_EQ(index, 1u);
  ASSERT_TRUE(doubles.insert(nan, index));
  EXPECT_EQ(index, 2u);
  ASSERT_TRUE(doubles.insert(nan, index));  // NaN != NaN numerically, but it is one dictionary entry
  EXPECT_EQ(index, 2u);
  EXPECT_EQ(doubles.plain_bytes(), 24u);
}

TEST(ParquetEncoding, LevelsRoundTripThroughTheReader) {
  std::mt19937 random(11);
  for (int max_level : {1, 2, 5}) {
    std::vector<std::int16_t> levels;
    for (int i = 0; i < 3000; ++i) {
      levels.push_back(static_cast<std::int16_t>(random() % 4 == 0 ? random() % (max_level + 1) : max_level));
    }
    Bytes out;
    encode_levels_v1(levels, max_level, out);
    std::vector<std::uint32_t> decoded;
    EXPECT_EQ(decode_levels_v1(Encoding::kRle, out, max_level, levels.size(), decoded), out.size());
    EXPECT_EQ(decoded, std::vector<std::uint32_t>(levels.begin(), levels.end())) << "max level " << max_level;
  }
}

TEST(ParquetEncoding, PlainValuesRoundTripThroughTheReader) {
  const std::vector<std::uint8_t> booleans{1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1};
  const std::vector<std::int32_t> ints{0, -1, INT32_MIN, INT32_MAX, 42};
  const std::vector<std::int64_t> longs{0, -1, INT64_MIN, INT64_MAX};
  const std::vector<float> floats{-0.0f, 1.5f, std::numeric_limits<float>::infinity()};
  const std::vector<double> doubles{-0.0, 1e300, std::numeric_limits<double>::lowest()};
  const std::vector<std::string> strings{"", "a", "日本語", std::string(300, 'x')};

  const auto decode = [](Type type, const Bytes& data, std::size_t count, std::int32_t type_length = 0) {
    PhysicalValues values;
    values.type = type;
    values.type_length = type_length;
    decode_values(Encoding::kPlain, data, count, nullptr, values);
    return values;
  };
  Bytes out;
  encode_plain_booleans(booleans, out);
  EXPECT_EQ(decode(Type::kBoolean, out, booleans.size()).ints,
            std::vector<std::int64_t>(booleans.begin(), booleans.end()));
  out.clear();
  encode_plain_int32(ints, out);
  EXPECT_EQ(decode(Type::kInt32, out, ints.size()).ints, std::vector<std::int64_t>(ints.begin(), ints.end()));
  out.clear();
  encode_plain_int64(longs, out);
  EXPECT_EQ(decode(Type::kInt64, out, longs.size()).ints, longs);
  out.clear();
  encode_plain_float(floats, out);
  const auto decoded_floats = decode(Type::kFloat, out, floats.size()).doubles;
  ASSERT_EQ(decoded_floats.size(), floats.size());
  EXPECT_TRUE(std::signbit(decoded_floats[0]));
  EXPECT_EQ(decoded_floats[1], 1.5);
  EXPECT_EQ(decoded_floats[2], std::numeric_limits<double>::infinity());
  out.clear();
  encode_plain_double(doubles, out);
  const auto decoded_doubles = decode(Type::kDouble, out, doubles.size()).doubles;
  EXPECT_TRUE(std::signbit(decoded_doubles[0]));
  EXPECT_EQ(std::vector<double>(decoded_doubles.begin() + 1, decoded_doubles.end()),
            std::vector<double>(doubles.begin() + 1, doubles.end()));
  out.clear();
  for (const auto& value : strings) encode_plain_byte_array(value, out);
  const auto decoded_strings = decode(Type::kByteArray, out, strings.size());
  for (std::size_t i = 0; i < strings.size(); ++i) EXPECT_EQ(decoded_strings.binary_at(i), strings[i]);
  out.clear();
  encode_plain_fixed("abc", out);
  encode_plain_fixed("xyz", out);
  const auto fixed = decode(Type::kFixedLenByteArray, out, 2, 3);
  EXPECT_EQ(fixed.binary_at(0), "abc");
  EXPECT_EQ(fixed.binary_at(1), "xyz");
}

TEST(ParquetEncoding, DictionaryRoundTripsThroughTheReader) {
  std::vector<std::string> values;
  for (int i = 0; i < 2000; ++i) values.push_back("v" + std::to_string(i * 37 % 300));
  DictionaryBuilder<std::string_view> builder(1 << 20);
  std::vector<std::uint32_t> indices(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_TRUE(builder.insert(values[i], indices[i]));
  Bytes page, data;
  encode_dictionary_page(builder, page);
  encode_dictionary_indices(indices, builder.size(), data);
  PhysicalValues dictionary;
  dictionary.type = Type::kByteArray;
  decode_values(Encoding::kPlain, page, builder.size(), nullptr, dictionary);
  PhysicalValues decoded;
  decoded.type = Type::kByteArray;
  decode_values(Encoding::kRleDictionary, data, values.size(), &dictionary, decoded);
  ASSERT_EQ(decoded.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(decoded.binary_at(i), values[i]) << i;
}

Bytes sample_page() {
  Bytes input;
  for (int i = 0; i < 100000; ++i) input.push_back(static_cast<char>((i * 7) % 251 + (i / 1000)));
  return input;
}

TEST(ParquetCompression, ZstdRoundTripsThroughLibzstd) {
  const auto input = sample_page();
  Bytes compressed;
  compress(Compression::kZstd, input, compressed);
  ASSERT_LT(compressed.size(), input.size());
  Bytes restored(input.size(), '\0');
  const auto size = ZSTD_decompress(restored.data(), restored.size(), compressed.data(), compressed.size());
  ASSERT_FALSE(ZSTD_isError(size));
  EXPECT_EQ(restored, input);
}

TEST(ParquetCompression, SnappyRoundTripsThroughLibsnappy) {
  const auto input = sample_page();
  Bytes compressed;
  compress(Compression::kSnappy, input, compressed);
  std::size_t length = 0;
  ASSERT_EQ(snappy_uncompressed_length(compressed.data(), compressed.size(), &length), SNAPPY_OK);
  Bytes restored(length, '\0');
  ASSERT_EQ(snappy_uncompress(compressed.data(), compressed.size(), restored.data(), &length), SNAPPY_OK);
  EXPECT_EQ(restored, input);
}

TEST(ParquetCompression, GzipIsAGzipMemberZlibInflates) {
  const auto input = sample_page();
  Bytes compressed;
  compress(Compression::kGzip, input, compressed);
  ASSERT_GE(compressed.size(), 2u);
  EXPECT_EQ(static_cast<std::uint8_t>(compressed[0]), 0x1F);  // RFC 1952 magic
  EXPECT_EQ(static_cast<std::uint8_t>(compressed[1]), 0x8B);
  Bytes restored(input.size(), '\0');
  z_stream stream{};
  ASSERT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(restored.data());
  stream.avail_out = static_cast<uInt>(restored.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  inflateEnd(&stream);
  EXPECT_EQ(restored, input);
}

TEST(ParquetCompression, NamesParseAndUnknownNamesAreInputErrors) {
  EXPECT_EQ(parse_compression("zstd"), Compression::kZstd);
  EXPECT_EQ(parse_compression("none"), Compression::kNone);
  EXPECT_EQ(compression_name(parse_compression("snappy")), "snappy");
  EXPECT_THROW(parse_compression("brotli9"), core::InputError);
  const Bytes empty;
  Bytes out = "xy";
  compress(Compression::kNone, empty, out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace driftgov::parquet
