#include "decoding.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/encoding.hpp"

namespace driftgov::parquet {

static_assert(std::endian::native == std::endian::little, "Parquet PLAIN values are read by memcpy on little-endian");

namespace {

[[noreturn]] void malformed(std::string_view what) { throw core::InputError(std::string(what)); }

std::uint64_t read_uleb128(std::string_view data, std::size_t& position) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (position >= data.size()) malformed("varint runs past the end of the page");
    const auto byte = static_cast<std::uint8_t>(data[position++]);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  malformed("varint longer than 10 bytes");
}

std::int64_t read_zigzag(std::string_view data, std::size_t& position) {
  const std::uint64_t value = read_uleb128(data, position);
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// `bit_width` (<= 64) bits starting at `bit_offset` of little-endian, LSB-first packed data; bytes past the end
// read as zero (callers check that the values they use lie inside).
std::uint64_t unpack_bits(std::string_view data, std::size_t bit_offset, int bit_width) {
  const std::size_t byte = bit_offset / 8;
  const int shift = static_cast<int>(bit_offset % 8);
  std::uint64_t low = 0;
  if (byte + 8 <= data.size()) {
    std::memcpy(&low, data.data() + byte, 8);  // a fixed-size copy compiles to one load
  } else if (byte < data.size()) {
    std::memcpy(&low, data.data() + byte, data.size() - byte);
  }
  std::uint64_t value = low >> shift;
  if (shift + bit_width > 64) {
    const auto high = byte + 8 < data.size() ? static_cast<std::uint8_t>(data[byte + 8]) : std::uint8_t{0};
    value |= static_cast<std::uint64_t>(high) << (64 - shift);
  }
  return bit_width == 64 ? value : value & ((std::uint64_t{1} << bit_width) - 1);
}

std::uint32_t read_u32_le(std::string_view data, std::size_t position) {
  std::uint32_t value = 0;
  std::memcpy(&value, data.data() + position, 4);
  return value;
}

}  // namespace

std::size_t PhysicalValues::size() const {
  switch (type) {
    case Type::kFloat:
    case Type::kDouble:
      return doubles.size();
    case Type::kByteArray:
    case Type::kFixedLenByteArray:
    case Type::kInt96:
      return offsets.size() - 1;
    default:
      return ints.size();
  }
}

void PhysicalValues::clear() {
  ints.clear();
  doubles.clear();
  offsets.assign(1, 0);
  bytes.clear();
}

RleBitPackedDecoder::RleBitPackedDecoder(std::string_view data, int bit_width) : data_(data), bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) malformed(fmt::format("RLE bit width {} outside 0..32", bit_width));
}

bool RleBitPackedDecoder::next_run() {
  if (position_ >= data_.size()) return false;
  const std::uint64_t header = read_uleb128(data_, position_);
  if ((header & 1) != 0) {
    const std::uint64_t groups = header >> 1;
    if (groups == 0 || groups > data_.size()) malformed("bit-packed run of an impossible length");
    const std::size_t bytes = static_cast<std::size_t>(groups) * static_cast<std::size_t>(bit_width_);
    // Writers may end the last run early; use only the values that are really there.
    const std::size_t available = std::min(bytes, data_.size() - position_);
    packed_ = data_.substr(position_, available);
    packed_index_ = 0;
    packed_left_ = bit_width_ == 0 ? static_cast<std::size_t>(groups) * 8
                                   : std::min<std::size_t>(static_cast<std::size_t>(groups) * 8,
                                                           available * 8 / static_cast<std::size_t>(bit_width_));
    position_ += available;
    return packed_left_ > 0;
  }
  repeated_left_ = static_cast<std::size_t>(header >> 1);
  const std::size_t value_bytes = (static_cast<std::size_t>(bit_width_) + 7) / 8;
  if (value_bytes > data_.size() - position_) malformed("RLE run value runs past the end of the data");
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < value_bytes; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(data_[position_ + i])) << (8 * i);
  }
  position_ += value_bytes;
  if (bit_width_ < 32 && (value >> bit_width_) != 0) {
    malformed(fmt::format("RLE run value {} wider than the bit width {}", value, bit_width_));
  }
  repeated_value_ = value;
  return true;
}

