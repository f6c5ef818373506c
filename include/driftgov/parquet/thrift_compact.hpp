#pragma once
// The Thrift compact protocol, as Parquet uses it for its footer and page headers.
//  * Wire primitives (varints, zigzag, field and list headers) shared by the decoder here and the encoder.
//  * CompactDecoder: a bounds-checked cursor over one buffer. Every read checks the remaining bytes; list sizes are
//    checked against the bytes left (each element needs at least one byte), nesting is limited to kMaxDepth, and
//    every failure is a core::InputError naming the source and the absolute file offset of the bad byte.
//  * parse_file_metadata / parse_page_header: the two entry points the reader needs.
// Unknown fields are skipped, as Thrift requires, so files from newer writers still read.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "driftgov/parquet/metadata.hpp"

namespace driftgov::parquet::thrift {

// Element and field types of the compact protocol (the low nibble of a field header).
enum class CompactType : std::uint8_t {
  kStop = 0,
  kBooleanTrue = 1,
  kBooleanFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

constexpr std::uint64_t zigzag_encode(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
constexpr std::int64_t zigzag_decode(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// ULEB128, 7 bits per byte, least significant group first.
void append_varint(std::string& out, std::uint64_t value);
// A field header: the short form (delta from the previous field id in the high nibble) when the id grows by 1..15,
// otherwise the type byte followed by the zigzag varint id. `previous_field_id` is 0 at the start of a struct.
void append_field_header(std::string& out, std::int16_t field_id, std::int16_t previous_field_id, CompactType type);
// A list or set header: the size in the high nibble when below 15, otherwise 0xF plus a varint size.
void append_list_header(std::string& out, CompactType element_type, std::uint64_t size);

class CompactDecoder {
 public:
  static constexpr int kMaxDepth = 64;

  struct FieldHeader {
    std::int16_t id = 0;
    CompactType type = CompactType::kStop;
  };
  struct ListHeader {
    CompactType element_type = CompactType::kStop;
    std::size_t size = 0;
  };

  // `description` names the source in messages (a file path); `base_offset` is the file offset of bytes[0].
  CompactDecoder(std::string_view bytes, std::string_view description, std::int64_t base_offset);

  std::uint8_t read_byte();
  std::uint64_t read_varint();
  std::int16_t read_i16();
  std::int32_t read_i32();
  std::int64_t read_i64();
  double read_double();
  std::string read_binary();
  // A boolean that is a list element (one byte); booleans that are struct fields live in the field header.
  bool read_bool_element();

  // Reads the next field header of the current struct; type kStop ends the struct.
  FieldHeader read_field_header(std::int16_t previous_field_id);
  ListHeader read_list_header();
  // Skips one value of `type`, recursing into containers with the depth limit.
  void skip(CompactType type);

  // Struct nesting bookkeeping: call enter() before reading a nested struct's fields and leave() after.
  void enter();
  void leave() { --depth_; }

  std::size_t position() const { return position_; }
  std::size_t remaining() const { return bytes_.size() - position_; }
  [[noreturn]] void fail(std::string_view what) const;

 private:
  void require(std::size_t count) const;

  std::string_view bytes_;
  std::string_view description_;
  std::int64_t base_offset_;
  std::size_t position_ = 0;
  int depth_ = 0;
};

// Decodes the FileMetaData struct that fills `bytes` (the footer, without its length and magic).
FileMetaData parse_file_metadata(std::string_view bytes, std::string_view description, std::int64_t base_offset = 0);

// Decodes one PageHeader at the start of `bytes`; sets `consumed` to its encoded length.
PageHeader parse_page_header(std::string_view bytes, std::size_t* consumed, std::string_view description,
                             std::int64_t base_offset = 0);

}  // namespace driftgov::parquet::thrift
