#include "driftgov/delta/deletion_vector.hpp"

#include <fmt/format.h>
#include <roaring/roaring.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/actions.hpp"
#include "driftgov/io/storage.hpp"

namespace driftgov::delta {
namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr std::uint32_t kBitmapArrayMagic = 1681511377;        // portable 64-bit layout
constexpr std::uint32_t kNativeBitmapArrayMagic = 1681511376;  // one length-prefixed bitmap per high word
constexpr std::size_t kEncodedUuidLength = 20;

struct RoaringDeleter {
  void operator()(roaring_bitmap_t* bitmap) const { roaring_bitmap_free(bitmap); }
};
using RoaringPointer = std::unique_ptr<roaring_bitmap_t, RoaringDeleter>;

std::uint32_t read_little_32(std::string_view bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

std::uint64_t read_little_64(std::string_view bytes, std::size_t offset) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

std::uint32_t read_big_32(std::string_view bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

void append_little(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::string read_range(io::Storage& storage, const std::string& path, std::int64_t offset, std::int64_t length,
                       std::string_view context) {
  if (!storage.stat(path)) {
    throw core::InputError(fmt::format("{}: deletion vector file {} cannot be opened", context, path));
  }
  const auto file = storage.open_read(path);
  if (offset < 0 || length < 0 || offset > file->size() || length > file->size() - offset) {
    throw core::InputError(fmt::format("{}: deletion vector file {}: expected {} bytes at offset {}, file is shorter",
                                       context, path, length, offset));
  }
  std::string bytes(static_cast<std::size_t>(length), '\0');
  file->read_at(offset, length, bytes.data());
  return bytes;
}

}  // namespace

bool DeletionVector::contains(std::uint64_t row) const { return std::binary_search(rows_.begin(), rows_.end(), row); }

std::string z85_decode(std::string_view text, std::string_view context) {
  if (text.size() % 5 != 0) {
    throw core::InputError(fmt::format("{}: Z85 text of length {} is not a multiple of 5", context, text.size()));
  }
  std::array<int, 256> values;
  values.fill(-1);
  for (std::size_t i = 0; i < kZ85Alphabet.size(); ++i) values[static_cast<unsigned char>(kZ85Alphabet[i])] = static_cast<int>(i);
  std::string bytes;
  bytes.reserve(text.size() / 5 * 4);
  for (std::size_t position = 0; position < text.size(); position += 5) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      const int digit = values[static_cast<unsigned char>(text[position + i])];
      if (digit < 0) {
        throw core::InputError(
            fmt::format("{}: character '{}' at offset {} is not Z85", context, text[position + i], position + i));
      }
      value = value * 85 + static_cast<std::uint64_t>(digit);
    }
    if (value > 0xffffffffULL) {
      throw core::InputError(fmt::format("{}: Z85 group at offset {} overflows 32 bits", context, position));
    }
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((value >> shift) & 0xff);
  }
  return bytes;
}

std::string z85_encode(std::string_view bytes) {
  std::string padded(bytes);
  padded.resize((bytes.size() + 3) / 4 * 4, '\0');
  std::string text;
  text.reserve(padded.size() / 4 * 5);
  for (std::size_t position = 0; position < padded.size(); position += 4) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(padded[position + i]);
    char group[5];
    for (int i = 4; i >= 0; --i) {
      group[i] = kZ85Alphabet[value % 85];
      value /= 85;
    }
    text.append(group, 5);
  }
  return text;
}