namespace {

// Eight values of `Width` bits from exactly the Width bytes at `source` (nothing past them is read, so a group
// at the very end of the data needs no slower path). With the width a constant every shift is one too.
template <int Width, class Value>
void unpack_group(const unsigned char* source, Value* out) {
  constexpr std::uint64_t mask = (std::uint64_t{1} << Width) - 1;
  if constexpr (Width == 1 && sizeof(Value) == 1) {
    // Levels of optional columns: spread the eight bits over eight bytes at once. Multiplying copies the byte
    // into every byte lane, the mask keeps bit k in lane k, and adding 0x7F carries any set bit into bit 7.
    const std::uint64_t spread = (source[0] * 0x0101010101010101ULL) & 0x8040201008040201ULL;
    const std::uint64_t bytes = ((spread + 0x7F7F7F7F7F7F7F7FULL) >> 7) & 0x0101010101010101ULL;
    std::memcpy(out, &bytes, 8);
  } else if constexpr (Width <= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, source, Width);
    for (int k = 0; k < 8; ++k) out[k] = static_cast<Value>((word >> (k * Width)) & mask);
  } else {
    unsigned char group[Width + 8] = {};
    std::memcpy(group, source, Width);
    for (int k = 0; k < 8; ++k) {
      std::uint64_t word = 0;
      std::memcpy(&word, group + k * Width / 8, 8);
      out[k] = static_cast<Value>((word >> (k * Width % 8)) & mask);
    }
  }
}

template <class Value>
using GroupUnpacker = void (*)(const unsigned char*, Value*);

template <class Value, int... Widths>
constexpr std::array<GroupUnpacker<Value>, sizeof...(Widths) + 1> group_unpackers(
    std::integer_sequence<int, Widths...>) {
  return {nullptr, &unpack_group<Widths + 1, Value>...};
}

// Indexed by bit width 1..32 (entry 0 unused: width 0 never reaches a packed run's values).
template <class Value>
constexpr auto kGroupUnpackers = group_unpackers<Value>(std::make_integer_sequence<int, 32>{});

}  // namespace

template <class Value>
void RleBitPackedDecoder::decode_into(Value* out, std::size_t count) {
  std::size_t done = 0;
  while (done < count) {
    if (repeated_left_ > 0) {
      const std::size_t take = std::min(repeated_left_, count - done);
      std::fill_n(out + done, take, static_cast<Value>(repeated_value_));
      repeated_left_ -= take;
      done += take;
    } else if (packed_left_ > 0) {
      const std::size_t take = std::min(packed_left_, count - done);
      const auto width = static_cast<std::size_t>(bit_width_);
      std::size_t i = 0;
      if (width == 0) {
        std::fill_n(out + done, take, Value{0});
        i = take;
      } else if (packed_index_ % 8 == 0) {
        // Whole groups of eight whose bytes lie inside the run.
        const GroupUnpacker<Value> unpack = kGroupUnpackers<Value>[width];
        const auto* bytes = reinterpret_cast<const unsigned char*>(packed_.data());
        for (; i + 8 <= take && (packed_index_ + i) / 8 * width + width <= packed_.size(); i += 8) {
          unpack(bytes + (packed_index_ + i) / 8 * width, out + done + i);
        }
      }
      for (; i < take; ++i) {
        out[done + i] = static_cast<Value>(unpack_bits(packed_, (packed_index_ + i) * width, bit_width_));
      }
      packed_index_ += take;
      packed_left_ -= take;
      done += take;
    } else if (!next_run()) {
      malformed(fmt::format("RLE/bit-packed data ends after {} of {} values", done, count));
    }
  }
}

void RleBitPackedDecoder::decode(std::uint32_t* out, std::size_t count) { decode_into(out, count); }

void RleBitPackedDecoder::decode(std::uint8_t* out, std::size_t count) {
  DRIFTGOV_CHECK(bit_width_ <= 8, "byte-wide decoding of {}-bit values", bit_width_);
  decode_into(out, count);
}

