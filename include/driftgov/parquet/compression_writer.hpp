#pragma once
// Page compression for the writer, through Debian's zstd, snappy and zlib libraries.

#include <cstdint>
#include <string>
#include <string_view>

namespace driftgov::parquet {

// The codecs the writer produces (a subset of those the reader accepts).
enum class Compression { kNone, kSnappy, kGzip, kZstd };

// Compresses `input` into `out` (replacing its contents). `level` 0 means the codec's default level.
// Throws core::InternalError if a library fails on valid input (it never should).
void compress(Compression codec, std::string_view input, std::string& out, int level = 0);
// "zstd", "snappy", "gzip", "none" or "uncompressed"; throws core::InputError naming the text otherwise.
Compression parse_compression(std::string_view name);
std::string_view compression_name(Compression codec);

}  // namespace driftgov::parquet
