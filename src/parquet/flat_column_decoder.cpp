#include "flat_column_decoder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "driftgov/core/error.hpp"

namespace driftgov::parquet {
namespace {

[[noreturn]] void malformed(const std::string& what) { throw core::InputError(what); }

// Short values are copied with one 16-byte move when both ends have room for it.
constexpr std::size_t kShortCopy = 16;
// An estimate of a chunk's string bytes is never trusted beyond this; past it the string grows as usual.
constexpr std::size_t kMaxByteReservation = std::size_t{1} << 28;

std::uint32_t read_u32_le(const char* bytes) {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes, 4);
  return value;
}

// `count` fixed-width values at `source`, one per row, appended to `target` without zero-filling it first where
// the source allows.
template <class Wire, class Stored>
void append_dense(const char* source, std::size_t count, std::vector<Stored>& target) {
  if constexpr (std::is_same_v<Wire, Stored>) {
    if (reinterpret_cast<std::uintptr_t>(source) % alignof(Stored) == 0) {
      // An aligned source (a page decompressed into its own buffer) is appended by one memmove into the
      // uninitialised tail.
      const auto* first = reinterpret_cast<const Stored*>(source);
      target.insert(target.end(), first, first + count);
      return;
    }
  }
  // Unaligned (after the levels) or widened: value by value, which still writes the target once where resizing
  // first would zero-fill it and then copy over the zeros.
  for (std::size_t i = 0; i < count; ++i) {
    Wire value;
    std::memcpy(&value, source + i * sizeof(Wire), sizeof(Wire));
    target.push_back(static_cast<Stored>(value));
  }
}

// `present` values at `source` spread over `count` rows by `valid`: a null row gets a zero. Eight rows at a time:
// all valid (long runs of defined values) are copied in bulk, all null are zeros, and mixed ones go branch-free,
// so a random null pattern costs no mispredictions: every row loads a value (clamped to the last one) and keeps it
// only when valid.
template <class Wire, class Stored>
void append_spaced(const char* source, std::size_t present, std::size_t count, const std::uint8_t* valid,
                   std::vector<Stored>& target) {
  if (present == 0) {
    target.insert(target.end(), count, Stored{});
    return;
  }
  constexpr std::uint64_t kAllValid = 0x0101010101010101ULL;
  const char* const last = source + (present - 1) * sizeof(Wire);
  std::size_t i = 0;
  while (i < count) {
    if (i + 8 <= count) {
      std::uint64_t block = 0;
      std::memcpy(&block, valid + i, 8);
      if (block == kAllValid) {
        append_dense<Wire, Stored>(source, 8, target);
        source += 8 * sizeof(Wire);
        i += 8;
        continue;
      }
      if (block == 0) {
        target.insert(target.end(), 8, Stored{});
        i += 8;
        continue;
      }
    }
    const std::size_t end = std::min(count, i + 8);
    for (; i < end; ++i) {
      Wire value;
      std::memcpy(&value, std::min(source, last), sizeof(Wire));
      target.push_back(valid[i] != 0 ? static_cast<Stored>(value) : Stored{});
      source += valid[i] * sizeof(Wire);
    }
  }
}

template <class Stored>
void gather_spaced(const std::uint32_t* indices, const Stored* dictionary, std::size_t present, std::size_t count,
                   const std::uint8_t* valid, std::vector<Stored>& target) {
  if (valid == nullptr || present == count) {
    for (std::size_t i = 0; i < count; ++i) target.push_back(dictionary[indices[i]]);
    return;
  }
  if (present == 0) {
    target.insert(target.end(), count, Stored{});
    return;
  }
  std::size_t next = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const Stored value = dictionary[indices[std::min(next, present - 1)]];
    target.push_back(valid[i] != 0 ? value : Stored{});
    next += valid[i];
  }
}

}  // namespace

bool FlatColumnDecoder::handles(Type physical) {
  return physical == Type::kBoolean || physical == Type::kInt32 || physical == Type::kInt64 ||
         physical == Type::kFloat || physical == Type::kDouble || physical == Type::kByteArray;
}

FlatColumnDecoder::FlatColumnDecoder(Type physical, int max_definition, std::size_t rows, FlatDecodeScratch& scratch,
                                     core::Column& out, std::vector<std::uint8_t>* row_levels)
    : physical_(physical),
      max_definition_(max_definition),
      nullable_(max_definition > 0),
      row_levels_(row_levels),
      expected_rows_(rows),
      scratch_(scratch),
      out_(out) {
  DRIFTGOV_CHECK(handles(physical), "flat decoding of physical type {}", to_string(physical));
  DRIFTGOV_CHECK(max_definition >= 0 && max_definition <= 255, "flat decoding with definition level {}",
                 max_definition);
  if (row_levels_ != nullptr) row_levels_->reserve(row_levels_->size() + rows);
  if (nullable_) out_.validity.reserve(rows);
  switch (physical_) {
    case Type::kFloat:
    case Type::kDouble:
      out_.doubles.reserve(rows);
      break;
    case Type::kByteArray:
      out_.offsets.reserve(rows + 1);
      if (out_.offsets.empty()) out_.offsets.push_back(0);
      break;
    default:
      out_.ints.reserve(rows);
      break;
  }
}

