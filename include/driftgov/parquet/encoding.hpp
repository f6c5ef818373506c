#pragma once
// Parquet value and level encoders (Encodings.md of the Parquet format): PLAIN for every physical type the
// writer produces, the RLE/bit-packed hybrid used for definition/repetition levels and dictionary indices,
// and a dictionary builder that gives up once its PLAIN-encoded size passes a limit. Every encoder appends
// little-endian bytes to a caller-owned buffer; none of them throws on valid arguments. Not thread-safe; one
// encoder per column chunk.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace driftgov::parquet {

// Encoded bytes; std::string so buffers pass to the Thrift encoder, compressors and files without copies.
using ByteBuffer = std::string;

// ---- PLAIN ----
// BOOLEAN: one bit per value, least significant bit first, the last byte zero-padded.
void encode_plain_booleans(std::span<const std::uint8_t> values, ByteBuffer& out);
void encode_plain_int32(std::span<const std::int32_t> values, ByteBuffer& out);
void encode_plain_int64(std::span<const std::int64_t> values, ByteBuffer& out);
void encode_plain_float(std::span<const float> values, ByteBuffer& out);
void encode_plain_double(std::span<const double> values, ByteBuffer& out);
// BYTE_ARRAY: each value as a 4-byte little-endian length followed by its bytes.
void encode_plain_byte_array(std::string_view value, ByteBuffer& out);
// FIXED_LEN_BYTE_ARRAY: the bytes alone; every value has the column's type_length.
void encode_plain_fixed(std::string_view value, ByteBuffer& out);

// Bytes a value occupies when PLAIN-encoded as a BYTE_ARRAY.
inline std::size_t plain_byte_array_size(std::string_view value) { return 4 + value.size(); }

// Number of bits needed to represent every value in 0..max_value (0 for max_value 0).
int bit_width_for(std::uint64_t max_value);

// ---- RLE / bit-packed hybrid ----
// Encodes `values` (each < 2^bit_width) as a sequence of runs: repeated values of 8 or more become RLE runs,
// the rest bit-packed groups of 8 (the final group zero-padded, which readers ignore because they know the
// value count). bit_width 0..32.
void encode_rle_hybrid(std::span<const std::uint32_t> values, int bit_width, ByteBuffer& out);
// Levels in a v1 data page: the hybrid encoding prefixed by its byte length as a 4-byte little-endian
// integer.
void encode_levels_v1(std::span<const std::int16_t> levels, int max_level, ByteBuffer& out);
// Dictionary indices in a data page: one byte holding the bit width, then the hybrid encoding without length.
void encode_dictionary_indices(std::span<const std::uint32_t> indices, std::size_t dictionary_size,
                               ByteBuffer& out);

// ---- Dictionary ----
// Maps each distinct value to its insertion index. `Value` is a fixed-width physical value (int32_t, int64_t,
// float, double compared by bit pattern so NaN payloads and -0.0 stay distinct) or std::string_view for byte
// arrays (views must stay valid while the builder lives). Tracks the PLAIN size of the dictionary page so the
// caller can fall back to PLAIN encoding once it passes the limit.
template <typename Value>
class DictionaryBuilder {
 public:
  explicit DictionaryBuilder(std::size_t byte_limit) : byte_limit_(byte_limit) {}

  // The index of `value`, adding it when new. Returns false (and adds nothing) once the dictionary's PLAIN
  // size would pass the byte limit; the builder stays full from then on.
  bool insert(const Value& value, std::uint32_t& index);

  bool overflowed() const { return overflowed_; }
  std::size_t size() const { return values_.size(); }
  std::size_t plain_bytes() const { return plain_bytes_; }
  const std::vector<Value>& values() const { return values_; }

 private:
  struct BitHash {
    std::size_t operator()(const Value& value) const;
  };
  struct BitEqual {
    bool operator()(const Value& a, const Value& b) const;
  };

  std::size_t byte_limit_;
  std::size_t plain_bytes_ = 0;
  bool overflowed_ = false;
  std::vector<Value> values_;
  std::unordered_map<Value, std::uint32_t, BitHash, BitEqual> index_;
};

extern template class DictionaryBuilder<std::int32_t>;
extern template class DictionaryBuilder<std::int64_t>;
extern template class DictionaryBuilder<float>;
extern template class DictionaryBuilder<double>;
extern template class DictionaryBuilder<std::string_view>;

// PLAIN encodes a dictionary's values as its dictionary page body.
void encode_dictionary_page(const DictionaryBuilder<std::int32_t>& dictionary, ByteBuffer& out);
void encode_dictionary_page(const DictionaryBuilder<std::int64_t>& dictionary, ByteBuffer& out);
void encode_dictionary_page(const DictionaryBuilder<float>& dictionary, ByteBuffer& out);
void encode_dictionary_page(const DictionaryBuilder<double>& dictionary, ByteBuffer& out);
void encode_dictionary_page(const DictionaryBuilder<std::string_view>& dictionary, ByteBuffer& out);
// A FIXED_LEN_BYTE_ARRAY dictionary: the values' bytes alone, without BYTE_ARRAY's length prefixes.
void encode_fixed_dictionary_page(const DictionaryBuilder<std::string_view>& dictionary, ByteBuffer& out);

}  // namespace driftgov::parquet
