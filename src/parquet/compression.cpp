#include "driftgov/parquet/compression.hpp"

#include <brotli/decode.h>
#include <fmt/format.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "driftgov/core/error.hpp"

namespace driftgov::parquet {
namespace {

[[noreturn]] void corrupt(std::string_view description, CompressionCodec codec, std::string_view what) {
  throw core::InputError(fmt::format("{}: corrupt {} data: {}", description, to_string(codec), what));
}

void check_size(std::string_view description, CompressionCodec codec, std::size_t produced, std::size_t expected) {
  if (produced != expected) {
    corrupt(description, codec,
            fmt::format("decompressed to {} bytes where the page header says {}", produced, expected));
  }
}

void decompress_snappy(std::string_view input, char* output, std::size_t size, std::string_view description) {
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(input.data(), input.size(), &length)) {
    corrupt(description, CompressionCodec::kSnappy, "bad length header");
  }
  check_size(description, CompressionCodec::kSnappy, length, size);
  if (!snappy::RawUncompress(input.data(), input.size(), output)) {
    corrupt(description, CompressionCodec::kSnappy, "invalid stream");
  }
}

// Some writers (and `cat a.gz b.gz`) produce several gzip members in one page; zlib stops after each.
void decompress_gzip(std::string_view input, char* output, std::size_t size, std::string_view description) {
  z_stream stream{};
  // 15 + 32: a window of 2^15 with automatic detection of the gzip or zlib header.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) throw std::bad_alloc();
  const std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&stream, &inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(output);
  stream.avail_out = static_cast<uInt>(size);
  for (;;) {
    const int status = inflate(&stream, Z_FINISH);
    if (status == Z_STREAM_END) {
      if (stream.avail_in == 0 || stream.avail_out == 0) break;
      if (inflateReset(&stream) != Z_OK) corrupt(description, CompressionCodec::kGzip, "cannot start next member");
      continue;
    }
    if (status == Z_BUF_ERROR && stream.avail_out == 0) {
      corrupt(description, CompressionCodec::kGzip, "more data than the page header says");
    }
    corrupt(description, CompressionCodec::kGzip, stream.msg != nullptr ? stream.msg : "truncated stream");
  }
  check_size(description, CompressionCodec::kGzip, size - stream.avail_out, size);
}

void decompress_zstd(std::string_view input, char* output, std::size_t size, std::string_view description) {
  thread_local const std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  const std::size_t result = ZSTD_decompressDCtx(context.get(), output, size, input.data(), input.size());
  if (ZSTD_isError(result) != 0U) corrupt(description, CompressionCodec::kZstd, ZSTD_getErrorName(result));
  check_size(description, CompressionCodec::kZstd, result, size);
}

void decompress_brotli(std::string_view input, char* output, std::size_t size, std::string_view description) {
  std::size_t produced = size;
  if (BrotliDecoderDecompress(input.size(), reinterpret_cast<const std::uint8_t*>(input.data()), &produced,
                              reinterpret_cast<std::uint8_t*>(output)) != BROTLI_DECODER_RESULT_SUCCESS) {
    corrupt(description, CompressionCodec::kBrotli, "invalid stream");
  }
  check_size(description, CompressionCodec::kBrotli, produced, size);
}

bool lz4_block(std::string_view input, char* output, std::size_t size) {
  if (input.size() > INT32_MAX || size > INT32_MAX) return false;
  const int produced = LZ4_decompress_safe(input.data(), output, static_cast<int>(input.size()), static_cast<int>(size));
  return produced >= 0 && static_cast<std::size_t>(produced) == size;
}

std::uint32_t big_endian_u32(const char* bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

// Hadoop's Lz4Codec: a sequence of [uncompressed size][compressed size][LZ4 block], sizes 32-bit big-endian.
bool lz4_hadoop(std::string_view input, char* output, std::size_t size) {
  std::size_t written = 0;
  while (!input.empty()) {
    if (input.size() < 8) return false;
    const std::size_t block_output = big_endian_u32(input.data());
    const std::size_t block_input = big_endian_u32(input.data() + 4);
    input.remove_prefix(8);
    if (block_input > input.size() || block_output > size - written) return false;
    if (!lz4_block(input.substr(0, block_input), output + written, block_output)) return false;
    written += block_output;
    input.remove_prefix(block_input);
  }
  return written == size;
}

bool lz4_frame(std::string_view input, char* output, std::size_t size) {
  LZ4F_dctx* context = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&context, LZ4F_VERSION)) != 0U) return false;
  const std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> guard(context,
                                                                                     &LZ4F_freeDecompressionContext);
  std::size_t written = 0;
  while (!input.empty()) {
    std::size_t output_room = size - written;
    std::size_t input_used = input.size();
    const std::size_t hint = LZ4F_decompress(context, output + written, &output_room, input.data(), &input_used, nullptr);
    if (LZ4F_isError(hint) != 0U) return false;
    written += output_room;
    input.remove_prefix(input_used);
    if (hint == 0) continue;  // end of a frame; another may follow
    if (input_used == 0 && output_room == 0) return false;
  }
  return written == size;
}

void decompress_lz4(std::string_view input, char* output, std::size_t size, std::string_view description) {
  constexpr std::uint32_t kFrameMagic = 0x184D2204;
  std::uint32_t magic = 0;
  if (input.size() >= 4) std::memcpy(&magic, input.data(), 4);
  if (lz4_hadoop(input, output, size)) return;
  if (magic == kFrameMagic && lz4_frame(input, output, size)) return;
  if (lz4_block(input, output, size)) return;
  corrupt(description, CompressionCodec::kLz4, "neither Hadoop-framed, LZ4 frame nor raw LZ4 block data");
}

}  // namespace

void decompress(CompressionCodec codec, std::string_view input, char* output, std::size_t uncompressed_size,
                std::string_view description) {
  switch (codec) {
    case CompressionCodec::kUncompressed:
      check_size(description, codec, input.size(), uncompressed_size);
      if (uncompressed_size != 0) std::memcpy(output, input.data(), uncompressed_size);
      return;
    case CompressionCodec::kSnappy:
      return decompress_snappy(input, output, uncompressed_size, description);
    case CompressionCodec::kGzip:
      return decompress_gzip(input, output, uncompressed_size, description);
    case CompressionCodec::kZstd:
      return decompress_zstd(input, output, uncompressed_size, description);
    case CompressionCodec::kBrotli:
      return decompress_brotli(input, output, uncompressed_size, description);
    case CompressionCodec::kLz4Raw:
      if (!lz4_block(input, output, uncompressed_size)) corrupt(description, codec, "invalid LZ4 block");
      return;
    case CompressionCodec::kLz4:
      return decompress_lz4(input, output, uncompressed_size, description);
    case CompressionCodec::kLzo:
      break;
  }
  throw core::UnsupportedError(
      fmt::format("{}: compression codec {} is not supported", description, to_string(codec)));
}

}  // namespace driftgov::parquet