void FlatColumnDecoder::data_page(std::size_t count, Encoding encoding, const LevelBytes& definition,
                                  std::string_view values, const PhysicalValues* dictionary) {
  std::size_t present = count;
  const std::uint8_t* valid = nullptr;
  if (max_definition_ == 1 && row_levels_ == nullptr) {
    // With a maximum definition level of 1 each level is the row's validity byte.
    const std::size_t base = out_.validity.size();
    out_.validity.resize(base + count);
    decode_levels(definition, 1, count, out_.validity.data() + base);
    valid = out_.validity.data() + base;
    present = 0;
    for (std::size_t i = 0; i < count; ++i) present += valid[i];
  } else if (nullable_ || row_levels_ != nullptr) {
    std::vector<std::uint8_t>& levels = row_levels_ != nullptr ? *row_levels_ : scratch_.levels;
    const std::size_t level_base = row_levels_ != nullptr ? levels.size() : 0;
    levels.resize(level_base + count);
    std::uint8_t* page_levels = levels.data() + level_base;
    if (nullable_) {
      decode_levels(definition, max_definition_, count, page_levels);
      const auto maximum = static_cast<std::uint8_t>(max_definition_);
      std::uint8_t largest = 0;
      for (std::size_t i = 0; i < count; ++i) largest = std::max(largest, page_levels[i]);
      if (largest > maximum) malformed(fmt::format("definition level above the maximum {}", max_definition_));
      const std::size_t base = out_.validity.size();
      out_.validity.resize(base + count);
      std::uint8_t* row_valid = out_.validity.data() + base;
      present = 0;
      for (std::size_t i = 0; i < count; ++i) {
        row_valid[i] = page_levels[i] == maximum ? 1 : 0;
        present += row_valid[i];
      }
      valid = row_valid;
    } else {
      std::fill(page_levels, page_levels + count, std::uint8_t{0});
    }
  }
  if ((encoding == Encoding::kPlainDictionary || encoding == Encoding::kRleDictionary) && dictionary == nullptr) {
    malformed("dictionary-encoded page without a dictionary page");
  }
  switch (physical_) {
    case Type::kBoolean:
      boolean_page(encoding, values, count, present, valid, dictionary);
      break;
    case Type::kInt32:
      fixed_width_page<std::int32_t, std::int64_t>(encoding, values, count, present, valid, dictionary, out_.ints);
      break;
    case Type::kInt64:
      fixed_width_page<std::int64_t, std::int64_t>(encoding, values, count, present, valid, dictionary, out_.ints);
      break;
    case Type::kFloat:
      fixed_width_page<float, double>(encoding, values, count, present, valid, dictionary, out_.doubles);
      break;
    case Type::kDouble:
      fixed_width_page<double, double>(encoding, values, count, present, valid, dictionary, out_.doubles);
      break;
    default:
      byte_array_page(encoding, values, count, present, valid, dictionary);
      break;
  }
  rows_ += count;
  present_ += present;
}

template <class Wire, class Stored>
void FlatColumnDecoder::fixed_width_page(Encoding encoding, std::string_view values, std::size_t count,
                                         std::size_t present, const std::uint8_t* valid,
                                         const PhysicalValues* dictionary, std::vector<Stored>& target) {
  const bool dense = present == count;
  if (encoding == Encoding::kPlain) {
    if (present > values.size() / sizeof(Wire)) {
      malformed(fmt::format("PLAIN data of {} bytes is too short for {} values", values.size(), present));
    }
    if (dense) {
      append_dense<Wire, Stored>(values.data(), count, target);
    } else {
      append_spaced<Wire, Stored>(values.data(), present, count, valid, target);
    }
    return;
  }
  const auto dictionary_values = [](const PhysicalValues& source) -> const std::vector<Stored>& {
    if constexpr (std::is_same_v<Stored, double>) {
      return source.doubles;
    } else {
      return source.ints;
    }
  };
  if (encoding == Encoding::kPlainDictionary || encoding == Encoding::kRleDictionary) {
    decode_dictionary_indices(values, present, dictionary->size(), scratch_.indices);
    gather_spaced(scratch_.indices.data(), dictionary_values(*dictionary).data(), present, count, valid, target);
    return;
  }
  // Other encodings decode densely first (they are rare and carry their own per-value work).
  PhysicalValues& decoded = scratch_.dense;
  decoded.type = physical_;
  decoded.clear();
  decode_values(encoding, values, present, nullptr, decoded);
  const char* source = reinterpret_cast<const char*>(dictionary_values(decoded).data());
  if (dense) {
    append_dense<Stored, Stored>(source, count, target);
  } else {
    append_spaced<Stored, Stored>(source, present, count, valid, target);
  }
}

