// libFuzzer target: the Parquet footer, page headers, codecs, decoders and level assembly, all from memory.
// Any input must either read or fail with core::InputError; anything else (a crash, a sanitizer report, another
// exception) is a bug. Pages (16 MiB) and chunks (4M level entries) are capped so that hostile sizes cannot exhaust
// the fuzzer's memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/parquet/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  driftgov::parquet::ReaderOptions options;
  options.max_page_bytes = std::int64_t{16} << 20;
  options.max_chunk_entries = std::int64_t{1} << 22;
  try {
    auto reader = driftgov::parquet::FileReader::open_memory(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz input", options);
    for (int group = 0; group < reader.num_row_groups(); ++group) {
      if (reader.row_group_num_rows(group) > (std::int64_t{1} << 24)) continue;
      reader.read_row_group(group);
    }
  } catch (const driftgov::core::InputError&) {
    // Expected for malformed input.
  }
  return 0;
}