namespace {

// Appends the values of one serialized 32-bit Roaring bitmap at `position`, under the high word `key`.
// Returns the number of bytes the bitmap occupied.
std::size_t append_bucket(std::string_view bytes, std::size_t position, std::uint64_t key,
                          std::vector<std::uint64_t>& rows, std::string_view context, std::uint64_t bucket) {
  const char* data = bytes.data() + position;
  const std::size_t available = bytes.size() - position;
  const std::size_t size = roaring_bitmap_portable_deserialize_size(data, available);
  RoaringPointer bitmap(size == 0 ? nullptr : roaring_bitmap_portable_deserialize_safe(data, available));
  if (!bitmap) {
    throw core::InputError(fmt::format("{}: deletion vector bucket {} is not a valid Roaring bitmap", context, bucket));
  }
  const std::uint64_t count = roaring_bitmap_get_cardinality(bitmap.get());
  std::vector<std::uint32_t> low(count);
  roaring_bitmap_to_uint32_array(bitmap.get(), low.data());
  for (const auto value : low) rows.push_back((key << 32) | value);
  return size;
}

}  // namespace

DeletionVector decode_bitmap_array(std::string_view bytes, std::string_view context) {
  if (bytes.size() < 8) {
    throw core::InputError(fmt::format("{}: deletion vector of {} bytes is too short", context, bytes.size()));
  }
  const std::uint32_t magic = read_little_32(bytes, 0);
  std::vector<std::uint64_t> rows;
  std::size_t position = 0;
  if (magic == kBitmapArrayMagic) {
    // Portable: 8-byte bucket count, then (4-byte key, bitmap) per bucket with increasing keys below 2^31.
    if (bytes.size() < 12) {
      throw core::InputError(fmt::format("{}: deletion vector of {} bytes is too short", context, bytes.size()));
    }
    const std::uint64_t buckets = read_little_64(bytes, 4);
    position = 12;
    std::int64_t previous_key = -1;
    for (std::uint64_t bucket = 0; bucket < buckets; ++bucket) {
      if (position + 4 > bytes.size()) {
        throw core::InputError(
            fmt::format("{}: deletion vector truncated in bucket {} of {}", context, bucket, buckets));
      }
      const std::uint32_t key = read_little_32(bytes, position);
      position += 4;
      if (static_cast<std::int64_t>(key) <= previous_key || (key & 0x80000000U) != 0) {
        throw core::InputError(fmt::format(
            "{}: deletion vector bucket keys must increase and be below 2^31 (bucket {})", context, bucket));
      }
      previous_key = key;
      position += append_bucket(bytes, position, key, rows, context, bucket);
    }
  } else if (magic == kNativeBitmapArrayMagic) {
    // Native (older writers): 4-byte bitmap count, then (4-byte size, bitmap) per bitmap; the index is the key.
    const std::uint32_t buckets = read_little_32(bytes, 4);
    position = 8;
    for (std::uint32_t bucket = 0; bucket < buckets; ++bucket) {
      if (position + 4 > bytes.size()) {
        throw core::InputError(
            fmt::format("{}: deletion vector truncated in bitmap {} of {}", context, bucket, buckets));
      }
      const std::uint32_t size = read_little_32(bytes, position);
      position += 4;
      const std::size_t used = append_bucket(bytes, position, bucket, rows, context, bucket);
      if (used != size) {
        throw core::InputError(fmt::format("{}: deletion vector bitmap {} has {} bytes, its header says {}", context,
                                           bucket, used, size));
      }
      position += used;
    }
  } else {
    throw core::UnsupportedError(fmt::format(
        "{}: deletion vector format with magic number {} (supported: RoaringBitmapArray {} and {})", context, magic,
        kBitmapArrayMagic, kNativeBitmapArrayMagic));
  }
  if (position != bytes.size()) {
    throw core::InputError(fmt::format("{}: deletion vector has {} trailing bytes", context, bytes.size() - position));
  }
  return DeletionVector(std::move(rows));
}

std::string encode_bitmap_array(const std::vector<std::uint64_t>& sorted_rows) {
  std::string out;
  append_little(out, kBitmapArrayMagic, 4);
  std::vector<std::pair<std::uint32_t, RoaringPointer>> buckets;
  for (const auto row : sorted_rows) {
    const auto key = static_cast<std::uint32_t>(row >> 32);
    if (buckets.empty() || buckets.back().first != key) buckets.emplace_back(key, RoaringPointer(roaring_bitmap_create()));
    roaring_bitmap_add(buckets.back().second.get(), static_cast<std::uint32_t>(row & 0xffffffffU));
  }
  append_little(out, buckets.size(), 8);
  for (auto& [key, bitmap] : buckets) {
    roaring_bitmap_run_optimize(bitmap.get());
    append_little(out, key, 4);
    std::string data(roaring_bitmap_portable_size_in_bytes(bitmap.get()), '\0');
    roaring_bitmap_portable_serialize(bitmap.get(), data.data());
    out += data;
  }
  return out;
}

