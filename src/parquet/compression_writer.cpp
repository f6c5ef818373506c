#include "driftgov/parquet/compression_writer.hpp"

#include <fmt/format.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <climits>

#include "driftgov/core/error.hpp"

namespace driftgov::parquet {
namespace {

void compress_zstd(std::string_view input, std::string& out, int level) {
  out.resize(ZSTD_compressBound(input.size()));
  const auto written = ZSTD_compress(out.data(), out.size(), input.data(), input.size(),
                                     level == 0 ? ZSTD_CLEVEL_DEFAULT : level);
  DRIFTGOV_CHECK(!ZSTD_isError(written), "zstd: {}", ZSTD_getErrorName(written));
  out.resize(written);
}

void compress_snappy(std::string_view input, std::string& out) {
  std::size_t length = snappy_max_compressed_length(input.size());
  out.resize(length);
  const auto status = snappy_compress(input.data(), input.size(), out.data(), &length);
  DRIFTGOV_CHECK(status == SNAPPY_OK, "snappy status {}", static_cast<int>(status));
  out.resize(length);
}

// One gzip member (RFC 1952), which is what the Parquet GZIP codec means.
void compress_gzip(std::string_view input, std::string& out, int level) {
  DRIFTGOV_CHECK(input.size() <= UINT_MAX, "page of {} bytes is too large for zlib", input.size());
  z_stream stream{};
  constexpr int kGzipWindowBits = 15 + 16;
  int status = deflateInit2(&stream, level == 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, kGzipWindowBits,
                            8, Z_DEFAULT_STRATEGY);
  DRIFTGOV_CHECK(status == Z_OK, "deflateInit2 status {}", status);
  out.resize(deflateBound(&stream, static_cast<uLong>(input.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  status = deflate(&stream, Z_FINISH);
  const auto written = stream.total_out;
  deflateEnd(&stream);
  DRIFTGOV_CHECK(status == Z_STREAM_END, "deflate status {}", status);
  out.resize(written);
}

}  // namespace

void compress(Compression codec, std::string_view input, std::string& out, int level) {
  switch (codec) {
    case Compression::kNone:
      out.assign(input);
      return;
    case Compression::kSnappy:
      compress_snappy(input, out);
      return;
    case Compression::kGzip:
      compress_gzip(input, out, level);
      return;
    case Compression::kZstd:
      compress_zstd(input, out, level);
      return;
  }
  DRIFTGOV_CHECK(false, "unknown codec {}", static_cast<int>(codec));
}

Compression parse_compression(std::string_view name) {
  if (name == "zstd") return Compression::kZstd;
  if (name == "snappy") return Compression::kSnappy;
  if (name == "gzip") return Compression::kGzip;
  if (name == "none" || name == "uncompressed") return Compression::kNone;
  throw core::InputError(
      fmt::format("unknown compression codec '{}' (expected zstd, snappy, gzip or none)", name));
}

std::string_view compression_name(Compression codec) {
  switch (codec) {
    case Compression::kNone:
      return "none";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "?";
}

}  // namespace driftgov::parquet
