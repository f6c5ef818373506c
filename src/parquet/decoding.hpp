#pragma once
// Parquet value and level decoders (Encodings.md of the Parquet format) for the reader.
// Every decoder reads from a bounded view and throws core::InputError (without file context: the page reader adds
// it) when the data ends early or contradicts itself; none reads outside its view. Not thread-safe per instance.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/parquet/metadata.hpp"

namespace driftgov::parquet {

// Non-null values of one column in physical form, appended page after page.
//   BOOLEAN, INT32 (sign-extended), INT64                -> ints
//   FLOAT (widened exactly), DOUBLE                      -> doubles
//   BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96 (12 bytes)   -> offsets (size + 1 entries) into bytes
struct PhysicalValues {
  Type type = Type::kInt64;
  std::int32_t type_length = 0;  // FIXED_LEN_BYTE_ARRAY width
  std::vector<std::int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::int64_t> offsets{0};
  std::string bytes;

  std::size_t size() const;
  std::string_view binary_at(std::size_t index) const {
    return std::string_view(bytes).substr(static_cast<std::size_t>(offsets[index]),
                                          static_cast<std::size_t>(offsets[index + 1] - offsets[index]));
  }
  void clear();
  void append_binary(std::string_view value) {
    bytes.append(value);
    offsets.push_back(static_cast<std::int64_t>(bytes.size()));
  }
};

// The RLE / bit-packed hybrid (levels, dictionary indices, RLE booleans), without any length prefix.
class RleBitPackedDecoder {
 public:
  RleBitPackedDecoder(std::string_view data, int bit_width);
  // Decodes exactly `count` values; throws InputError when the data ends first. The byte form is for widths up
  // to 8 (levels of at most 255), where each value fits.
  void decode(std::uint32_t* out, std::size_t count);
  void decode(std::uint8_t* out, std::size_t count);
  std::size_t position() const { return position_; }

 private:
  bool next_run();
  template <class Value>
  void decode_into(Value* out, std::size_t count);

  std::string_view data_;
  int bit_width_;
  std::size_t position_ = 0;
  std::uint32_t repeated_value_ = 0;
  std::size_t repeated_left_ = 0;
  std::string_view packed_;  // the current bit-packed run
  std::size_t packed_index_ = 0;
  std::size_t packed_left_ = 0;
};

// The undecoded levels of one data page: the RLE hybrid (without v1's length prefix) or the deprecated
// BIT_PACKED form.
struct LevelBytes {
  Encoding encoding = Encoding::kRle;
  std::string_view data;
};

// Finds the levels at the start of a v1 data page (RLE with its 4-byte length prefix, or BIT_PACKED) without
// decoding them. Returns the bytes they take.
std::size_t split_levels_v1(Encoding encoding, std::string_view data, int max_level, std::size_t count,
                            LevelBytes& out);
// Decodes exactly `count` levels, each at most `max_level`; the byte form needs max_level <= 255.
void decode_levels(const LevelBytes& levels, int max_level, std::size_t count, std::uint32_t* out);
void decode_levels(const LevelBytes& levels, int max_level, std::size_t count, std::uint8_t* out);

// Definition or repetition levels of a v1 data page in `encoding` (RLE with its 4-byte length prefix, or the
// deprecated BIT_PACKED). Returns the bytes consumed.
std::size_t decode_levels_v1(Encoding encoding, std::string_view data, int max_level, std::size_t count,
                             std::vector<std::uint32_t>& out);
// Levels of a v2 data page: the RLE hybrid filling exactly `data`.
void decode_levels_v2(std::string_view data, int max_level, std::size_t count, std::vector<std::uint32_t>& out);

// Decodes `count` non-null values in `encoding` and appends them to `out` (whose type and type_length say the
// physical type). `dictionary` is required for PLAIN_DICTIONARY/RLE_DICTIONARY. Throws UnsupportedError for an
// encoding not defined for the physical type.
void decode_values(Encoding encoding, std::string_view data, std::size_t count, const PhysicalValues* dictionary,
                   PhysicalValues& out);

// The indices of a dictionary-encoded data page (a bit-width byte, then the RLE hybrid): exactly `count` of them
// into indices[0, count), each checked to lie below `dictionary_size`. `indices` only grows, so that a buffer
// kept between pages is not cleared and refilled.
void decode_dictionary_indices(std::string_view data, std::size_t count, std::size_t dictionary_size,
                               std::vector<std::uint32_t>& indices);

// DELTA_BINARY_PACKED: decodes exactly `count` values; returns the bytes consumed.
std::size_t decode_delta_binary_packed(std::string_view data, std::size_t count, bool is_int32,
                                       std::vector<std::int64_t>& out);

}  // namespace driftgov::parquet