std::string deletion_vector_file(const DeletionVectorDescriptor& descriptor, const std::string& table_root) {
  const std::string& text = descriptor.path_or_inline_dv;
  if (descriptor.storage_type == 'p') {
    std::string decoded = decode_path(text, "deletionVector.pathOrInlineDv");
    if (decoded.starts_with("file://")) decoded = decoded.substr(7);
    else if (decoded.starts_with("file:")) decoded = decoded.substr(5);
    return decoded;
  }
  if (descriptor.storage_type != 'u' || text.size() < kEncodedUuidLength) {
    throw core::InputError(fmt::format("deletion vector '{}': not a relative ('u') descriptor with a 20-character UUID",
                                       text));
  }
  const std::string prefix = text.substr(0, text.size() - kEncodedUuidLength);
  const std::string uuid = z85_decode(std::string_view(text).substr(text.size() - kEncodedUuidLength),
                                      "deletionVector.pathOrInlineDv");
  std::string hex;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", static_cast<unsigned char>(uuid[i]));
  }
  const std::string folder = prefix.empty() ? table_root : io::join_path(table_root, prefix);
  return io::join_path(folder, "deletion_vector_" + hex + ".bin");
}

DeletionVector load_deletion_vector(const DeletionVectorDescriptor& descriptor, const std::string& table_root,
                                    std::string_view context, io::Storage& storage) {
  std::string bitmap_bytes;
  if (descriptor.storage_type == 'i') {
    bitmap_bytes = z85_decode(descriptor.path_or_inline_dv, context);
    if (descriptor.size_in_bytes > static_cast<std::int64_t>(bitmap_bytes.size())) {
      throw core::InputError(fmt::format("{}: inline deletion vector holds {} bytes, sizeInBytes says {}", context,
                                         bitmap_bytes.size(), descriptor.size_in_bytes));
    }
    bitmap_bytes.resize(static_cast<std::size_t>(descriptor.size_in_bytes));
  } else {
    const auto path = deletion_vector_file(descriptor, table_root);
    const std::int64_t offset = descriptor.offset.value_or(0);
    // Layout at offset: 4-byte big-endian size, the bitmap, 4-byte big-endian CRC-32 of the bitmap.
    const std::string framed = read_range(storage, path, offset, 4 + static_cast<std::int64_t>(descriptor.size_in_bytes) + 4,
                                          context);
    const std::uint32_t size = read_big_32(framed, 0);
    if (size != static_cast<std::uint32_t>(descriptor.size_in_bytes)) {
      throw core::InputError(fmt::format("{}: deletion vector in {} at offset {} has size {}, descriptor says {}",
                                         context, path, offset, size, descriptor.size_in_bytes));
    }
    bitmap_bytes = framed.substr(4, size);
    const std::uint32_t expected = read_big_32(framed, 4 + size);
    const auto actual = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(bitmap_bytes.data()), static_cast<uInt>(bitmap_bytes.size())));
    if (actual != expected) {
      throw core::InputError(fmt::format("{}: deletion vector in {} at offset {}: checksum {:08x}, expected {:08x}",
                                         context, path, offset, actual, expected));
    }
  }
  auto vector = decode_bitmap_array(bitmap_bytes, context);
  if (static_cast<std::int64_t>(vector.cardinality()) != descriptor.cardinality) {
    throw core::InputError(fmt::format("{}: deletion vector holds {} rows, its descriptor says {}", context,
                                       vector.cardinality(), descriptor.cardinality));
  }
  return vector;
}

}  // namespace driftgov::delta