std::size_t split_levels_v1(Encoding encoding, std::string_view data, int max_level, std::size_t count,
                            LevelBytes& out) {
  out.encoding = encoding;
  if (encoding == Encoding::kRle) {
    if (data.size() < 4) malformed("level data shorter than its 4-byte length");
    const std::uint32_t length = read_u32_le(data, 0);
    if (length > data.size() - 4) malformed(fmt::format("level data length {} exceeds the page", length));
    out.data = data.substr(4, length);
    return 4 + static_cast<std::size_t>(length);
  }
  if (encoding == Encoding::kBitPacked) {
    const std::size_t bytes = (count * static_cast<std::size_t>(bit_width_for(static_cast<std::uint64_t>(max_level))) + 7) / 8;
    if (bytes > data.size()) malformed("BIT_PACKED levels run past the end of the page");
    out.data = data.substr(0, bytes);
    return bytes;
  }
  throw core::UnsupportedError(fmt::format("level encoding {} is not supported", to_string(encoding)));
}

namespace {

template <class Value>
void decode_level_bytes(const LevelBytes& levels, int max_level, std::size_t count, Value* out) {
  const int bit_width = bit_width_for(static_cast<std::uint64_t>(max_level));
  if (levels.encoding == Encoding::kRle) {
    RleBitPackedDecoder decoder(levels.data, bit_width);
    decoder.decode(out, count);
    return;
  }
  // Deprecated BIT_PACKED: most significant bit first, no header; split_levels_v1 checked the length.
  const std::string_view data = levels.data;
  if ((count * static_cast<std::size_t>(bit_width) + 7) / 8 > data.size()) {
    malformed("BIT_PACKED levels run past the end of the page");
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t value = 0;
    for (int bit = 0; bit < bit_width; ++bit) {
      const std::size_t position = i * static_cast<std::size_t>(bit_width) + static_cast<std::size_t>(bit);
      value = (value << 1) | ((static_cast<std::uint8_t>(data[position / 8]) >> (7 - position % 8)) & 1U);
    }
    out[i] = static_cast<Value>(value);
  }
}

}  // namespace

void decode_levels(const LevelBytes& levels, int max_level, std::size_t count, std::uint32_t* out) {
  decode_level_bytes(levels, max_level, count, out);
}

void decode_levels(const LevelBytes& levels, int max_level, std::size_t count, std::uint8_t* out) {
  DRIFTGOV_CHECK(max_level <= 255, "byte-wide levels up to {}", max_level);
  decode_level_bytes(levels, max_level, count, out);
}

std::size_t decode_levels_v1(Encoding encoding, std::string_view data, int max_level, std::size_t count,
                             std::vector<std::uint32_t>& out) {
  LevelBytes levels;
  const std::size_t used = split_levels_v1(encoding, data, max_level, count, levels);
  out.resize(count);
  decode_levels(levels, max_level, count, out.data());
  return used;
}

void decode_levels_v2(std::string_view data, int max_level, std::size_t count, std::vector<std::uint32_t>& out) {
  out.resize(count);
  decode_levels(LevelBytes{Encoding::kRle, data}, max_level, count, out.data());
}

void decode_dictionary_indices(std::string_view data, std::size_t count, std::size_t dictionary_size,
                               std::vector<std::uint32_t>& indices) {
  if (indices.size() < count) indices.resize(count);
  if (count == 0) return;
  if (data.empty()) malformed("dictionary-encoded page has no bit width");
  const int bit_width = static_cast<std::uint8_t>(data[0]);
  RleBitPackedDecoder decoder(data.substr(1), bit_width);
  decoder.decode(indices.data(), count);
  // One branch-free pass for the largest index; the message then names the first offender.
  std::uint32_t largest = 0;
  for (std::size_t i = 0; i < count; ++i) largest = std::max(largest, indices[i]);
  if (largest >= dictionary_size) {
    const auto index = *std::find_if(indices.begin(), indices.begin() + static_cast<std::ptrdiff_t>(count),
                                     [&](std::uint32_t value) { return value >= dictionary_size; });
    malformed(fmt::format("dictionary index {} outside a dictionary of {} values", index, dictionary_size));
  }
}

