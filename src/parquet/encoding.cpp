#include "driftgov/parquet/encoding.hpp"

#include <xxhash.h>

#include <bit>
#include <cstring>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/thrift_compact.hpp"

namespace driftgov::parquet {
namespace {

static_assert(std::endian::native == std::endian::little,
              "PLAIN encoding copies values in native byte order");

template <typename Value>
void append_raw(std::span<const Value> values, ByteBuffer& out) {
  const auto old_size = out.size();
  out.resize(old_size + values.size_bytes());
  if (!values.empty()) std::memcpy(out.data() + old_size, values.data(), values.size_bytes());
}

void append_le32(std::uint32_t value, ByteBuffer& out) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

// A run of identical values: header (count << 1), then the value in ceil(bit_width / 8) little-endian bytes.
void append_rle_run(std::uint32_t value, std::size_t count, int bit_width, ByteBuffer& out) {
  thrift::append_varint(out, static_cast<std::uint64_t>(count) << 1);
  for (int byte = 0; byte < (bit_width + 7) / 8; ++byte)
    out.push_back(static_cast<char>(value >> (8 * byte)));
}

// Bit-packed groups of 8 values: header (groups << 1 | 1), then each value's low bits, least significant
// first. A final partial group is padded with zeros.
void append_bit_packed(std::span<const std::uint32_t> values, int bit_width, ByteBuffer& out) {
  const std::size_t groups = (values.size() + 7) / 8;
  thrift::append_varint(out, (static_cast<std::uint64_t>(groups) << 1) | 1);
  const std::size_t total_values = groups * 8;
  std::uint64_t accumulator = 0;
  int bits = 0;
  for (std::size_t i = 0; i < total_values; ++i) {
    const std::uint64_t value = i < values.size() ? values[i] : 0;
    accumulator |= value << bits;
    bits += bit_width;
    while (bits >= 8) {
      out.push_back(static_cast<char>(accumulator));
      accumulator >>= 8;
      bits -= 8;
    }
  }
  // 8 values of any width fill whole bytes, so nothing is left over.
  DRIFTGOV_CHECK(bits == 0, "bit packing left {} bits", bits);
}

std::uint64_t mix_bits(std::uint64_t bits) {
  // Fibonacci hashing spreads small consecutive integers over the whole table.
  return (bits * 0x9E3779B97F4A7C15ULL) ^ (bits >> 29);
}

template <typename Value>
std::uint64_t bit_pattern(const Value& value) {
  if constexpr (sizeof(Value) == 4) {
    return std::bit_cast<std::uint32_t>(value);
  } else {
    return std::bit_cast<std::uint64_t>(value);
  }
}

}  // namespace

void encode_plain_booleans(std::span<const std::uint8_t> values, ByteBuffer& out) {
  std::uint8_t current = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i]) current |= static_cast<std::uint8_t>(1u << (i % 8));
    if (i % 8 == 7) {
      out.push_back(static_cast<char>(current));
      current = 0;
    }
  }
  if (values.size() % 8 != 0) out.push_back(static_cast<char>(current));
}

void encode_plain_int32(std::span<const std::int32_t> values, ByteBuffer& out) { append_raw(values, out); }
void encode_plain_int64(std::span<const std::int64_t> values, ByteBuffer& out) { append_raw(values, out); }
void encode_plain_float(std::span<const float> values, ByteBuffer& out) { append_raw(values, out); }
void encode_plain_double(std::span<const double> values, ByteBuffer& out) { append_raw(values, out); }

void encode_plain_byte_array(std::string_view value, ByteBuffer& out) {
  append_le32(static_cast<std::uint32_t>(value.size()), out);
  out.append(value);
}

void encode_plain_fixed(std::string_view value, ByteBuffer& out) { out.append(value); }

int bit_width_for(std::uint64_t max_value) { return static_cast<int>(std::bit_width(max_value)); }

