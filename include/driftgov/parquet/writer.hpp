#pragma once
// Parquet file writer (docs/parquet-writer.md).
//
// Guarantees:
//  * Readable by parquet-mr/Spark, Arrow and DuckDB: standard 3-level LIST and MAP groups, logical types with
//    their legacy converted types, v1 data pages, min/max statistics under TYPE_DEFINED_ORDER.
//  * Atomic: bytes go to an io::OutputStream of the storage (a hidden temporary file in the destination folder),
//    which close() publishes over `path` (fsync, rename, fsync of the folder). A crash or an exception leaves
//    either no file or the previous file under `path`; an unclosed writer removes its temporary file when
//    destroyed. Storage failures throw core::IOError; write() or close() after close() or after a failure is a
//    misuse (core::InternalError).
//  * Bounded memory: one row group of encoded values at a time (row_group_rows / row_group_bytes).
// Type mapping: int8/int16 -> INT32 INT(8|16), int32 -> INT32, int64 -> INT64, float -> FLOAT, double ->
// DOUBLE, boolean -> BOOLEAN, string -> BYTE_ARRAY STRING, binary -> BYTE_ARRAY, date -> INT32 DATE,
// timestamp -> INT64 TIMESTAMP(MICROS, isAdjustedToUTC = type.utc) (milliseconds scaled up, nanoseconds
// floored), decimal -> INT32 (precision <= 9), INT64 (<= 18) or FIXED_LEN_BYTE_ARRAY, null -> INT32 UNKNOWN.
// Not thread-safe.

#include <cstdint>
#include <memory>
#include <string>

#include "driftgov/core/column.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/parquet/compression_writer.hpp"

namespace driftgov::parquet {

enum class DictionaryPolicy {
  kNone,     // PLAIN everywhere
  kStrings,  // string and binary columns (the default, where dictionaries pay off most)
  kAll,      // every column except booleans
};

struct WriterOptions {
  Compression compression = Compression::kZstd;
  int compression_level = 0;  // 0: the codec's default
  // A row group is closed when either limit is reached (bytes are the estimated uncompressed size).
  std::int64_t row_group_rows = 1 << 20;
  std::int64_t row_group_bytes = std::int64_t{128} << 20;
  // Target uncompressed size of one data page; pages end on row boundaries.
  std::int64_t data_page_bytes = 1 << 20;
  DictionaryPolicy dictionary = DictionaryPolicy::kStrings;
  // A column chunk whose dictionary would pass this PLAIN-encoded size is written PLAIN instead.
  std::int64_t dictionary_page_bytes = 1 << 20;
  // Min/max statistics for byte arrays longer than this are left out rather than truncated.
  std::int64_t max_statistics_bytes = 4096;
  bool write_statistics = true;
  // Written into the footer as created_by, after "driftgov version ".
  std::string version = "0.1.0";
  // Where the file is written; nullptr means io::local_storage(). Not owned; must outlive the writer.
  io::Storage* storage = nullptr;
};

class FileWriter {
 public:
  // Creates the temporary file. Throws core::IOError if it cannot be created, core::UnsupportedError for a
  // schema the writer cannot express (for example a map whose key is nested).
  FileWriter(std::string path, core::Schema schema, WriterOptions options = {});
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Appends the batch's rows. Its schema must equal the writer's (names, types, nullability). Throws
  // core::InputError naming the column and row when a non-nullable field holds a null or a value does not fit
  // the declared type (a decimal beyond its precision, a timestamp beyond the int64 microsecond range).
  void write(const core::RecordBatch& batch);
  // Writes the last row group and the footer, fsyncs and renames the file into place. Idempotent.
  void close();

  std::int64_t rows_written() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes one batch as a whole file (convenience for tests and small outputs).
void write_parquet_file(const std::string& path, const core::RecordBatch& batch,
                        const WriterOptions& options = {});

}  // namespace driftgov::parquet