std::size_t decode_delta_binary_packed(std::string_view data, std::size_t count, bool is_int32,
                                       std::vector<std::int64_t>& out) {
  std::size_t position = 0;
  const std::uint64_t block_size = read_uleb128(data, position);
  const std::uint64_t miniblocks = read_uleb128(data, position);
  const std::uint64_t total = read_uleb128(data, position);
  std::uint64_t value = static_cast<std::uint64_t>(read_zigzag(data, position));
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1U << 20) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    malformed(fmt::format("DELTA_BINARY_PACKED header with block size {} and {} miniblocks", block_size, miniblocks));
  }
  if (total < count) malformed(fmt::format("DELTA_BINARY_PACKED holds {} values where {} are needed", total, count));
  const std::size_t per_miniblock = static_cast<std::size_t>(block_size / miniblocks);
  auto emit = [&](std::uint64_t raw) {
    out.push_back(is_int32 ? static_cast<std::int64_t>(static_cast<std::int32_t>(static_cast<std::uint32_t>(raw)))
                           : static_cast<std::int64_t>(raw));
  };
  // The stream is walked to its end (`total` values) so that the returned length is right, but values past
  // `count` are not computed: a hostile header announcing 2^60 zero-width values then costs nothing.
  std::size_t produced = 0;
  if (total > 0) {
    if (count > 0) emit(value);
    produced = 1;
  }
  std::vector<std::uint8_t> widths(static_cast<std::size_t>(miniblocks));
  while (produced < total) {
    const auto min_delta = static_cast<std::uint64_t>(read_zigzag(data, position));
    if (miniblocks > data.size() - position) malformed("DELTA_BINARY_PACKED bit widths run past the end");
    std::memcpy(widths.data(), data.data() + position, widths.size());
    position += widths.size();
    for (std::size_t m = 0; m < widths.size() && produced < total; ++m) {
      const int width = widths[m];
      // Some writers compute INT32 deltas in 64 bits (widths up to 33); the wrapped sum is the same value.
      if (width > 64) malformed(fmt::format("DELTA_BINARY_PACKED bit width {} exceeds 64", width));
      const std::size_t bytes = per_miniblock * static_cast<std::size_t>(width) / 8;
      const std::size_t take = std::min<std::size_t>(per_miniblock, static_cast<std::size_t>(total - produced));
      const std::size_t needed = (take * static_cast<std::size_t>(width) + 7) / 8;
      if (needed > data.size() - position) malformed("DELTA_BINARY_PACKED miniblock runs past the end");
      const std::string_view packed = data.substr(position, std::min(bytes, data.size() - position));
      const std::size_t wanted = produced < count ? std::min(take, count - produced) : 0;
      for (std::size_t i = 0; i < wanted; ++i) {
        const std::uint64_t delta = width == 0 ? 0 : unpack_bits(packed, i * static_cast<std::size_t>(width), width);
        value += min_delta + delta;  // wrapping arithmetic, as the format specifies
        emit(value);
      }
      produced += take;
      position += std::min(bytes, data.size() - position);
    }
  }
  return position;
}

namespace {

// Fixed-width little-endian values, widened to the stored type.
template <class Wire, class Stored>
void append_plain(std::string_view data, std::size_t count, std::vector<Stored>& out) {
  if (count > data.size() / sizeof(Wire)) {
    malformed(fmt::format("PLAIN data of {} bytes is too short for {} values", data.size(), count));
  }
  const std::size_t start = out.size();
  out.resize(start + count);
  if constexpr (std::is_same_v<Wire, Stored>) {
    if (count != 0) std::memcpy(out.data() + start, data.data(), count * sizeof(Wire));
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      Wire value{};
      std::memcpy(&value, data.data() + sizeof(Wire) * i, sizeof(Wire));
      out[start + i] = value;
    }
  }
}

