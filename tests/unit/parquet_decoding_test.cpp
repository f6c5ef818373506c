// Parquet decoders against the worked examples of the format's Encodings.md, against the project's encoders
// (written independently) for random data, and against truncated input, which must fail with InputError.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/encoding.hpp"
#include "parquet/decoding.hpp"

namespace driftgov::parquet {
namespace {

std::string bytes_of(std::initializer_list<int> values) {
  std::string out;
  for (const int value : values) out.push_back(static_cast<char>(value));
  return out;
}

std::vector<std::uint32_t> decode_hybrid(std::string_view data, int bit_width, std::size_t count) {
  std::vector<std::uint32_t> out(count);
  RleBitPackedDecoder decoder(data, bit_width);
  decoder.decode(out.data(), count);
  return out;
}

TEST(ParquetDecoding, BitPackedExampleOfTheSpecification) {
  // Encodings.md: 0..7 at bit width 3 pack into 10001000 11000110 11111010; header 1 group, bit-packed.
  const std::string data = bytes_of({0x03, 0b10001000, 0b11000110, 0b11111010});
  EXPECT_EQ(decode_hybrid(data, 3, 8), (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(ParquetDecoding, RleRunThenBitPackedRun) {
  // 10 repeats of 5 (header 10 << 1), then one bit-packed group of 0..7.
  const std::string data = bytes_of({20, 5, 0x03, 0b10001000, 0b11000110, 0b11111010});
  auto values = decode_hybrid(data, 3, 18);
  EXPECT_EQ(std::vector<std::uint32_t>(values.begin(), values.begin() + 10), std::vector<std::uint32_t>(10, 5));
  EXPECT_EQ(values[10], 0U);
  EXPECT_EQ(values[17], 7U);
  EXPECT_THROW(decode_hybrid(data, 3, 19), core::InputError);
}

TEST(ParquetDecoding, HybridRoundTripsThroughTheEncoderAtEveryWidth) {
  std::mt19937_64 rng(42);
  for (int width = 0; width <= 32; ++width) {
    const std::uint64_t limit = width == 0 ? 0 : (std::uint64_t{1} << width) - 1;
    std::uniform_int_distribution<std::uint64_t> pick(0, limit);
    std::vector<std::uint32_t> values;
    for (int i = 0; i < 1000; ++i) {
      const auto value = static_cast<std::uint32_t>(pick(rng));
      const int repeats = i % 7 == 0 ? 20 : 1;  // mix long runs (RLE) and noise (bit-packed)
      for (int r = 0; r < repeats; ++r) values.push_back(value);
    }
    ByteBuffer encoded;
    encode_rle_hybrid(values, width, encoded);
    const std::string data(encoded.begin(), encoded.end());
    EXPECT_EQ(decode_hybrid(data, width, values.size()), values) << "width " << width;
  }
}

TEST(ParquetDecoding, DeltaBinaryPackedExamplesOfTheSpecification) {
  // Example 1: 1 2 3 4 5 -> header (block 128, 4 miniblocks, 5 values, first 1), block (min delta 1, widths 0).
  const std::string first = bytes_of({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0});
  std::vector<std::int64_t> out;
  EXPECT_EQ(decode_delta_binary_packed(first, 5, false, out), first.size());
  EXPECT_EQ(out, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));

  // Example 2: 7 5 3 1 2 3 4 5 -> deltas -2 -2 -2 1 1 1 1, min delta -2, relative 0 0 0 3 3 3 3 at width 2,
  // one miniblock of 32 values (8 bytes) with data, the other three without.
  std::string second = bytes_of({0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0});
  second += bytes_of({0b11000000, 0b11111111});
  second += std::string(6, '\0');
  out.clear();
  EXPECT_EQ(decode_delta_binary_packed(second, 8, true, out), second.size());
  EXPECT_EQ(out, (std::vector<std::int64_t>{7, 5, 3, 1, 2, 3, 4, 5}));
  for (std::size_t cut = 0; cut + 6 < second.size(); ++cut) {
    std::vector<std::int64_t> ignored;
    EXPECT_THROW(decode_delta_binary_packed(second.substr(0, cut), 8, true, ignored), core::InputError) << cut;
  }
}

TEST(ParquetDecoding, PlainValuesOfEveryWidth) {
  PhysicalValues booleans;
  booleans.type = Type::kBoolean;
  decode_values(Encoding::kPlain, bytes_of({0b00000101, 0b1}), 9, nullptr, booleans);
  EXPECT_EQ(booleans.ints, (std::vector<std::int64_t>{1, 0, 1, 0, 0, 0, 0, 0, 1}));

  PhysicalValues strings;
  strings.type = Type::kByteArray;
  decode_values(Encoding::kPlain, bytes_of({2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0}), 2, nullptr, strings);
  ASSERT_EQ(strings.size(), 2U);
  EXPECT_EQ(strings.binary_at(0), "hi");
  EXPECT_EQ(strings.binary_at(1), "");
  PhysicalValues truncated;
  truncated.type = Type::kByteArray;
  EXPECT_THROW(decode_values(Encoding::kPlain, bytes_of({9, 0, 0, 0, 'x'}), 1, nullptr, truncated), core::InputError);

  PhysicalValues ints;
  ints.type = Type::kInt32;
  decode_values(Encoding::kPlain, bytes_of({0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0}), 2, nullptr, ints);
  EXPECT_EQ(ints.ints, (std::vector<std::int64_t>{-1, 1}));
}

TEST(ParquetDecoding, ByteStreamSplitInterleavesBytes) {
  const double values[2] = {1.5, -2.25};
  char raw[16];
  std::memcpy(raw, values, 16);
  std::string split(16, '\0');
  for (int i = 0; i < 2; ++i) {
    for (int b = 0; b < 8; ++b) split[static_cast<std::size_t>(b * 2 + i)] = raw[i * 8 + b];
  }
  PhysicalValues out;
  out.type = Type::kDouble;
  decode_values(Encoding::kByteStreamSplit, split, 2, nullptr, out);
  EXPECT_EQ(out.doubles, (std::vector<double>{1.5, -2.25}));
}

TEST(ParquetDecoding, DeltaByteArrayRebuildsPrefixes) {
  // Values "abc", "abd", "abxy": prefix lengths 0 2 2 (first 0, relative deltas 2 0 at width 2 over min 0)...
  std::string data = bytes_of({0x80, 0x01, 0x04, 0x03, 0x00, 0x00, 2, 0, 0, 0, 0b00000010});
  data += std::string(7, '\0');
  // suffix lengths: first 3, deltas -2, +1 -> min delta -2, relative 0 3 at width 2.
  data += bytes_of({0x80, 0x01, 0x04, 0x03, 0x06, 0x03, 2, 0, 0, 0, 0b00001100});
  data += std::string(7, '\0');
  data += "abcdxy";  // "abc", "ab"+"d", "ab"+"xy"
  PhysicalValues out;
  out.type = Type::kByteArray;
  decode_values(Encoding::kDeltaByteArray, data, 3, nullptr, out);
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out.binary_at(0), "abc");
  EXPECT_EQ(out.binary_at(1), "abd");
  EXPECT_EQ(out.binary_at(2), "abxy");
  PhysicalValues short_out;
  short_out.type = Type::kByteArray;
  EXPECT_THROW(decode_values(Encoding::kDeltaByteArray, data.substr(0, data.size() - 1), 3, nullptr, short_out),
               core::InputError);
}

TEST(ParquetDecoding, DictionaryIndicesOutsideTheDictionaryAreRefused) {
  PhysicalValues dictionary;
  dictionary.type = Type::kInt64;
  dictionary.ints = {10, 20};
  PhysicalValues out;
  out.type = Type::kInt64;
  // bit width 2, RLE run of 3 x index 1.
  decode_values(Encoding::kRleDictionary, bytes_of({2, 6, 1}), 3, &dictionary, out);
  EXPECT_EQ(out.ints, (std::vector<std::int64_t>{20, 20, 20}));
  EXPECT_THROW(decode_values(Encoding::kRleDictionary, bytes_of({2, 6, 3}), 3, &dictionary, out), core::InputError);
  EXPECT_THROW(decode_values(Encoding::kRleDictionary, bytes_of({2, 6, 1}), 3, nullptr, out), core::InputError);
}

}  // namespace
}  // namespace driftgov::parquet