void encode_rle_hybrid(std::span<const std::uint32_t> values, int bit_width, ByteBuffer& out) {
  DRIFTGOV_CHECK(bit_width >= 0 && bit_width <= 32, "bit width {}", bit_width);
  const std::size_t count = values.size();
  std::size_t literal_start = 0;
  std::size_t position = 0;
  while (position < count) {
    std::size_t run_end = position + 1;
    while (run_end < count && values[run_end] == values[position]) ++run_end;
    std::size_t run_length = run_end - position;
    if (run_length < 8) {
      position = run_end;
      continue;
    }
    // A bit-packed run must hold a multiple of 8 values unless it ends the data, so the pending literals
    // borrow the first values of this run to complete their last group; at least one value stays in the RLE
    // run.
    const std::size_t literal_count = position - literal_start;
    if (literal_count > 0) {
      const std::size_t borrowed = (8 - literal_count % 8) % 8;
      append_bit_packed(values.subspan(literal_start, literal_count + borrowed), bit_width, out);
      position += borrowed;
      run_length -= borrowed;
    }
    append_rle_run(values[position], run_length, bit_width, out);
    position = run_end;
    literal_start = run_end;
  }
  if (literal_start < count) append_bit_packed(values.subspan(literal_start), bit_width, out);
}

void encode_levels_v1(std::span<const std::int16_t> levels, int max_level, ByteBuffer& out) {
  std::vector<std::uint32_t> widened(levels.begin(), levels.end());
  const auto length_position = out.size();
  append_le32(0, out);
  encode_rle_hybrid(widened, bit_width_for(static_cast<std::uint64_t>(max_level)), out);
  const auto length = static_cast<std::uint32_t>(out.size() - length_position - 4);
  for (int byte = 0; byte < 4; ++byte) out[length_position + byte] = static_cast<char>(length >> (8 * byte));
}

void encode_dictionary_indices(std::span<const std::uint32_t> indices, std::size_t dictionary_size,
                               ByteBuffer& out) {
  // A width of at least 1 keeps single-entry dictionaries away from zero-width edge cases in older readers.
  const int bit_width = std::max(1, bit_width_for(dictionary_size > 0 ? dictionary_size - 1 : 0));
  out.push_back(static_cast<char>(bit_width));
  encode_rle_hybrid(indices, bit_width, out);
}

template <typename Value>
std::size_t DictionaryBuilder<Value>::BitHash::operator()(const Value& value) const {
  if constexpr (std::is_same_v<Value, std::string_view>) {
    return static_cast<std::size_t>(XXH3_64bits(value.data(), value.size()));
  } else {
    return static_cast<std::size_t>(mix_bits(bit_pattern(value)));
  }
}

template <typename Value>
bool DictionaryBuilder<Value>::BitEqual::operator()(const Value& a, const Value& b) const {
  if constexpr (std::is_same_v<Value, std::string_view>) {
    return a == b;
  } else {
    return bit_pattern(a) == bit_pattern(b);
  }
}

template <typename Value>
bool DictionaryBuilder<Value>::insert(const Value& value, std::uint32_t& index) {
  if (overflowed_) return false;
  auto found = index_.find(value);
  if (found != index_.end()) {
    index = found->second;
    return true;
  }
  std::size_t added_bytes = sizeof(Value);
  if constexpr (std::is_same_v<Value, std::string_view>) added_bytes = plain_byte_array_size(value);
  if (plain_bytes_ + added_bytes > byte_limit_) {
    overflowed_ = true;
    return false;
  }
  index = static_cast<std::uint32_t>(values_.size());
  values_.push_back(value);
  index_.emplace(value, index);
  plain_bytes_ += added_bytes;
  return true;
}

template class DictionaryBuilder<std::int32_t>;
template class DictionaryBuilder<std::int64_t>;
template class DictionaryBuilder<float>;
template class DictionaryBuilder<double>;
template class DictionaryBuilder<std::string_view>;

void encode_dictionary_page(const DictionaryBuilder<std::int32_t>& dictionary, ByteBuffer& out) {
  encode_plain_int32(dictionary.values(), out);
}
void encode_dictionary_page(const DictionaryBuilder<std::int64_t>& dictionary, ByteBuffer& out) {
  encode_plain_int64(dictionary.values(), out);
}
void encode_dictionary_page(const DictionaryBuilder<float>& dictionary, ByteBuffer& out) {
  encode_plain_float(dictionary.values(), out);
}
void encode_dictionary_page(const DictionaryBuilder<double>& dictionary, ByteBuffer& out) {
  encode_plain_double(dictionary.values(), out);
}
void encode_dictionary_page(const DictionaryBuilder<std::string_view>& dictionary, ByteBuffer& out) {
  for (const auto& value : dictionary.values()) encode_plain_byte_array(value, out);
}
void encode_fixed_dictionary_page(const DictionaryBuilder<std::string_view>& dictionary, ByteBuffer& out) {
  for (const auto& value : dictionary.values()) encode_plain_fixed(value, out);
}

}  // namespace driftgov::parquet