void decode_plain(std::string_view data, std::size_t count, PhysicalValues& out) {
  auto need = [&](std::size_t bytes) {
    if (bytes > data.size()) malformed(fmt::format("PLAIN data of {} bytes is too short for {} values", data.size(), count));
  };
  switch (out.type) {
    case Type::kBoolean: {
      need((count + 7) / 8);
      for (std::size_t i = 0; i < count; ++i) out.ints.push_back((static_cast<std::uint8_t>(data[i / 8]) >> (i % 8)) & 1);
      return;
    }
    case Type::kInt32:
      return append_plain<std::int32_t>(data, count, out.ints);
    case Type::kInt64:
      return append_plain<std::int64_t>(data, count, out.ints);
    case Type::kFloat:
      return append_plain<float>(data, count, out.doubles);
    case Type::kDouble:
      return append_plain<double>(data, count, out.doubles);
    case Type::kInt96:
    case Type::kFixedLenByteArray: {
      const std::size_t width = out.type == Type::kInt96 ? 12 : static_cast<std::size_t>(out.type_length);
      need(count * width);
      out.bytes.append(data.data(), count * width);
      std::int64_t end = out.offsets.back();
      for (std::size_t i = 0; i < count; ++i) out.offsets.push_back(end += static_cast<std::int64_t>(width));
      return;
    }
    case Type::kByteArray: {
      std::size_t position = 0;
      out.offsets.reserve(out.offsets.size() + count);
      for (std::size_t i = 0; i < count; ++i) {
        if (data.size() - position < 4) malformed(fmt::format("PLAIN byte array {} of {} runs past the end", i, count));
        const std::uint32_t length = read_u32_le(data, position);
        position += 4;
        if (length > data.size() - position) {
          malformed(fmt::format("PLAIN byte array {} of length {} runs past the end", i, length));
        }
        out.append_binary(data.substr(position, length));
        position += length;
      }
      return;
    }
  }
  malformed(fmt::format("unknown physical type {}", static_cast<int>(out.type)));
}

void gather_dictionary(std::string_view data, std::size_t count, const PhysicalValues& dictionary,
                       PhysicalValues& out) {
  std::vector<std::uint32_t> buffer;
  decode_dictionary_indices(data, count, dictionary.size(), buffer);
  const std::span<const std::uint32_t> indices(buffer.data(), count);
  switch (out.type) {
    case Type::kFloat:
    case Type::kDouble:
      for (const auto index : indices) out.doubles.push_back(dictionary.doubles[index]);
      return;
    case Type::kByteArray:
    case Type::kFixedLenByteArray:
    case Type::kInt96:
      for (const auto index : indices) out.append_binary(dictionary.binary_at(index));
      return;
    default:
      for (const auto index : indices) out.ints.push_back(dictionary.ints[index]);
      return;
  }
}

void decode_rle_booleans(std::string_view data, std::size_t count, PhysicalValues& out) {
  if (data.size() < 4) malformed("RLE boolean data shorter than its 4-byte length");
  const std::uint32_t length = read_u32_le(data, 0);
  if (length > data.size() - 4) malformed(fmt::format("RLE boolean data length {} exceeds the page", length));
  RleBitPackedDecoder decoder(data.substr(4, length), 1);
  std::vector<std::uint32_t> values(count);
  decoder.decode(values.data(), count);
  out.ints.insert(out.ints.end(), values.begin(), values.end());
}

void decode_delta_length_byte_array(std::string_view data, std::size_t count, PhysicalValues& out) {
  std::vector<std::int64_t> lengths;
  std::size_t position = decode_delta_binary_packed(data, count, true, lengths);
  for (std::size_t i = 0; i < count; ++i) {
    const auto length = lengths[i];
    if (length < 0 || static_cast<std::uint64_t>(length) > data.size() - position) {
      malformed(fmt::format("DELTA_LENGTH_BYTE_ARRAY value {} of length {} runs past the end", i, length));
    }
    out.append_binary(data.substr(position, static_cast<std::size_t>(length)));
    position += static_cast<std::size_t>(length);
  }
}

