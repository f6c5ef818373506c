// Files found by fuzzing that once crashed the reader: each must now fail with core::InputError (the contract of
// fuzz/parquet_reader_fuzz.cpp), never abort.
#include <gtest/gtest.h>

#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/reader.hpp"

namespace driftgov::parquet {
namespace {

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

void read_every_group(const std::string& bytes) {
  auto reader = FileReader::open_memory(bytes, "hostile input");
  for (int group = 0; group < reader.num_row_groups(); ++group) reader.read_row_group(group);
}

TEST(ParquetReaderHostile, ChunkWithoutMetadataIsRefusedBeforeAnythingIsReserved) {
  // A boolean column chunk without its metadata: values were once reserved from that missing metadata's count.
  const std::string bytes = from_hex(
      "50415231157b33876fb6f1764b0073f249940d0000001502192c48057461626c6515020015002502181064617461747970655f626f"
      "6f6c65616e550200168801191c191c2600dc150019152a19181064617461747970655f626f6f6c65616e15041688011662168a0126"
      "083c180101180100160c012801011800000000168a0116880100006f00000050415231");
  EXPECT_THROW(read_every_group(bytes), core::InputError);
}

}  // namespace
}  // namespace driftgov::parquet