void FlatColumnDecoder::boolean_page(Encoding encoding, std::string_view values, std::size_t count,
                                     std::size_t present, const std::uint8_t* valid,
                                     const PhysicalValues* dictionary) {
  // Booleans are bit-packed (PLAIN) or run-length encoded: decoded densely, then spread over the rows.
  PhysicalValues& decoded = scratch_.dense;
  decoded.type = physical_;
  decoded.clear();
  decode_values(encoding, values, present, dictionary, decoded);
  const char* source = reinterpret_cast<const char*>(decoded.ints.data());
  if (present == count) {
    append_dense<std::int64_t, std::int64_t>(source, count, out_.ints);
  } else {
    append_spaced<std::int64_t, std::int64_t>(source, present, count, valid, out_.ints);
  }
}

void FlatColumnDecoder::byte_array_page(Encoding encoding, std::string_view values, std::size_t count,
                                        std::size_t present, const std::uint8_t* valid,
                                        const PhysicalValues* dictionary) {
  auto& offsets = out_.offsets;
  auto& bytes = out_.bytes;
  const auto row_valid = [&](std::size_t row) { return valid == nullptr || valid[row] != 0; };
  if (encoding == Encoding::kPlain) {
    // The page's values cannot add more bytes than the page holds.
    reserve_bytes(values.size(), count);
    std::size_t position = 0;
    std::size_t value = 0;
    for (std::size_t row = 0; row < count; ++row) {
      if (row_valid(row)) {
        if (values.size() - position < 4) {
          malformed(fmt::format("PLAIN byte array {} of {} runs past the end", value, present));
        }
        const std::uint32_t length = read_u32_le(values.data() + position);
        position += 4;
        if (length > values.size() - position) {
          malformed(fmt::format("PLAIN byte array {} of length {} runs past the end", value, length));
        }
        bytes.append(values.data() + position, length);
        position += length;
        ++value;
      }
      offsets.push_back(static_cast<std::int64_t>(bytes.size()));
    }
    return;
  }
  const bool from_dictionary = encoding == Encoding::kPlainDictionary || encoding == Encoding::kRleDictionary;
  const PhysicalValues* source = dictionary;
  if (from_dictionary) {
    decode_dictionary_indices(values, present, dictionary->size(), scratch_.indices);
  } else {
    PhysicalValues& decoded = scratch_.dense;
    decoded.type = physical_;
    decoded.clear();
    decode_values(encoding, values, present, nullptr, decoded);
    source = &decoded;
  }
  const std::uint32_t* indices = scratch_.indices.data();
  const auto source_index = [&](std::size_t value) -> std::size_t { return from_dictionary ? indices[value] : value; };
  const std::int64_t* source_offsets = source->offsets.data();
  // Size the bytes once for the page, then place each value.
  std::size_t total = 0;
  for (std::size_t value = 0; value < present; ++value) {
    const std::size_t index = source_index(value);
    total += static_cast<std::size_t>(source_offsets[index + 1] - source_offsets[index]);
  }
  std::size_t position = bytes.size();
  reserve_bytes(total, count);
  bytes.resize(position + total);
  char* destination = bytes.data();
  const char* source_bytes = source->bytes.data();
  const std::size_t source_room = source->bytes.size();
  std::size_t value = 0;
  for (std::size_t row = 0; row < count; ++row) {
    if (row_valid(row)) {
      const std::size_t index = source_index(value++);
      const auto begin = static_cast<std::size_t>(source_offsets[index]);
      const auto length = static_cast<std::size_t>(source_offsets[index + 1]) - begin;
      if (length <= kShortCopy && begin + kShortCopy <= source_room && position + kShortCopy <= bytes.size()) {
        std::memcpy(destination + position, source_bytes + begin, kShortCopy);
      } else {
        std::memcpy(destination + position, source_bytes + begin, length);
      }
      position += length;
    }
    offsets.push_back(static_cast<std::int64_t>(position));
  }
}

void FlatColumnDecoder::reserve_bytes(std::size_t page_bytes, std::size_t page_rows) {
  auto& bytes = out_.bytes;
  if (bytes.size() + page_bytes <= bytes.capacity()) return;
  // Growing page by page would copy the bytes at every doubling: reserve for the rest of the chunk at this page's
  // bytes per row instead.
  const std::size_t rows_left = expected_rows_ - std::min(expected_rows_, rows_);
  const std::size_t estimate = page_rows == 0 ? page_bytes : page_bytes / page_rows * rows_left + page_bytes;
  bytes.reserve(bytes.size() + std::max(page_bytes, std::min(estimate, kMaxByteReservation)));
}

void FlatColumnDecoder::finish() {
  out_.length = static_cast<std::int64_t>(rows_);
  if (nullable_ && present_ == rows_) out_.validity.clear();
}

}  // namespace driftgov::parquet
