#pragma once
// Page decompression for the reader through Debian's codec libraries: snappy, gzip/zlib (every concatenated
// member), zstd (every concatenated frame), brotli, LZ4_RAW and the deprecated LZ4 codec in each framing writers
// have used for it (Hadoop's block framing, the LZ4 frame format, a bare block). LZO is refused as unsupported.
// Thread-safe: no shared state.

#include <cstddef>
#include <string_view>

#include "driftgov/parquet/metadata.hpp"

namespace driftgov::parquet {

// Decompresses `input` into exactly `uncompressed_size` bytes at `output`. Throws core::InputError naming
// `description` when the data is corrupt or does not decompress to that size, and core::UnsupportedError for a
// codec driftgov does not read.
void decompress(CompressionCodec codec, std::string_view input, char* output, std::size_t uncompressed_size,
                std::string_view description);

}  // namespace driftgov::parquet