void decode_delta_byte_array(std::string_view data, std::size_t count, PhysicalValues& out) {
  std::vector<std::int64_t> prefixes;
  std::vector<std::int64_t> suffix_lengths;
  std::size_t position = decode_delta_binary_packed(data, count, true, prefixes);
  position += decode_delta_binary_packed(data.substr(position), count, true, suffix_lengths);
  std::string previous;
  std::string current;
  for (std::size_t i = 0; i < count; ++i) {
    const auto prefix = prefixes[i];
    const auto suffix = suffix_lengths[i];
    if (prefix < 0 || static_cast<std::uint64_t>(prefix) > previous.size()) {
      malformed(fmt::format("DELTA_BYTE_ARRAY prefix {} longer than the previous value", prefix));
    }
    if (suffix < 0 || static_cast<std::uint64_t>(suffix) > data.size() - position) {
      malformed(fmt::format("DELTA_BYTE_ARRAY suffix {} of length {} runs past the end", i, suffix));
    }
    current.assign(previous, 0, static_cast<std::size_t>(prefix));
    current.append(data.substr(position, static_cast<std::size_t>(suffix)));
    position += static_cast<std::size_t>(suffix);
    if (out.type == Type::kFixedLenByteArray && current.size() != static_cast<std::size_t>(out.type_length)) {
      malformed(fmt::format("DELTA_BYTE_ARRAY value of {} bytes in a column of width {}", current.size(),
                            out.type_length));
    }
    out.append_binary(current);
    std::swap(previous, current);
  }
}

void decode_byte_stream_split(std::string_view data, std::size_t count, PhysicalValues& out) {
  std::size_t width = 0;
  switch (out.type) {
    case Type::kFloat: case Type::kInt32: width = 4; break;
    case Type::kDouble: case Type::kInt64: width = 8; break;
    case Type::kFixedLenByteArray: width = static_cast<std::size_t>(out.type_length); break;
    default:
      throw core::UnsupportedError(
          fmt::format("BYTE_STREAM_SPLIT is not defined for physical type {}", to_string(out.type)));
  }
  if (width == 0 || count > data.size() / width) {
    malformed(fmt::format("BYTE_STREAM_SPLIT data of {} bytes is too short for {} values", data.size(), count));
  }
  // The streams are `data.size() / width` long (a page may carry more values than the non-null count asks for).
  const std::size_t stream = data.size() / width;
  std::string joined(count * width, '\0');
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t b = 0; b < width; ++b) joined[i * width + b] = data[b * stream + i];
  }
  decode_plain(joined, count, out);
}

}  // namespace

void decode_values(Encoding encoding, std::string_view data, std::size_t count, const PhysicalValues* dictionary,
                   PhysicalValues& out) {
  const bool is_binary = out.type == Type::kByteArray || out.type == Type::kFixedLenByteArray;
  switch (encoding) {
    case Encoding::kPlain:
      return decode_plain(data, count, out);
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary:
      if (dictionary == nullptr) malformed("dictionary-encoded page without a dictionary page");
      return gather_dictionary(data, count, *dictionary, out);
    case Encoding::kRle:
      if (out.type == Type::kBoolean) return decode_rle_booleans(data, count, out);
      break;
    case Encoding::kDeltaBinaryPacked:
      if (out.type == Type::kInt32 || out.type == Type::kInt64) {
        decode_delta_binary_packed(data, count, out.type == Type::kInt32, out.ints);
        return;
      }
      break;
    case Encoding::kDeltaLengthByteArray:
      if (out.type == Type::kByteArray) return decode_delta_length_byte_array(data, count, out);
      break;
    case Encoding::kDeltaByteArray:
      if (is_binary) return decode_delta_byte_array(data, count, out);
      break;
    case Encoding::kByteStreamSplit:
      return decode_byte_stream_split(data, count, out);
    default:
      break;
  }
  throw core::UnsupportedError(
      fmt::format("encoding {} for physical type {} is not supported", to_string(encoding), to_string(out.type)));
}

}  // namespace driftgov::parquet
