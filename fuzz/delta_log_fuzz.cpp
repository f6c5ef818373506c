// Fuzzes the Delta log parsers from memory: commit JSON (with the schema of any metaData action), Parquet checkpoint
// rows, deletion-vector bitmaps and Z85 text. Arbitrary bytes must give actions or a core::InputError, never a
// crash or a hang. The first byte chooses the parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "driftgov/core/error.hpp"
#include "driftgov/delta/actions.hpp"
#include "driftgov/delta/checkpoint.hpp"
#include "driftgov/delta/deletion_vector.hpp"
#include "driftgov/delta/schema.hpp"

namespace {

void check_actions(const std::vector<driftgov::delta::Action>& actions) {
  for (const auto& action : actions) {
    if (const auto* metadata = std::get_if<driftgov::delta::Metadata>(&action)) {
      const auto schema = driftgov::delta::parse_schema(metadata->schema_string, "fuzz");
      // A parsed schema must survive its own serialisation unchanged.
      if (!(driftgov::delta::parse_schema(driftgov::delta::serialize_schema(schema), "fuzz") == schema)) {
        __builtin_trap();
      }
    }
  }
  // Serialised actions must parse back to the same count.
  if (driftgov::delta::parse_commit(driftgov::delta::serialize_commit(actions), "again").size() != actions.size()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0:
        check_actions(driftgov::delta::parse_commit(input, "fuzz.json"));
        break;
      case 1:
        check_actions(driftgov::delta::parse_parquet_checkpoint(std::string(input), "fuzz.checkpoint.parquet"));
        break;
      case 2: {
        const auto vector = driftgov::delta::decode_bitmap_array(input, "fuzz");
        if (driftgov::delta::decode_bitmap_array(driftgov::delta::encode_bitmap_array(vector.rows()), "again").rows() !=
            vector.rows()) {
          __builtin_trap();
        }
        break;
      }
      default: {
        const auto bytes = driftgov::delta::z85_decode(input, "fuzz");
        if (driftgov::delta::z85_encode(bytes) != input) __builtin_trap();
        break;
      }
    }
  } catch (const driftgov::core::InputError&) {
    // Refusing bad input is the expected outcome.
  }
  return 0;
}
