#include "driftgov/parquet/metadata.hpp"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace driftgov::parquet {
namespace {

template <std::size_t N>
std::string name_or_number(const std::array<std::string_view, N>& names, std::int32_t value, std::string_view kind) {
  if (value >= 0 && static_cast<std::size_t>(value) < N && !names[static_cast<std::size_t>(value)].empty()) {
    return std::string(names[static_cast<std::size_t>(value)]);
  }
  return fmt::format("{} {}", kind, value);
}

}  // namespace

std::string to_string(Type type) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return name_or_number(kNames, static_cast<std::int32_t>(type), "physical type");
}

std::string to_string(Encoding encoding) {
  static constexpr std::array<std::string_view, 10> kNames = {
      "PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
      "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
  return name_or_number(kNames, static_cast<std::int32_t>(encoding), "encoding");
}

std::string to_string(CompressionCodec codec) {
  static constexpr std::array<std::string_view, 8> kNames = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                                             "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  return name_or_number(kNames, static_cast<std::int32_t>(codec), "compression codec");
}

std::string to_string(PageType page_type) {
  static constexpr std::array<std::string_view, 4> kNames = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE",
                                                             "DATA_PAGE_V2"};
  return name_or_number(kNames, static_cast<std::int32_t>(page_type), "page type");
}

}  // namespace driftgov::parquet
