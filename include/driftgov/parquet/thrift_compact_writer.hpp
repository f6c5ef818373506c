#pragma once
// Thrift compact-protocol encoder for the Parquet metadata structures (parquet.thrift): the file footer
// (FileMetaData) and page headers. CompactEncoder is the protocol state (field-id deltas per nested struct);
// the serialize functions walk the structures of metadata.hpp, write each optional field only when it is set,
// and always in field-id order, which is what the short field-header form needs.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "driftgov/parquet/metadata.hpp"
#include "driftgov/parquet/thrift_compact.hpp"

namespace driftgov::parquet::thrift {

// Appends compact-protocol bytes to a buffer. begin_struct remembers the enclosing struct's last field id
// (field headers are deltas from it); end_struct writes the stop byte and restores it.
class CompactEncoder {
 public:
  explicit CompactEncoder(std::string& out) : out_(out) {}

  void field_bool(std::int16_t id, bool value);
  void field_byte(std::int16_t id, std::int8_t value);
  void field_i16(std::int16_t id, std::int16_t value);
  void field_i32(std::int16_t id, std::int32_t value);
  void field_i64(std::int16_t id, std::int64_t value);
  void field_binary(std::int16_t id, std::string_view value);
  // Opens a struct-valued field; close it with end_struct.
  void field_struct(std::int16_t id);
  // Opens a list-valued field; the caller then writes exactly `size` elements of `element_type`.
  void field_list(std::int16_t id, CompactType element_type, std::size_t size);

  // A whole message, or a struct element of a list.
  void begin_struct();
  void end_struct();

  void element_i32(std::int32_t value);
  void element_binary(std::string_view value);

 private:
  void field_header(std::int16_t id, CompactType type);

  std::string& out_;
  std::int16_t last_field_id_ = 0;
  std::vector<std::int16_t> enclosing_field_ids_;
};

// Serialises a structure, appending its bytes to `out`.
void serialize(const FileMetaData& metadata, std::string& out);
void serialize(const PageHeader& header, std::string& out);

}  // namespace driftgov::parquet::thrift
